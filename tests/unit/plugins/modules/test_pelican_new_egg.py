"""The Pelican-only egg module: import from a file or inline content, matched by uuid; a file without uuid fails
(or takes the uuid option); a second import of the same file is no change (the export is compared after
normalising); state absent by uuid; check/diff mode; Pterodactyl refused before any request."""

from __future__ import annotations

import json

import pytest
import responses
import yaml

from ansible_collections.ptero.panel.plugins.modules import egg as egg_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
UUID = "5c2d1c50-8a64-4f4e-9a8e-0f6d3b1e7a21"

# A Pterodactyl PTDL_v2 export: no uuid, configuration as JSON strings, rules as a pipe string, one startup string.
PTDL_V2 = {
    "_comment": "DO NOT EDIT: FILE GENERATED AUTOMATICALLY BY PTERODACTYL PANEL",
    "meta": {"version": "PTDL_v2", "update_url": None},
    "exported_at": "2024-01-01T00:00:00+00:00",
    "name": "Forge",
    "author": "support@example.com",
    "description": "Minecraft Forge",
    "features": ["eula"],
    "docker_images": {"Java 17": "ghcr.io/example/java:17"},
    "file_denylist": [],
    "startup": "java -jar server.jar",
    "config": {
        "files": '{\r\n    "server.properties": {}\r\n}',
        "startup": '{"done": ")! For help"}',
        "logs": "{}",
        "stop": "stop",
    },
    "scripts": {
        "installation": {
            "script": "#!/bin/bash\r\necho install",
            "container": "ghcr.io/example/installer",
            "entrypoint": "bash",
        }
    },
    "variables": [
        {
            "name": "Version",
            "description": "Forge version",
            "env_variable": "FORGE_VERSION",
            "default_value": "latest",
            "user_viewable": True,
            "user_editable": True,
            "rules": "required|string|max:20",
            "field_type": "text",
        }
    ],
}


def pelican_export(document, **changes):
    """What Pelican's export of the imported egg looks like: PLCN_v3, data instead of JSON strings."""
    exported = {
        "_comment": "DO NOT EDIT: FILE GENERATED AUTOMATICALLY BY PANEL",
        "meta": {"version": "PLCN_v3", "update_url": None},
        "exported_at": "2026-12-06T12:00:00+00:00",
        "name": document["name"],
        "author": document["author"],
        "uuid": UUID,
        "description": document["description"],
        "tags": [],
        "features": document["features"],
        "docker_images": document["docker_images"],
        "file_denylist": [],
        "startup_commands": {"Default": document["startup"]},
        "config": {"files": {"server.properties": {}}, "startup": {"done": ")! For help"}, "logs": [], "stop": "stop"},
        "scripts": {
            "installation": {
                "script": "#!/bin/bash\necho install",
                "container": "ghcr.io/example/installer",
                "entrypoint": "bash",
            }
        },
        "variables": [
            {
                "sort": 1,
                "name": "Version",
                "description": "Forge version",
                "env_variable": "FORGE_VERSION",
                "default_value": "latest",
                "user_viewable": True,
                "user_editable": True,
                "rules": ["required", "string", "max:20"],
            }
        ],
    }
    exported.update(changes)
    return json.dumps(exported)


EGG = {"id": 12, "uuid": UUID, "name": "Forge", "author": "support@example.com", "tags": []}


def eggs(*items):
    return {"object": "list", "data": [item("egg", egg) for egg in items]}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def writes(panel):
    return [
        (call.request.method, call.request.url.split("/api/application/")[1].split("?")[0], call.request)
        for call in panel.calls
        if call.request.method != "GET"
    ]


def run(run_module, args, **kwargs):
    return run_module(egg_module.main, {"api_key": PELICAN_KEY, **args}, **kwargs)


def test_a_file_without_uuid_fails_before_any_request(panel, run_module):
    outcome = run(run_module, {"content": json.dumps(PTDL_V2)})
    assert outcome.failed
    assert outcome.result["msg"].startswith("content: the egg file has no uuid (Pterodactyl PTDL_v2 exports have none)")
    assert "Set the uuid option" in outcome.result["msg"]
    assert len(panel.calls) == 0


def test_the_uuid_option_is_injected_into_the_import(panel, run_module):
    panel.get(f"{APP}/eggs", json=eggs())
    panel.post(f"{APP}/eggs/import", json=item("egg", EGG), status=201)
    outcome = run(run_module, {"content": json.dumps(PTDL_V2), "uuid": UUID.upper()})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["egg"]["id"] == 12
    [(method, path, request)] = writes(panel)
    assert (method, path) == ("POST", "eggs/import")
    sent = json.loads(request.body)
    assert sent["uuid"] == UUID and sent["name"] == "Forge" and sent["variables"] == PTDL_V2["variables"]


def test_a_second_import_of_the_same_file_is_no_change(panel, run_module):
    panel.get(f"{APP}/eggs", json=eggs(EGG))
    export = panel.get(f"{APP}/eggs/12/export", body=pelican_export(PTDL_V2), content_type="application/json")
    outcome = run(run_module, {"content": json.dumps(PTDL_V2), "uuid": UUID}, diff=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and writes(panel) == []
    assert "format=json" in export.calls[0].request.url
    assert outcome.result["diff"]["before"] == outcome.result["diff"]["after"]


def test_a_changed_file_is_imported_again_naming_the_fields(panel, run_module, tmp_path):
    panel.get(f"{APP}/eggs", json=eggs(EGG))
    panel.get(f"{APP}/eggs/12/export", body=pelican_export(PTDL_V2), content_type="application/json")
    panel.post(f"{APP}/eggs/import", json=item("egg", EGG), status=201)
    changed = {**PTDL_V2, "uuid": UUID, "docker_images": {"Java 21": "ghcr.io/example/java:21"}}
    source = tmp_path / "egg-forge.yaml"
    text = yaml.safe_dump(changed)
    source.write_text(text)
    outcome = run(run_module, {"src": str(source)}, diff=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["changed_fields"] == ["docker_images"]
    [(_method, _path, request)] = writes(panel)
    # A file with a uuid is sent as it is, labelled as YAML.
    assert request.body in (text, text.encode())
    assert "yaml" in request.headers["Content-Type"]
    assert outcome.result["diff"]["after"]["docker_images"] == {"Java 21": "ghcr.io/example/java:21"}


def test_changed_variable_rules_are_a_change(panel, run_module):
    panel.get(f"{APP}/eggs", json=eggs(EGG))
    variables = [{**PTDL_V2["variables"][0], "rules": ["required", "string", "max:40"]}]
    panel.get(
        f"{APP}/eggs/12/export", body=pelican_export(PTDL_V2, variables=variables), content_type="application/json"
    )
    outcome = run(run_module, {"content": json.dumps(PTDL_V2), "uuid": UUID}, check_mode=True)
    assert outcome.result["changed"] is True and outcome.result["changed_fields"] == ["variables"]
    assert writes(panel) == []


def test_check_mode_for_a_new_egg_writes_nothing(panel, run_module):
    panel.get(f"{APP}/eggs", json=eggs())
    outcome = run(run_module, {"content": json.dumps({**PTDL_V2, "uuid": UUID})}, check_mode=True)
    assert outcome.result["changed"] is True and outcome.result["egg"]["uuid"] == UUID
    assert writes(panel) == []


def test_a_uuid_option_contradicting_the_file_fails(panel, run_module):
    other = "7d3e2d61-9b75-4a5f-8b9f-1a7e4c2f8b32"
    outcome = run(run_module, {"content": json.dumps({**PTDL_V2, "uuid": UUID}), "uuid": other})
    assert outcome.failed and outcome.result["msg"].startswith(f"uuid: {other} differs from the uuid in content")
    assert len(panel.calls) == 0


def test_content_that_is_not_an_egg_fails_naming_the_option(panel, run_module):
    for content in ("[1, 2]", "name: [unclosed", "just words"):
        outcome = run(run_module, {"content": content})
        assert outcome.failed and outcome.result["msg"].startswith("content: "), outcome.result["msg"]
    assert len(panel.calls) == 0


def test_absent_deletes_by_uuid(panel, run_module):
    panel.get(f"{APP}/eggs", json=eggs(EGG))
    panel.delete(f"{APP}/eggs/uuid/{UUID}", status=204)
    outcome = run(run_module, {"uuid": UUID, "state": "absent"})
    assert outcome.result["changed"] is True and outcome.result["egg"] is None
    assert [(m, p) for m, p, _r in writes(panel)] == [("DELETE", f"eggs/uuid/{UUID}")]


def test_absent_when_missing_is_no_change(panel, run_module):
    panel.get(f"{APP}/eggs", json=eggs())
    outcome = run(run_module, {"uuid": UUID, "state": "absent"})
    assert outcome.result["changed"] is False and writes(panel) == []


def test_present_needs_a_file(panel, run_module):
    outcome = run(run_module, {"uuid": UUID})
    assert outcome.failed and outcome.result["msg"] == "state=present needs the egg file: set src or content"


def test_pterodactyl_is_refused_before_any_request(panel, run_module):
    outcome = run_module(egg_module.main, {"content": json.dumps({**PTDL_V2, "uuid": UUID}), "panel": "pterodactyl"})
    assert outcome.failed and outcome.result["msg"].startswith("ptero.panel.egg needs a Pelican panel")
    assert len(panel.calls) == 0


def test_an_empty_variable_description_and_a_null_one_are_the_same(panel, run_module):
    document = {**PTDL_V2, "variables": [{**PTDL_V2["variables"][0], "description": ""}]}
    exported_variables = [{**PTDL_V2["variables"][0], "description": None, "rules": ["required", "string", "max:20"]}]
    panel.get(f"{APP}/eggs", json=eggs(EGG))
    panel.get(
        f"{APP}/eggs/12/export",
        body=pelican_export(document, variables=exported_variables),
        content_type="application/json",
    )
    outcome = run(run_module, {"content": json.dumps(document), "uuid": UUID})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False
