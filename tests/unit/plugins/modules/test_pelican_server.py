"""The server module on Pelican (issue 15), at the HTTP level: the create and build bodies Pelican takes from the
same options (oom_killer for oom_disabled, deploy by tags with `locations: []` for beta38, docker_image/startup left
to the panel), eggs from Pelican's flat list with `nest` as an egg tag, servers without an allocation."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import server as server_module
from ansible_collections.ptero.panel.tests.unit.envelopes import listing as page

APP = "https://panel.example.test/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
JSON = {"Content-Type": "application/json"}


def envelope(kind, attributes):
    return {"object": kind, "attributes": attributes}


# A Pelican server: no nest; limits with oom_killer beside oom_disabled (its negation); allocation may be null.
SERVER = {
    "id": 7,
    "external_id": "ext-7",
    "uuid": "1a7ce997-259b-452e-8b4e-cecc464142ca",
    "identifier": "1a7ce997",
    "name": "survival",
    "description": "",
    "status": None,
    "suspended": False,
    "limits": {
        "memory": 2048,
        "swap": 0,
        "disk": 10000,
        "io": 500,
        "cpu": 0,
        "threads": None,
        "oom_disabled": True,
        "oom_killer": False,
    },
    "feature_limits": {"databases": 0, "allocations": 0, "backups": 0},
    "user": 2,
    "node": 1,
    "allocation": 41,
    "egg": 3,
    "container": {
        "startup_command": "java -jar {{SERVER_JARFILE}}",
        "image": "ghcr.io/pelican-eggs/yolks:java_21",
        "installed": 1,
        "environment": {"SERVER_JARFILE": "server.jar", "STARTUP": "x", "P_SERVER_UUID": "u"},
    },
    "relationships": {
        "allocations": {
            "object": "list",
            "data": [
                envelope(
                    "allocation",
                    {"id": 41, "ip": "192.0.2.1", "alias": None, "port": 25565, "notes": None, "assigned": True},
                )
            ],
        }
    },
}


def egg(egg_id, name, tags):
    # Pelican eggs: no nest, tags instead; variable rules as a list.
    return {
        "id": egg_id,
        "uuid": f"e{egg_id}",
        "name": name,
        "tags": tags,
        "docker_image": "ghcr.io/x:1",
        "docker_images": {"Java 21": "ghcr.io/x:1"},
        "startup": "java -jar {{SERVER_JARFILE}}",
        "relationships": {
            "variables": {
                "object": "list",
                "data": [
                    envelope(
                        "egg_variable",
                        {
                            "env_variable": "SERVER_JARFILE",
                            "default_value": "server.jar",
                            "rules": ["required", "string"],
                        },
                    )
                ],
            }
        },
    }


EGGS = [egg(3, "Paper", ["minecraft"]), egg(4, "Paper", ["minecraft-legacy"]), egg(5, "Rust", ["rust"])]
USER = {"id": 2, "username": "alice", "email": "alice@example.com", "root_admin": False}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/eggs", json=page("egg", EGGS))
        mock.get(f"{APP}/users", json=page("user", [USER]))
        yield mock


def writes(panel):
    return [
        (c.request.method, c.request.url.rsplit("/api/application", 1)[1], json.loads(c.request.body or "null"))
        for c in panel.calls
        if c.request.method != "GET"
    ]


def run(run_module, args, **kwargs):
    return run_module(
        server_module.main, {"api_key": PELICAN_KEY, "panel": "auto", "name": "survival", **args}, **kwargs
    )


def serve_create(panel):
    created = []

    def create(request):
        created.append(json.loads(request.body))
        return 201, JSON, json.dumps(envelope("server", SERVER))

    def listing(request):
        return 200, JSON, json.dumps(page("server", [SERVER] if created else []))

    panel.add_callback(responses.POST, f"{APP}/servers", callback=create)
    panel.add_callback(responses.GET, f"{APP}/servers", callback=listing)
    return created


CREATE = {"owner": "alice", "nest": "Minecraft", "egg": "Paper", "limits": {"memory": 2048, "disk": 10000}}


def test_create_by_deploy_tags_sends_what_pelican_takes(panel, run_module):
    created = serve_create(panel)
    outcome = run(run_module, {**CREATE, "deploy": {"tags": ["fra1"], "port_range": ["25565-25600"]}})
    assert not outcome.failed and outcome.result["changed"] is True, outcome.result
    (body,) = created
    # beta38 requires `locations` present beside `tags`; later releases ignore it.
    assert body["deploy"] == {"tags": ["fra1"], "locations": [], "dedicated_ip": False, "port_range": ["25565-25600"]}
    # oom_disabled (default true) goes as Pelican's oom_killer, its negation; oom_disabled itself is ignored there.
    assert body["oom_killer"] is False and "oom_disabled" not in body and "oom_disabled" not in body["limits"]
    # Pelican picks the egg's first image and startup command itself.
    assert "docker_image" not in body and "startup" not in body
    # The egg tagged 'minecraft' (nest, without case), not the other egg named Paper.
    assert body["egg"] == 3 and body["environment"] == {"SERVER_JARFILE": "server.jar"}
    assert not any("/nests" in c.request.url for c in panel.calls)
    assert outcome.result["warnings"] == []


def test_oom_disabled_false_is_oom_killer_true(panel, run_module):
    created = serve_create(panel)
    run(run_module, {**CREATE, "limits": {**CREATE["limits"], "oom_disabled": False}, "allocation": "41"})
    assert created[0]["oom_killer"] is True and created[0]["allocation"] == {"default": 41, "additional": []}


def test_deploy_by_location_ids_fails_before_anything_is_sent(panel, run_module):
    serve_create(panel)
    outcome = run(run_module, {**CREATE, "deploy": {"locations": [1], "port_range": ["25565"]}})
    assert outcome.failed and writes(panel) == []
    assert outcome.result["msg"].startswith("deploy.locations: Pelican has no locations")


def test_an_empty_port_range_warns_that_pelican_gives_no_allocation(panel, run_module):
    created = serve_create(panel)
    outcome = run(run_module, {**CREATE, "deploy": {"tags": ["fra1"]}}, check_mode=True)
    assert outcome.result["changed"] is True and created == [] and writes(panel) == []
    assert any("without any allocation" in warning for warning in outcome.result["warnings"])


def test_deploy_tags_fail_on_pterodactyl(panel, run_module):
    panel.get(f"{APP}/servers", json=page("server", []))
    panel.get(f"{APP}/nests", json=page("nest", [{"id": 1, "name": "Minecraft"}]))
    panel.get(f"{APP}/nests/1/eggs", json={"object": "list", "data": [envelope("egg", {**EGGS[0], "nest": 1})]})
    outcome = run_module(
        server_module.main, {"panel": "pterodactyl", "name": "survival", **CREATE, "deploy": {"tags": ["fra1"]}}
    )
    assert outcome.failed and writes(panel) == []
    assert outcome.result["msg"].startswith("deploy.tags: node tags exist only on Pelican")


def test_an_egg_name_shared_by_two_eggs_needs_a_tag(panel, run_module):
    serve_create(panel)
    outcome = run(run_module, {**CREATE, "nest": None, "allocation": "41"})
    assert outcome.failed and writes(panel) == []
    assert "egg: 'Paper' names 2 eggs (ids 3, 4)" in outcome.result["msg"]


def test_the_same_options_again_is_no_change(panel, run_module):
    panel.get(f"{APP}/servers/external/ext-7", json=envelope("server", SERVER))
    outcome = run(
        run_module,
        {"external_id": "ext-7", **CREATE, "limits": {"memory": 2048, "oom_disabled": True}, "allocation": "41"},
        diff=True,
    )
    assert outcome.result["changed"] is False and writes(panel) == [], outcome.result


def test_a_build_change_sends_oom_killer_and_clean_limits(panel, run_module):
    panel.get(f"{APP}/servers/external/ext-7", json=envelope("server", SERVER))
    panel.get(f"{APP}/servers/7", json=envelope("server", SERVER))
    panel.patch(f"{APP}/servers/7/build", json=envelope("server", SERVER))
    outcome = run(run_module, {"external_id": "ext-7", "limits": {"memory": 4096, "oom_disabled": False}})
    assert outcome.result["changed_fields"] == ["limits"]
    ((_method, path, body),) = writes(panel)
    assert path == "/servers/7/build"
    assert body["oom_killer"] is True and "oom_disabled" not in body
    assert body["limits"] == {"memory": 4096, "swap": 0, "disk": 10000, "io": 500, "cpu": 0, "threads": None}
    assert body["allocation"] == 41


def test_a_server_without_an_allocation_keeps_none(panel, run_module):
    bare = {**SERVER, "allocation": None, "relationships": {"allocations": {"object": "list", "data": []}}}
    panel.get(f"{APP}/servers/external/ext-7", json=envelope("server", bare))
    panel.get(f"{APP}/servers/7", json=envelope("server", bare))
    panel.patch(f"{APP}/servers/7/build", json=envelope("server", bare))
    outcome = run(run_module, {"external_id": "ext-7", "limits": {"memory": 4096}})
    assert not outcome.failed, outcome.result
    ((_method, _path, body),) = writes(panel)
    assert "allocation" not in body and "add_allocations" not in body
