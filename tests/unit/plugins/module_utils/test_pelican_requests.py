# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pelican at the HTTP level: routes the panel lacks fail before any request, Pelican's own routes go where they
should with the right bodies, and Pelican's answers (documents, empty 403/406, generic 500s) are read and explained
without ever repeating a write."""

from __future__ import annotations

import json
import typing as t
from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._client import (
    PELICAN_GENERIC_500,
    PanelClient,
    PanelError,
    UnsupportedOnPanel,
)
from ansible_collections.ptero.panel.plugins.module_utils._operations import OPERATIONS

BASE_URL = "https://panel.example.test"  # the make_client fixture's default
APP = BASE_URL + "/api/application"
CLIENT = BASE_URL + "/api/client"
PELICAN_KEY = "papp_PELICANkey01" + "S3CR3TPELICANVALUE0123456789ABCD"
GENERIC_500 = {
    "errors": [
        {
            "code": "HttpException",
            "status": "500",
            "detail": "An unexpected error was encountered while processing this request, please try again.",
        }
    ]
}
MOUNT = {"object": "mount", "attributes": {"id": 4, "uuid": "m-4", "name": "maps"}}
EGG_YAML = "_comment: exported\nmeta:\n  version: PLCN_v3\nuuid: 8b3a\nname: Paper\nvariables: []\n"
EGG_JSON = json.dumps({"meta": {"version": "PTDL_v2"}, "uuid": "8b3a", "name": "Paper", "variables": []})
SAMPLE_PARAMS = {
    "location": 2,
    "nest": 1,
    "user": 7,
    "node": 3,
    "allocation": 11,
    "server": 5,
    "database": 8,
    "egg": 4,
    "external_id": "ext-42",
    "identifier": "pacc_abcdefghijk",
    "schedule": 9,
    "task": 12,
    "mount": 6,
    "role": 2,
    "database_host": 1,
    "plugin": "player-counter",
    "uuid": "8b3a-uuid",
    "fingerprint": "SHA256:abc",
    "backup": "6f1c1e5a-2c9e-4f0e-9a51-8f3c2b7d1e00",
}

PELICAN_ONLY = sorted(name for name, op in OPERATIONS.items() if not op.available_on("pterodactyl"))
PTERODACTYL_ONLY = sorted(name for name, op in OPERATIONS.items() if not op.available_on("pelican"))


@pytest.fixture
def pelican(make_client: t.Callable[..., PanelClient]) -> PanelClient:
    """A client with a Pelican key: Pelican by its prefix, no probe."""
    return make_client(api_key=PELICAN_KEY, panel="auto")


def params_of(name: str) -> dict[str, t.Any]:
    return {key: SAMPLE_PARAMS[key] for key in OPERATIONS[name].path_params}


def sent_json(call: t.Any) -> t.Any:
    return json.loads(call.request.body)


# -- routes the panel lacks -----------------------------------------------------------------------


@pytest.mark.parametrize("name", PTERODACTYL_ONLY)
def test_a_pterodactyl_route_on_pelican_fails_before_any_request(name, panel, pelican):
    body = {"x": 1} if OPERATIONS[name].body else None
    with pytest.raises(UnsupportedOnPanel) as caught:
        pelican.call(name, params_of(name), body=body)
    error = caught.value
    assert len(panel.calls) == 0 and pelican.request_count == 0
    assert isinstance(error, PanelError)
    assert (error.operation, error.panel, error.write_state, error.status) == (name, "pelican", "not_applied", None)
    assert str(error).startswith(
        f"{name} ({OPERATIONS[name].method} {OPERATIONS[name].path}) does not exist on "
        "Pelican; only Pterodactyl has it. Use instead: "
    )
    assert error.instead and error.instead in str(error)
    assert "detected as Pelican from the API key prefix" in str(error)
    assert error.to_dict()["code"] == "UnsupportedOnPanel"


@pytest.mark.parametrize("name", PELICAN_ONLY)
def test_a_pelican_route_on_pterodactyl_fails_before_any_request(name, panel, make_client):
    client = make_client(panel="pterodactyl")
    with pytest.raises(UnsupportedOnPanel) as caught:
        client.call(name, params_of(name))
    assert len(panel.calls) == 0 and client.request_count == 0
    assert str(caught.value).startswith(f"{name} (")
    since = OPERATIONS[name].pelican_since
    only = f"only Pelican ({since} and later) has it" if since else "only Pelican has it"
    assert f"does not exist on Pterodactyl; {only}" in str(caught.value)
    assert str(caught.value).endswith("(the panel option says pterodactyl)")


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("application.locations.create", "node tags"),
        ("application.nests.list", "egg tags"),
        ("application.eggs.get", "application.egg_catalog.get"),
        ("client.ssh_keys.delete", "client.ssh_keys.delete_by_fingerprint"),
    ],
)
def test_the_message_names_the_replacement(name, replacement, pelican):
    with pytest.raises(UnsupportedOnPanel, match=f"Use instead: {replacement}"):
        pelican.call(name, params_of(name), body={"a": 1} if OPERATIONS[name].body else None)


def test_lists_are_gated_when_called_not_when_iterated(panel, pelican):
    with pytest.raises(UnsupportedOnPanel):
        pelican.collect("application.locations.list")
    with pytest.raises(UnsupportedOnPanel):
        pelican.iterate("application.nests.list")  # raises here, before next()
    assert len(panel.calls) == 0


def test_a_probed_pelican_gates_too(panel, make_client):
    panel.add("GET", APP + "/eggs", status=401, json={"errors": [{"code": "AuthenticationException"}]})
    client = make_client(panel="auto")
    with pytest.raises(UnsupportedOnPanel, match=r"detected as Pelican from a probe of GET /api/application/eggs"):
        client.call("application.nests.get", {"nest": 1})
    assert [call.request.method + " " + urlsplit(call.request.url).path for call in panel.calls] == [
        "GET /api/application/eggs"
    ]


def test_supports_and_operation(pelican):
    assert pelican.supports("application.mounts.list") and not pelican.supports("application.locations.list")
    assert pelican.operation("application.servers.list").filters[1] == "uuid_short"


# -- Pelican's own routes -------------------------------------------------------------------------


def answer_for(name: str) -> tuple[int, dict[str, t.Any]]:
    response = OPERATIONS[name].response
    if response == "item":
        return 200, {"json": {"object": "thing", "attributes": {"id": 1}}}
    if response == "list":
        return 200, {"json": {"object": "list", "data": [{"object": "thing", "attributes": {"id": 1}}]}}
    if response == "text":
        return 200, {"body": EGG_YAML, "content_type": "application/yaml"}
    return 204, {"body": ""}


@pytest.mark.parametrize("name", PELICAN_ONLY)
def test_pelican_routes_on_the_wire(name, panel, pelican):
    op = OPERATIONS[name]
    path = op.path
    for key, value in params_of(name).items():
        path = path.replace("{" + key + "}", str(value))
    status, answer = answer_for(name)
    panel.add(op.method, BASE_URL + path.replace(":", "%3A"), status=status, **answer)
    body: t.Any = {"name": "x", "ids": [1, 2]} if op.body == "json" else None
    body = {"plugin": ("p.zip", b"PK\x03\x04")} if op.body == "multipart" else body
    body = EGG_YAML if op.body == "document" else body
    result = pelican.call(name, params_of(name), body=body)
    assert len(panel.calls) == 1
    sent = panel.calls[0].request
    assert sent.method == op.method
    assert urlsplit(sent.url).path == path.replace(":", "%3A")
    assert sent.headers["Authorization"] == f"Bearer {PELICAN_KEY}"
    if op.response == "item":
        assert result == {"id": 1}
    elif op.response == "list":
        assert result == [{"id": 1}]
    elif op.response == "text":
        assert result == EGG_YAML
    else:
        assert result is None
    if op.body == "json":
        assert sent.headers["Content-Type"] == "application/json" and json.loads(sent.body) == body
    elif op.body is None:
        assert "Content-Type" not in sent.headers and not sent.body


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("application.egg_catalog.list", "GET", "/api/application/eggs"),
        ("application.egg_catalog.delete_by_uuid", "DELETE", "/api/application/eggs/uuid/8b3a-uuid"),
        ("application.mounts.detach_server", "DELETE", "/api/application/mounts/6/servers/5"),
        ("application.mounts.attach_nodes", "POST", "/api/application/mounts/6/nodes"),
        ("application.users.assign_roles", "PATCH", "/api/application/users/7/roles/assign"),
        ("application.servers.transfer_cancel", "POST", "/api/application/servers/5/transfer/cancel"),
        ("application.database_hosts.update", "PATCH", "/api/application/database-hosts/1"),
        ("client.ssh_keys.delete_by_fingerprint", "DELETE", "/api/client/account/ssh-keys/SHA256:abc"),
        ("client.account.update_username", "PUT", "/api/client/account/username"),
        ("client.backups.rename", "PUT", "/api/client/servers/5/backups/6f1c1e5a-2c9e-4f0e-9a51-8f3c2b7d1e00/rename"),
        ("client.settings.description", "POST", "/api/client/servers/5/settings/description"),
    ],
)
def test_route_shapes(name, method, path):
    op = OPERATIONS[name]
    assert op.method == method
    filled = op.path
    for key, value in params_of(name).items():
        filled = filled.replace("{" + key + "}", str(value))
    assert filled == path


def test_a_fingerprint_is_sent_as_one_path_segment(panel, pelican):
    panel.add("DELETE", CLIENT + "/account/ssh-keys/SHA256%3Aab%2Fcd%2Bef", status=204)
    pelican.call("client.ssh_keys.delete_by_fingerprint", {"fingerprint": "SHA256:ab/cd+ef"})
    assert urlsplit(panel.calls[0].request.url).path == "/api/client/account/ssh-keys/SHA256%3Aab%2Fcd%2Bef"


def test_egg_export_returns_the_file_as_text(panel, pelican):
    panel.add(
        "GET",
        APP + "/eggs/4/export",
        body=EGG_JSON,
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="egg-paper.json"'},
    )
    assert pelican.call("application.egg_catalog.export", {"egg": 4}, query={"format": "json"}) == EGG_JSON
    assert parse_qsl(urlsplit(panel.calls[0].request.url).query) == [("format", "json")]


@pytest.mark.parametrize(
    ("body", "content_type", "raw"),
    [
        (EGG_YAML, "application/yaml", EGG_YAML.encode()),
        (EGG_YAML.encode(), "application/yaml", EGG_YAML.encode()),
        (EGG_JSON, "application/json", EGG_JSON.encode()),
        ({"uuid": "8b3a", "name": "Paper"}, "application/json", b'{"uuid":"8b3a","name":"Paper"}'),
    ],
)
def test_egg_import_sends_the_document_as_it_is_with_its_type(panel, pelican, body, content_type, raw):
    panel.add("POST", APP + "/eggs/import", status=201, json={"object": "egg", "attributes": {"id": 9}})
    assert pelican.call("application.egg_catalog.import", body=body) == {"id": 9}
    sent = panel.calls[0].request
    assert sent.headers["Content-Type"] == content_type
    assert sent.body == raw


def test_egg_import_refuses_other_bodies(pelican):
    with pytest.raises(TypeError, match=r"application\.egg_catalog\.import sends a YAML or JSON document"):
        pelican.call("application.egg_catalog.import", body=12)  # type: ignore[arg-type]


def test_plugin_upload_is_multipart(panel, pelican):
    panel.add("POST", APP + "/plugins/import/file", status=201, body="")
    assert pelican.call("application.plugins.import_file", body={"plugin": ("counter.zip", b"PK\x03\x04zip")}) is None
    sent = panel.calls[0].request
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="plugin"; filename="counter.zip"' in sent.body and b"PK\x03\x04zip" in sent.body


def test_deployable_nodes_are_one_unpaged_list_on_pelican(panel, pelican):
    panel.add(
        "GET", APP + "/nodes/deployable", json={"object": "list", "data": [{"object": "node", "attributes": {"id": 1}}]}
    )
    nodes = pelican.collect("application.nodes.deployable", query={"memory": 512, "disk": 1024, "tags[]": ["eu"]})
    assert nodes == [{"id": 1}]
    assert parse_qsl(urlsplit(panel.calls[0].request.url).query) == [
        ("memory", "512"),
        ("disk", "1024"),
        ("tags[]", "eu"),
    ]


def test_database_hosts_are_read_in_large_pages(panel, pelican):
    panel.add(
        "GET",
        APP + "/database-hosts",
        json={
            "object": "list",
            "data": [],
            "meta": {"pagination": {"total": 0, "count": 0, "per_page": 100, "current_page": 1, "total_pages": 1}},
        },
    )
    assert pelican.collect("application.database_hosts.list", query={"filter[name]": "mysql"}) == []
    assert ("per_page", "100") in parse_qsl(urlsplit(panel.calls[0].request.url).query)


# -- Pelican's answers ----------------------------------------------------------------------------


def test_a_transfer_the_node_cannot_take_is_explained(panel, pelican):
    panel.add("POST", APP + "/servers/5/transfer", status=406, body="")
    with pytest.raises(PanelError) as caught:
        pelican.call("application.servers.transfer", {"server": 5}, body={"node_id": 2, "allocation_id": 30})
    error = caught.value
    assert error.status == 406 and error.write_state == "not_applied"
    assert str(error) == (
        "POST /api/application/servers/5/transfer -> 406 Not Acceptable (the target node cannot take "
        "the server (not enough memory, disk or CPU, or the allocation is not free on it))"
    )
    assert error.detail.startswith("the target node cannot take the server")


def test_cancelling_no_transfer_is_explained(panel, pelican):
    panel.add("POST", APP + "/servers/5/transfer/cancel", status=406, body="")
    with pytest.raises(PanelError, match=r"406 Not Acceptable \(the server is not being transferred\)"):
        pelican.call("application.servers.transfer_cancel", {"server": 5})


def test_deleting_a_root_admin_is_explained_even_before_the_panel_is_known(panel, make_client):
    panel.add("DELETE", APP + "/users/7", status=403, json=[])
    client = make_client(panel="auto")  # a ptla_ key: users.delete is on both panels, so nothing is probed
    with pytest.raises(PanelError) as caught:
        client.call("application.users.delete", {"user": 7})
    assert len(panel.calls) == 1 and client.known_flavour is None
    assert str(caught.value) == (
        "DELETE /api/application/users/7 -> 403 Forbidden (Pelican does not delete a root admin through the API)"
    )


def test_a_forbidden_description_change_is_explained(panel, pelican):
    panel.add("POST", CLIENT + "/servers/ab12cd34/settings/description", status=403, json=[])
    with pytest.raises(PanelError, match=r"PANEL_EDITABLE_SERVER_DESCRIPTIONS is false"):
        pelican.call("client.settings.description", {"server": "ab12cd34"}, body={"description": "x"})


def test_a_duplicate_allocation_500_is_sent_once_and_explained(panel, make_client, sleeps):
    client = make_client(api_key=PELICAN_KEY, panel="auto", retries=3)
    panel.add("POST", APP + "/nodes/3/allocations", status=500, json=GENERIC_500)
    with pytest.raises(PanelError) as caught:
        client.call("application.allocations.create", {"node": 3}, body={"ip": "10.0.0.5", "ports": ["25565"]})
    assert len(panel.calls) == 1 and sleeps == []
    message = str(caught.value)
    assert "an allocation in the request already exists" in message
    assert "may have been applied: check before retrying" in message
    assert caught.value.write_state == "unknown"


@pytest.mark.parametrize("kind", ["eggs", "nodes", "servers"])
def test_a_mount_reattach_500_is_sent_once_and_explained(panel, make_client, sleeps, kind):
    client = make_client(api_key=PELICAN_KEY, panel="auto", retries=3)
    panel.add("POST", f"{APP}/mounts/6/{kind}", status=500, json=GENERIC_500)
    with pytest.raises(PanelError) as caught:
        client.call(f"application.mounts.attach_{kind}", {"mount": 6}, body={kind: [1]})
    assert len(panel.calls) == 1 and sleeps == []
    assert f"already attached to the mount (the request is not idempotent): list the mount's {kind}" in str(
        caught.value
    )


def test_mount_create_always_fails_and_says_where_to_create_it(panel, pelican):
    panel.add("POST", APP + "/mounts", status=500, json=GENERIC_500)
    with pytest.raises(PanelError, match="create the mount in the web interface"):
        pelican.call("application.mounts.create", body={"name": "maps", "source": "/a", "target": "/b"})
    assert len(panel.calls) == 1


def test_a_pelican_500_on_a_write_that_touches_wings_says_so(panel, make_client, sleeps):
    client = make_client(api_key=PELICAN_KEY, panel="auto", retries=3)
    panel.add("POST", APP + "/servers/5/suspend", status=500, json=GENERIC_500)
    with pytest.raises(PanelError) as caught:
        client.call("application.servers.suspend", {"server": 5})
    assert len(panel.calls) == 1
    assert PELICAN_GENERIC_500 in str(caught.value)


def test_a_pelican_500_on_a_read_is_retried_then_explained(panel, make_client, sleeps):
    client = make_client(api_key=PELICAN_KEY, panel="auto", retries=2)
    panel.add("GET", APP + "/mounts/6", status=500, json=GENERIC_500)
    with pytest.raises(PanelError) as caught:
        client.call("application.mounts.get", {"mount": 6})
    assert len(panel.calls) == 3
    assert PELICAN_GENERIC_500 in str(caught.value) and "(gave up after 3 attempts)" in str(caught.value)


def test_a_pterodactyl_500_does_not_mention_pelican(panel, make_client):
    panel.add("POST", APP + "/servers/5/suspend", status=500, json=GENERIC_500)
    with pytest.raises(PanelError) as caught:
        make_client(panel="pterodactyl", retries=0).call("application.servers.suspend", {"server": 5})
    assert "Pelican" not in str(caught.value)


def test_an_older_pelican_without_the_route_says_which_release_has_it(panel, pelican):
    panel.add(
        "POST",
        APP + "/eggs/import",
        status=404,
        json={
            "errors": [
                {
                    "code": "NotFoundHttpException",
                    "status": "404",
                    "detail": "The route api/application/eggs/import could not be found.",
                }
            ]
        },
    )
    with pytest.raises(PanelError) as caught:
        pelican.call("application.egg_catalog.import", body=EGG_YAML)
    assert (
        "the panel has no such route: application.egg_catalog.import needs Pelican beta30 or later "
        "(ptero.panel supports Pelican beta35 and later)"
    ) in str(caught.value)


def test_a_missing_object_is_not_called_a_missing_route(panel, pelican):
    panel.add(
        "GET",
        APP + "/mounts/99",
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
    with pytest.raises(PanelError) as caught:
        pelican.call("application.mounts.get", {"mount": 99})
    assert "needs Pelican" not in str(caught.value)


def test_a_per_server_limit_names_pelicans_release(panel, make_client):
    panel.add(
        "POST",
        CLIENT + "/servers/ab12cd34/schedules",
        status=429,
        headers={"Retry-After": "600", "X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0"},
        json={"errors": [{"code": "ThrottleRequestsException", "status": "429", "detail": "Too Many Attempts."}]},
    )
    client = make_client(api_key="pacc_PELICANkey01" + "S3CR3TPELICANVALUE0123456789ABCD", panel="auto")
    with pytest.raises(PanelError) as caught:
        client.call("client.schedules.create", {"server": "ab12cd34"}, body={"name": "x"})
    assert "(the panel allows 2 schedule creations per minute per server (Pelican beta31+)" in str(caught.value)
