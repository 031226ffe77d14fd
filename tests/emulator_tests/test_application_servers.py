"""Application API: servers (routes 22-33) - creation with egg variables and deploy, the replace-style PATCH
quirks, build allocation rules, suspend/reinstall life cycles, includes and deletion."""

from __future__ import annotations

from typing import Any

import pytest

from ptero_emulator.fixture import Api, RunningEmulator, error_of, validation_fields, wait_until

PAPER_ENVIRONMENT = {
    "MINECRAFT_VERSION": "1.20.4",
    "SERVER_JARFILE": "server.jar",
    "DL_PATH": "",
    "BUILD_NUMBER": "latest",
}


@pytest.fixture(scope="module")
def api(app_api: Api) -> Api:
    return app_api


def free_allocation(api: Api, node_id: int = 1) -> int:
    rows = api.get(f"nodes/{node_id}/allocations", params={"filter[server_id]": "none", "per_page": 500}).json()
    return rows["data"][0]["attributes"]["id"]


def server_body(api: Api, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Created",
        "user": 2,
        "egg": 1,
        "docker_image": "ghcr.io/pterodactyl/yolks:java_17",
        "startup": "java -jar {{SERVER_JARFILE}}",
        "environment": dict(PAPER_ENVIRONMENT),
        "limits": {"memory": 1024, "swap": 0, "disk": 2048, "io": 500, "cpu": 100},
        "feature_limits": {"databases": 1, "backups": 1},
    }
    if "deploy" not in overrides:
        body["allocation"] = {"default": free_allocation(api)}
    body.update(overrides)
    return body


def create_server(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("servers", server_body(api, **overrides))
    assert response.status_code == 201, response.text
    return response.json()["attributes"]


def get_server(api: Api, server_id: int, include: str | None = None) -> dict[str, Any]:
    params = {"include": include} if include else {}
    response = api.get(f"servers/{server_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["attributes"]


def wait_installed(api: Api, server_id: int) -> dict[str, Any]:
    def installed() -> dict[str, Any] | None:
        server = get_server(api, server_id)
        return server if server["status"] is None else None

    return wait_until(installed, timeout=5)


def test_server_attributes(api: Api) -> None:
    server = get_server(api, 1)
    assert server["identifier"] == server["uuid"][:8]
    assert server["limits"] == {
        "memory": 2048,
        "swap": 0,
        "disk": 10240,
        "io": 500,
        "cpu": 100,
        "threads": None,
        "oom_disabled": True,
    }
    assert server["feature_limits"] == {"databases": 2, "allocations": 3, "backups": 3}
    container = server["container"]
    assert container["installed"] == 1
    assert container["environment"]["SERVER_JARFILE"] == "server.jar"
    assert container["environment"]["P_SERVER_LOCATION"] == "de.fra"
    assert container["environment"]["P_SERVER_UUID"] == server["uuid"]
    assert container["environment"]["STARTUP"] == container["startup_command"]


def test_create_installs_and_stores_variables(api: Api) -> None:
    environment = dict(PAPER_ENVIRONMENT)
    del environment["MINECRAFT_VERSION"]  # omitted variables are stored as '' (not the egg default)
    created = create_server(
        api,
        name="Fresh",
        environment=environment,
        external_id="fresh-1",
        feature_limits={"databases": None, "backups": None},
    )
    assert created["status"] == "installing" and created["container"]["installed"] == 0
    assert created["feature_limits"] == {"databases": 0, "allocations": 0, "backups": 0}
    assert created["limits"]["oom_disabled"] is True
    assert created["nest"] == 1 and created["node"] == 1
    installed = wait_installed(api, created["id"])
    assert installed["container"]["installed"] == 1
    variables = get_server(api, created["id"], "variables")["relationships"]["variables"]["data"]
    values = {v["attributes"]["env_variable"]: v["attributes"]["server_value"] for v in variables}
    assert values["MINECRAFT_VERSION"] == "" and values["SERVER_JARFILE"] == "server.jar"
    assert variables[0]["object"] == "server_variable"
    assert api.get("servers/external/fresh-1").json()["attributes"]["id"] == created["id"]
    allocation = api.get("nodes/1/allocations", params={"filter[server_id]": str(created["id"])}).json()
    assert [a["attributes"]["id"] for a in allocation["data"]] == [created["allocation"]]
    assert "meta" not in api.post("servers", server_body(api, name="No meta")).json()


def test_create_validation(api: Api) -> None:
    assert validation_fields(api.post("servers", {})) == {
        "name": "required",
        "user": "required",
        "egg": "required",
        "docker_image": "required",
        "startup": "required",
        "environment": "present",
        "limits": "required",
        "limits.memory": "required",
        "limits.swap": "required",
        "limits.disk": "required",
        "limits.io": "required",
        "limits.cpu": "required",
        "feature_limits": "required",
        "feature_limits.databases": "present",
        "feature_limits.backups": "present",
        "allocation.default": "required",
    }
    body = server_body(
        api,
        user=999,
        docker_image="bad image!",
        limits={"memory": -1, "swap": -2, "disk": 0, "io": 5, "cpu": 0, "threads": "a"},
        feature_limits={"allocations": 1},
    )
    assert validation_fields(api.post("servers", body)) == {
        "user": "exists",
        "docker_image": "regex",
        "limits.memory": "min",
        "limits.swap": "min",
        "limits.io": "between",
        "limits.threads": "regex",
        "feature_limits.databases": "present",
        "feature_limits.backups": "present",
    }
    used = api.post("servers", server_body(api, allocation={"default": 1}))
    assert validation_fields(used) == {"allocation.default": "exists"}


def test_egg_variables_are_validated_with_their_rules(api: Api) -> None:
    response = api.post(
        "servers", server_body(api, environment={"SERVER_JARFILE": "server.zip", "MINECRAFT_VERSION": "x" * 30})
    )
    assert validation_fields(response) == {
        "environment.MINECRAFT_VERSION": "max",
        "environment.SERVER_JARFILE": "regex",
        "environment.BUILD_NUMBER": "required",
    }
    details = {e["meta"]["source_field"]: e["detail"] for e in response.json()["errors"]}
    assert details["environment.BUILD_NUMBER"] == "The Build Number variable field is required."
    assert details["environment.SERVER_JARFILE"] == "The Server Jar File variable format is invalid."


def test_create_with_deploy(api: Api) -> None:
    body = server_body(
        api, name="Deployed", deploy={"locations": [2], "dedicated_ip": False, "port_range": ["27015-27019"]}
    )
    created = api.post("servers", body)
    assert created.status_code == 201, created.text
    attributes = created.json()["attributes"]
    assert attributes["node"] == 2
    allocation = get_server(api, attributes["id"], "allocations")["relationships"]["allocations"]["data"][0]
    assert 27015 <= allocation["attributes"]["port"] <= 27019
    assert validation_fields(api.post("servers", server_body(api, deploy={"locations": [2]}))) == {
        "deploy.dedicated_ip": "required_with",
        "deploy.port_range": "present",
    }
    no_node = api.post(
        "servers",
        server_body(
            api,
            deploy={"locations": [1], "dedicated_ip": False, "port_range": []},
            limits={"memory": 10**7, "swap": 0, "disk": 1, "io": 500, "cpu": 0},
        ),
    )
    assert error_of(no_node)["code"] == "NoViableNodeException"
    no_port = api.post(
        "servers", server_body(api, deploy={"locations": [2], "dedicated_ip": "yes", "port_range": ["40000"]})
    )
    assert no_port.status_code == 400
    assert error_of(no_port) == {
        "code": "NoViableAllocationException",
        "status": "400",
        "detail": "No allocations satisfying the requirements for automatic deployment were found.",
    }


def test_create_fails_cleanly_when_wings_is_down(module_emulator: RunningEmulator, api: Api) -> None:
    before = api.get("servers").json()["meta"]["pagination"]["total"]
    module_emulator.configure(daemon_unreachable=True)
    try:
        response = api.post("servers", server_body(api, name="Never"))
    finally:
        module_emulator.configure(daemon_unreachable=False)
    assert response.status_code == 504 and error_of(response)["code"] == "DaemonConnectionException"
    assert api.get("servers").json()["meta"]["pagination"]["total"] == before


def test_details_patch_is_a_put(api: Api) -> None:
    server = create_server(api, name="Details", external_id="details-ext", description="keep me?")
    response = api.patch(f"servers/{server['id']}/details", {"name": "Renamed", "user": 1})
    assert response.status_code == 200
    attributes = response.json()["attributes"]
    assert (attributes["name"], attributes["user"]) == ("Renamed", 1)
    assert attributes["external_id"] is None and attributes["description"] == ""
    assert validation_fields(api.patch(f"servers/{server['id']}/details", {"name": "x"})) == {"user": "required"}


def test_build_patch(api: Api) -> None:
    server = create_server(api, name="Build")
    extra = free_allocation(api)
    body = {
        "allocation": server["allocation"],
        "memory": 512,
        "swap": -1,
        "disk": 1000,
        "io": 100,
        "cpu": 50,
        "threads": "0-1",
        "feature_limits": {"databases": None, "backups": None},
        "add_allocations": [extra, 1],
    }  # 1 belongs to another server: ignored
    response = api.patch(f"servers/{server['id']}/build", body)
    assert response.status_code == 200, response.text
    attributes = response.json()["attributes"]
    assert attributes["limits"]["memory"] == 512 and attributes["limits"]["threads"] == "0-1"
    # null databases = unlimited on build; absent allocations -> NULL; null backups -> 0.
    assert attributes["feature_limits"] == {"databases": None, "allocations": None, "backups": 0}
    ports = get_server(api, server["id"], "allocations")["relationships"]["allocations"]["data"]
    assert {a["attributes"]["id"] for a in ports} == {server["allocation"], extra}
    # Removing the primary without adding a fallback is refused.
    refused = api.patch(
        f"servers/{server['id']}/build", {**body, "add_allocations": [], "remove_allocations": [server["allocation"]]}
    )
    assert refused.status_code == 400
    assert error_of(refused)["detail"] == (
        "You are attempting to delete the default allocation for this server "
        "but there is no fallback allocation to use."
    )
    # A primary that is not assigned to the server is refused.
    foreign = api.patch(
        f"servers/{server['id']}/build", {**body, "allocation": free_allocation(api), "add_allocations": []}
    )
    assert error_of(foreign)["detail"] == "The requested default allocation is not currently assigned to this server."
    # Switch the primary to the extra allocation and drop the old one.
    switched = api.patch(
        f"servers/{server['id']}/build",
        {
            **body,
            "allocation": extra,
            "add_allocations": [],
            "remove_allocations": [server["allocation"]],
            "limits": {"memory": 256, "swap": 0, "disk": 1, "io": 10, "cpu": 0},
        },
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["attributes"]["allocation"] == extra
    assert switched.json()["attributes"]["limits"]["memory"] == 256
    assert validation_fields(api.patch(f"servers/{server['id']}/build", {"allocation": extra})) == {
        "memory": "required_without",
        "swap": "required_without",
        "disk": "required_without",
        "io": "required_without",
        "cpu": "required_without",
        "feature_limits": "required",
        "feature_limits.databases": "present",
        "feature_limits.backups": "present",
    }


def test_startup_patch_empties_omitted_variables(api: Api) -> None:
    server = create_server(api, name="Startup")
    base = {
        "startup": "java -jar new.jar",
        "egg": 1,
        "image": "ghcr.io/pterodactyl/yolks:java_21",
        "skip_scripts": False,
    }
    unchanged = api.patch(f"servers/{server['id']}/startup", {**base, "environment": {}})
    assert unchanged.status_code == 200
    assert unchanged.json()["attributes"]["container"]["environment"]["MINECRAFT_VERSION"] == "1.20.4"
    partial = api.patch(
        f"servers/{server['id']}/startup", {**base, "environment": {"SERVER_JARFILE": "new.jar", "BUILD_NUMBER": "100"}}
    )
    assert partial.status_code == 200, partial.text
    environment = partial.json()["attributes"]["container"]["environment"]
    assert environment["SERVER_JARFILE"] == "new.jar" and environment["MINECRAFT_VERSION"] == ""
    assert partial.json()["attributes"]["container"]["image"] == "ghcr.io/pterodactyl/yolks:java_21"
    assert validation_fields(api.patch(f"servers/{server['id']}/startup", {"startup": "x"})) == {
        "environment": "present",
        "egg": "required",
        "image": "required",
        "skip_scripts": "present",
    }
    vanilla = api.patch(
        f"servers/{server['id']}/startup",
        {**base, "egg": 2, "environment": {"SERVER_JARFILE": "server.jar", "VANILLA_VERSION": "1.20.4"}},
    )
    assert (vanilla.json()["attributes"]["egg"], vanilla.json()["attributes"]["nest"]) == (2, 1)


def test_suspend_unsuspend_reinstall(api: Api) -> None:
    server = wait_installed(api, create_server(api, name="Lifecycle")["id"])
    for _unused in range(2):  # idempotent
        assert api.post(f"servers/{server['id']}/suspend").status_code == 204
    suspended = get_server(api, server["id"])
    assert suspended["status"] == "suspended" and suspended["suspended"] is True
    assert api.post(f"servers/{server['id']}/unsuspend").status_code == 204
    assert api.post(f"servers/{server['id']}/unsuspend").status_code == 204
    assert get_server(api, server["id"])["status"] is None
    # Reinstalling a suspended server replaces "suspended" with "installing": it ends up unsuspended.
    assert api.post(f"servers/{server['id']}/suspend").status_code == 204
    assert api.post(f"servers/{server['id']}/reinstall").status_code == 204
    assert get_server(api, server["id"])["status"] == "installing"
    assert wait_installed(api, server["id"])["suspended"] is False


def test_suspending_while_installing_stays_suspended(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.configure(install_seconds=30)
    try:
        server = create_server(api, name="Installing")
        assert api.post(f"servers/{server['id']}/suspend").status_code == 204
        assert module_emulator.advance("install") >= 1  # the install finishes now
    finally:
        module_emulator.configure(install_seconds=0.3)
    assert get_server(api, server["id"])["status"] == "suspended"


def test_includes(api: Api) -> None:
    included = get_server(api, 1, "allocations,user,subusers,nest,egg,location,node,databases")["relationships"]
    assert included["user"]["attributes"]["username"] == "player"
    assert included["subusers"]["data"][0]["object"] == "subuser"
    assert included["databases"]["data"][0]["object"] == "databases"  # quirk: not server_database
    assert included["location"]["attributes"]["short"] == "de.fra"
    assert included["egg"]["attributes"]["name"] == "Paper"
    nested = get_server(api, 1, "allocations.node")["relationships"]["allocations"]["data"][0]
    assert nested["attributes"]["relationships"]["node"]["attributes"]["id"] == 1
    assert api.get("servers/1", params={"include": "transfer"}).status_code == 500
    assert api.get("servers/1", params={"include": "variables.parent"}).status_code == 500
    assert api.get("servers/1", params={"include": "unknown"}).status_code == 200


def test_list_filters(api: Api) -> None:
    names = [s["attributes"]["name"] for s in api.get("servers", params={"filter[name]": "island"}).json()["data"]]
    assert names == ["Rust Island"]
    identifier = get_server(api, 2)["identifier"]
    assert [
        s["attributes"]["id"] for s in api.get("servers", params={"filter[uuidShort]": identifier}).json()["data"]
    ] == [2]
    assert api.get("servers", params={"filter[owner]": "2"}).status_code == 400


def test_delete_routes(api: Api) -> None:
    server = create_server(api, name="Doomed")
    allocation = server["allocation"]
    # Quirk: any extra segment deletes the server (only "force" forces).
    assert api.delete(f"servers/{server['id']}/databases").status_code == 204
    assert api.get(f"servers/{server['id']}").status_code == 404
    assert api.delete(f"servers/{server['id']}").status_code == 404
    row = api.get("nodes/1/allocations", params={"filter[server_id]": "none", "per_page": 500}).json()["data"]
    assert allocation in {a["attributes"]["id"] for a in row}


def test_force_delete_ignores_wings_errors(module_emulator: RunningEmulator, api: Api) -> None:
    server = create_server(api, name="Forced")
    module_emulator.configure(daemon_unreachable=True)
    try:
        assert api.delete(f"servers/{server['id']}").status_code == 504
        assert api.delete(f"servers/{server['id']}/force").status_code == 204
    finally:
        module_emulator.configure(daemon_unreachable=False)
    assert api.get(f"servers/{server['id']}").status_code == 404
