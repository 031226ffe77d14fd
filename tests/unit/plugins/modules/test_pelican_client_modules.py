"""ssh_key, subuser and allocation on Pelican (issue 15), at the HTTP level: an SSH key is deleted by fingerprint
only after it was listed (Pelican answers 404 for a missing one); the renamed permission `database.view-password`
and Pelican's flat permission list; allocations listed before creating (Pelican answers a duplicate with a 500 and
rolls back the batch) and port 1024 allowed there."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.ptero.panel.plugins.modules import allocation as allocation_module
from ansible_collections.ptero.panel.plugins.modules import ssh_key as ssh_key_module
from ansible_collections.ptero.panel.plugins.modules import subuser as subuser_module
from ansible_collections.ptero.panel.plugins.modules.ssh_key import fingerprint_of
from ansible_collections.ptero.panel.tests.unit import envelopes

PANEL = "https://panel.example.test"
KEYS = f"{PANEL}/api/client/account/ssh-keys"
APP = f"{PANEL}/api/application"
CLIENT_KEY = "pacc_unittestkey" + "x" * 32
APP_KEY = "papp_unittestkey" + "x" * 32
SERVER = {"identifier": "1a7ce997", "uuid": "1a7ce997-259b-452e-8b4e-cecc464142ca", "name": "survival"}
# Pelican's permission list: flat `group.key` strings, with the renamed database key.
PERMISSIONS = ["websocket.connect", "control.console", "database.read", "database.view-password", "file.read"]


def listing(kind, items, paginated=True):
    return envelopes.listing(kind, items) if paginated else envelopes.unpaged(kind, items)


def new_key() -> str:
    """A new OpenSSH ed25519 key whose fingerprint has no '/' (Pelican's delete route cannot take one that has)."""
    while True:
        line = (
            ed25519.Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            .decode()
        )
        if "/" not in fingerprint_of(line):
            return line


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def writes(panel):
    return [
        (c.request.method, c.request.url.split("/api/", 1)[1], json.loads(c.request.body or "null"))
        for c in panel.calls
        if c.request.method != "GET"
    ]


# -- ssh_key ---------------------------------------------------------------------------------------------------------


def test_absent_deletes_by_fingerprint_in_the_path(panel, run_module):
    public_key = new_key()
    fingerprint = fingerprint_of(public_key)
    panel.get(KEYS, json=listing("ssh_key", [{"name": "deploy", "fingerprint": fingerprint, "public_key": "pem"}]))
    panel.delete(f"{KEYS}/{quote(fingerprint, safe='')}", status=204)
    outcome = run_module(
        ssh_key_module.main, {"api_key": CLIENT_KEY, "panel": "auto", "name": "deploy", "state": "absent"}
    )
    assert outcome.result["changed"] is True, outcome.result
    ((method, path, body),) = writes(panel)
    assert method == "DELETE" and body is None and "ssh-keys/remove" not in path


def test_absent_when_missing_sends_no_delete(panel, run_module):
    panel.get(KEYS, json=listing("ssh_key", []))
    outcome = run_module(
        ssh_key_module.main, {"api_key": CLIENT_KEY, "panel": "auto", "name": "deploy", "state": "absent"}
    )
    assert outcome.result["changed"] is False and writes(panel) == []


def test_a_key_removed_meanwhile_is_gone_as_wanted(panel, run_module):
    listings = [
        listing("ssh_key", [{"name": "deploy", "fingerprint": "abc", "public_key": "pem"}]),
        listing("ssh_key", []),
    ]
    panel.add_callback(responses.GET, KEYS, callback=lambda request: (200, {}, json.dumps(listings.pop(0))))
    panel.delete(
        f"{KEYS}/abc",
        status=404,
        json={
            "errors": [
                {
                    "code": "NotFoundHttpException",
                    "status": "404",
                    "detail": "The requested resource could not be found.",
                }
            ]
        },
    )
    outcome = run_module(
        ssh_key_module.main, {"api_key": CLIENT_KEY, "panel": "auto", "name": "deploy", "state": "absent"}
    )
    assert not outcome.failed and outcome.result["changed"] is True, outcome.result


def test_a_404_for_a_key_still_listed_fails_saying_to_use_the_panel(panel, run_module):
    panel.get(KEYS, json=listing("ssh_key", [{"name": "deploy", "fingerprint": "abcd", "public_key": "pem"}]))
    panel.delete(
        f"{KEYS}/abcd",
        status=404,
        json={
            "errors": [{"code": "NotFoundHttpException", "status": "404", "detail": "The route could not be found."}]
        },
    )
    outcome = run_module(
        ssh_key_module.main, {"api_key": CLIENT_KEY, "panel": "auto", "name": "deploy", "state": "absent"}
    )
    assert outcome.failed, outcome.result
    assert outcome.result["msg"] == (
        "SSH key 'deploy': Pelican answered 404 to deleting it by its fingerprint, yet still has it; "
        "delete the key in the panel (Account > SSH Keys)"
    )


SLASHED = {"name": "deploy", "fingerprint": "T2b3VnvHWUmfhDOFLqzZg2VfLgqJhWx/rMUy8WZ+V8M", "public_key": "pem"}


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_key_whose_fingerprint_has_a_slash_is_refused_before_any_write(panel, run_module, check_mode):
    """Pelican's route never takes a fingerprint with '/' (404, the key stays): removing it fails before asking."""
    panel.get(KEYS, json=listing("ssh_key", [SLASHED]))
    outcome = run_module(
        ssh_key_module.main,
        {"api_key": CLIENT_KEY, "panel": "auto", "name": "deploy", "state": "absent"},
        check_mode=check_mode,
    )
    assert outcome.failed and not outcome.result.get("changed"), outcome.result
    assert outcome.result["msg"] == (
        f"SSH key 'deploy': Pelican's API cannot delete it: its fingerprint {SLASHED['fingerprint']} contains '/', "
        "and Pelican's route DELETE /api/client/account/ssh-keys/{fingerprint} answers 404 for such a fingerprint. "
        "Nothing was changed; delete the key in the panel (Account > SSH Keys)"
    )
    assert writes(panel) == []


def test_replacing_a_key_whose_fingerprint_has_a_slash_adds_nothing(panel, run_module):
    """A replacement adds the new key before removing the old one: with an old key Pelican cannot delete, nothing
    is added."""
    panel.get(KEYS, json=listing("ssh_key", [SLASHED]))
    outcome = run_module(
        ssh_key_module.main, {"api_key": CLIENT_KEY, "panel": "auto", "name": "deploy", "public_key": new_key()}
    )
    assert outcome.failed and outcome.result["msg"].endswith("(Account > SSH Keys), then run the task again")
    assert writes(panel) == []


def test_a_slashed_fingerprint_is_no_problem_on_pterodactyl(panel, run_module):
    panel.get(KEYS, json=listing("ssh_key", [SLASHED]))
    panel.post(f"{KEYS}/remove", status=204)
    outcome = run_module(
        ssh_key_module.main,
        {"api_key": "ptlc_unittestkey" + "x" * 32, "panel": "pterodactyl", "name": "deploy", "state": "absent"},
    )
    assert not outcome.failed and outcome.result["changed"] is True, outcome.result
    assert writes(panel) == [("POST", "client/account/ssh-keys/remove", {"fingerprint": SLASHED["fingerprint"]})]


# -- subuser ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def server(panel):
    panel.get(f"{PANEL}/api/client/servers/{SERVER['identifier']}", json={"object": "server", "attributes": SERVER})
    panel.get(
        f"{PANEL}/api/client/permissions",
        json={"object": "system_permissions", "attributes": {"permissions": PERMISSIONS}},
    )
    return panel


def subusers(panel, items):
    panel.get(f"{PANEL}/api/client/servers/{SERVER['uuid']}/users", json=listing("server_subuser", items, False))


@pytest.mark.parametrize("spelling", ["database.view_password", "database.view-password"])
def test_either_spelling_of_view_password_is_sent_as_pelican_spells_it(server, run_module, spelling):
    subusers(server, [])
    server.post(
        f"{PANEL}/api/client/servers/{SERVER['uuid']}/users",
        json={
            "object": "server_subuser",
            "attributes": {
                "uuid": "s",
                "email": "mod@example.com",
                "permissions": ["database.view-password", "websocket.connect"],
            },
        },
    )
    outcome = run_module(
        subuser_module.main,
        {
            "api_key": CLIENT_KEY,
            "panel": "auto",
            "server": SERVER["identifier"],
            "email": "mod@example.com",
            "permissions": [spelling],
        },
    )
    assert not outcome.failed, outcome.result
    ((_method, _path, body),) = writes(server)
    assert body["permissions"] == ["database.view-password", "websocket.connect"]


def test_the_old_spelling_matches_a_pelican_subuser(server, run_module):
    subusers(
        server,
        [{"uuid": "s", "email": "mod@example.com", "permissions": ["database.view-password", "websocket.connect"]}],
    )
    outcome = run_module(
        subuser_module.main,
        {
            "api_key": CLIENT_KEY,
            "panel": "auto",
            "server": SERVER["identifier"],
            "email": "mod@example.com",
            "permissions": ["database.view_password"],
        },
    )
    assert outcome.result["changed"] is False and writes(server) == []


def test_an_unknown_permission_is_named_with_pelicans_groups(server, run_module):
    subusers(server, [])
    outcome = run_module(
        subuser_module.main,
        {
            "api_key": CLIENT_KEY,
            "panel": "auto",
            "server": SERVER["identifier"],
            "email": "mod@example.com",
            "permissions": ["control.fly"],
        },
    )
    assert outcome.failed and writes(server) == []
    assert outcome.result["msg"].startswith(
        "permissions: unknown permission(s) control.fly; the panel knows the groups control, database, file, websocket"
    )


# -- allocation ------------------------------------------------------------------------------------------------------

NODE = {"id": 4, "name": "fra1-node1", "tags": ["fra1"]}


@pytest.fixture
def node(panel):
    panel.get(f"{APP}/nodes", json=listing("node", [NODE]))
    return panel


def allocation(allocation_id, port):
    return {"id": allocation_id, "ip": "192.0.2.10", "port": port, "alias": None, "notes": None, "assigned": False}


def test_only_missing_ports_are_created_on_pelican(node, run_module):
    existing = [allocation(1, 1024), allocation(2, 25566)]
    created = []

    def allocations(request):
        have = existing + [allocation(10 + i, port) for i, port in enumerate(created)]
        return 200, {}, json.dumps(listing("allocation", have))

    def create(request):
        body = json.loads(request.body)
        if any(int(port) in (1024, 25566) for port in body["ports"]):
            return (
                500,
                {},
                json.dumps(
                    {
                        "errors": [
                            {
                                "code": "UniqueConstraintViolationException",
                                "status": "500",
                                "detail": "An unexpected error was encountered.",
                            }
                        ]
                    }
                ),
            )
        created.extend(int(port) for port in body["ports"])
        return 204, {}, ""

    node.add_callback(responses.GET, f"{APP}/nodes/4/allocations", callback=allocations)
    node.add_callback(responses.POST, f"{APP}/nodes/4/allocations", callback=create)
    args = {
        "api_key": APP_KEY,
        "panel": "auto",
        "node": "fra1-node1",
        "ip": "192.0.2.10",
        "ports": ["1024", "25565-25567"],
    }
    outcome = run_module(allocation_module.main, args)
    assert not outcome.failed and outcome.result["created"] == ["192.0.2.10:25565", "192.0.2.10:25567"], outcome.result
    ((_method, _path, body),) = writes(node)
    assert body == {"ip": "192.0.2.10", "ports": ["25565", "25567"]}
    again = run_module(allocation_module.main, args)
    assert again.result["changed"] is False and len(writes(node)) == 1


def test_port_1024_stays_refused_on_pterodactyl(node, run_module):
    outcome = run_module(
        allocation_module.main, {"panel": "pterodactyl", "node": "fra1-node1", "ip": "192.0.2.10", "ports": ["1024"]}
    )
    assert outcome.failed and writes(node) == []
    assert outcome.result["msg"] == "ports: '1024' is outside 1025-65535, the ports the panel allows"
