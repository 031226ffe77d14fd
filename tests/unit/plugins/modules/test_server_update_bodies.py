"""The server module sends complete bodies to the replace-style PATCH endpoints: changing one option never
clears another (external_id, description, feature limits, egg variables)."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import server as server_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"


SERVER = {
    "id": 7,
    "external_id": "ext-7",
    "uuid": "1a7ce997-259b-452e-8b4e-cecc464142ca",
    "identifier": "1a7ce997",
    "name": "survival",
    "description": "World one",
    "status": None,
    "suspended": False,
    "limits": {"memory": 2048, "swap": 0, "disk": 10000, "io": 500, "cpu": 0, "threads": None, "oom_disabled": True},
    "feature_limits": {"databases": 2, "allocations": 1, "backups": 3},
    "user": 2,
    "node": 1,
    "allocation": 41,
    "nest": 1,
    "egg": 3,
    "container": {
        "startup_command": "java -jar {{SERVER_JARFILE}}",
        "image": "ghcr.io/pterodactyl/yolks:java_17",
        "installed": 1,
        "environment": {
            "SERVER_JARFILE": "server.jar",
            "BUILD_NUMBER": "latest",
            "MINECRAFT_VERSION": "1.20.4",
            "STARTUP": "x",
            "P_SERVER_LOCATION": "fra1",
            "P_SERVER_UUID": "u",
            "P_SERVER_ALLOCATION_LIMIT": 1,
        },
    },
    "relationships": {
        "allocations": {
            "object": "list",
            "data": [
                item(
                    "allocation",
                    {"id": 41, "ip": "192.0.2.1", "alias": None, "port": 25565, "notes": None, "assigned": True},
                )
            ],
        }
    },
}
EGG = item(
    "egg",
    {
        "id": 3,
        "nest": 1,
        "name": "Paper",
        "docker_image": "ghcr.io/pterodactyl/yolks:java_17",
        "docker_images": {"Java 17": "ghcr.io/pterodactyl/yolks:java_17"},
        "startup": "java -jar {{SERVER_JARFILE}}",
        "relationships": {
            "variables": {
                "object": "list",
                "data": [
                    item("egg_variable", {"env_variable": name, "default_value": default})
                    for name, default in (
                        ("SERVER_JARFILE", "server.jar"),
                        ("BUILD_NUMBER", "latest"),
                        ("MINECRAFT_VERSION", "latest"),
                    )
                ],
            }
        },
    },
)


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/servers/external/ext-7", json=item("server", SERVER))
        mock.get(f"{APP}/servers/7", json=item("server", SERVER))
        mock.get(f"{APP}/nests/1", json=item("nest", {"id": 1, "name": "Minecraft"}))
        mock.get(f"{APP}/nests/1/eggs/3", json=EGG)
        for endpoint in ("details", "build", "startup"):
            mock.patch(f"{APP}/servers/7/{endpoint}", json=item("server", SERVER))
        yield mock


def sent(panel, endpoint):
    bodies = [
        json.loads(call.request.body)
        for call in panel.calls
        if call.request.method == "PATCH" and call.request.url.endswith(f"/{endpoint}")
    ]
    return bodies


def test_noop_sends_nothing(panel, run_module):
    outcome = run_module(
        server_module.main,
        {
            "name": "survival",
            "external_id": "ext-7",
            "limits": {"memory": 2048},
            "environment": {"BUILD_NUMBER": "latest"},
        },
    )
    assert outcome.result["changed"] is False, outcome.result
    assert [c.request.method for c in panel.calls] == ["GET"]


def test_memory_change_keeps_the_other_limits(panel, run_module):
    outcome = run_module(server_module.main, {"name": "survival", "external_id": "ext-7", "limits": {"memory": 4096}})
    assert outcome.result["changed_fields"] == ["limits"]
    (body,) = sent(panel, "build")
    assert body["limits"] == {"memory": 4096, "swap": 0, "disk": 10000, "io": 500, "cpu": 0, "threads": None}
    assert body["feature_limits"] == {"databases": 2, "allocations": 1, "backups": 3}
    assert body["allocation"] == 41 and body["oom_disabled"] is True
    assert not sent(panel, "details") and not sent(panel, "startup")


def test_rename_keeps_external_id_and_description(panel, run_module):
    run_module(server_module.main, {"name": "renamed", "external_id": "ext-7"})
    (body,) = sent(panel, "details")
    assert body == {"name": "renamed", "user": 2, "external_id": "ext-7", "description": "World one"}


def test_one_variable_sends_the_complete_environment(panel, run_module):
    run_module(server_module.main, {"name": "survival", "external_id": "ext-7", "environment": {"BUILD_NUMBER": 196}})
    (body,) = sent(panel, "startup")
    assert body["environment"] == {"SERVER_JARFILE": "server.jar", "BUILD_NUMBER": "196", "MINECRAFT_VERSION": "1.20.4"}
    assert body["egg"] == 3 and body["image"] == SERVER["container"]["image"]
    assert body["startup"] == SERVER["container"]["startup_command"]


def test_check_mode_writes_nothing(panel, run_module):
    outcome = run_module(
        server_module.main, {"name": "renamed", "external_id": "ext-7", "limits": {"memory": 1}}, check_mode=True
    )
    assert outcome.result["changed"] is True
    assert all(c.request.method == "GET" for c in panel.calls)
