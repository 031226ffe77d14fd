# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `server` module's resource: finding a server, comparing it option by option and updating it through the
details, build and startup endpoints, each with a complete body (the panel treats those PATCHes as PUTs)."""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import (
    find_egg,
    find_nest,
    find_node,
    find_server_by_external_id,
    find_servers_by_name,
    find_user,
    is_id,
    one,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelResource, changed_fields, without_none

INCLUDE = "allocations"
DETAILS = ("name", "external_id", "description", "owner")
BUILD = ("limits", "feature_limits", "allocation", "additional_allocations")
STARTUP = ("egg", "docker_image", "startup", "environment")
LIMIT_DEFAULTS = {"swap": 0, "io": 500, "cpu": 0, "threads": None, "oom_disabled": True}
FEATURE_DEFAULTS = {"databases": 0, "allocations": 0, "backups": 0}
# Keys the panel adds to container.environment that are not egg variables.
PANEL_ENVIRONMENT = frozenset({"STARTUP", "P_SERVER_LOCATION", "P_SERVER_UUID", "P_SERVER_ALLOCATION_LIMIT"})


def server_allocations(server: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    return (server.get("relationships") or {}).get("allocations") or []


class Server(PanelResource):
    result_key = "server"
    managed_fields = DETAILS + BUILD + STARTUP + ("nest",)
    create_requires = ("owner", "egg")

    def __init__(self, module) -> None:
        super().__init__(module)
        self._egg: dict[str, t.Any] | None = None

    def describe(self, obj=None):
        return f"server '{(obj or self.params)['name']}'"

    # -- finding --------------------------------------------------------------------------------

    def find(self):
        if self.params["external_id"]:
            return find_server_by_external_id(self.client, self.params["external_id"], include=INCLUDE)
        return one(find_servers_by_name(self.client, self.params["name"], include=INCLUDE),
                   f"server name '{self.params['name']}'", key="identifier")

    def egg(self, current: t.Mapping[str, t.Any] | None) -> dict[str, t.Any] | None:
        """The egg the server should have (with its variables), or None when the option is not set."""
        if self._egg is not None:
            return self._egg
        egg_ref, nest_ref = self.params["egg"], self.params["nest"]
        if egg_ref is None:
            if current is None:
                return None
            egg_ref, nest_ref = current["egg"], current["nest"]
        if nest_ref is not None:
            nest = find_nest(self.client, nest_ref)
            if nest is None:
                self.module.fail_json(msg=f"nest: no nest '{nest_ref}' exists on the panel")
            nests = [nest]
        elif is_id(egg_ref):
            nests = self.client.collect("application.nests.list")
        else:
            self.module.fail_json(msg=f"nest: required to find egg '{egg_ref}' by name")
        for nest in nests:
            egg = find_egg(self.client, nest, egg_ref)
            if egg is not None:
                self._egg = egg
                return egg
        self.module.fail_json(msg=f"egg: no egg '{egg_ref}' exists{' in nest ' + repr(nest_ref) if nest_ref else ''}")

    def allocation_id(self, ref: str, node_id: int | None) -> int:
        """An allocation id from an id or `ip:port`, searching the given node or every node."""
        if is_id(ref):
            return int(ref)
        ip, sep, port = ref.rpartition(":")
        if not sep or not port.isdigit():
            self.module.fail_json(msg=f"allocation: '{ref}' is neither an allocation id nor ip:port")
        if node_id is None and self.params["node"] is not None:
            node = find_node(self.client, self.params["node"])
            if node is None:
                self.module.fail_json(msg=f"node: no node '{self.params['node']}' exists on the panel")
            node_id = node["id"]
        nodes = [node_id] if node_id is not None else [n["id"] for n in self.client.collect("application.nodes.list")]
        query = {"filter[ip]": ip, "filter[port]": port}
        for candidate in nodes:
            for allocation in self.client.collect("application.allocations.list", {"node": candidate}, query=query):
                if allocation["ip"] == ip and int(allocation["port"]) == int(port):
                    return allocation["id"]
        self.module.fail_json(msg=f"allocation: no allocation {ref} exists{'' if node_id is None else ' on the node'}")

    # -- comparing --------------------------------------------------------------------------------

    def current_options(self, server: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The server in the shape of the module's options."""
        container = server.get("container") or {}
        extra = sorted(a["id"] for a in server_allocations(server) if a["id"] != server.get("allocation"))
        return {
            "name": server.get("name"), "external_id": server.get("external_id"),
            "description": server.get("description"), "owner": server.get("user"),
            "limits": server.get("limits"), "feature_limits": server.get("feature_limits"),
            "allocation": server.get("allocation"), "additional_allocations": extra,
            "egg": server.get("egg"), "nest": server.get("nest"), "docker_image": container.get("image"),
            "startup": container.get("startup_command"),
            "environment": {k: v for k, v in (container.get("environment") or {}).items() if k not in PANEL_ENVIRONMENT},
        }

    def desired(self):
        current = self.current
        node_id = current["node"] if current else None
        params = self.params
        desired = without_none({
            "name": params["name"], "external_id": params["external_id"], "description": params["description"],
            "docker_image": params["docker_image"], "startup": params["startup"],
            "limits": without_none(params["limits"] or {}) or None,
            "feature_limits": without_none(params["feature_limits"] or {}) or None,
        })
        if params["environment"] is not None:
            desired["environment"] = {key: "" if value is None else str(value) for key, value in params["environment"].items()}
        if params["owner"] is not None:
            owner = self.module.step("Could not look up the owner", find_user, self.client, params["owner"])
            if owner is None:
                self.module.fail_json(msg=f"owner: no user '{params['owner']}' exists on the panel")
            desired["owner"] = owner["id"]
        if params["egg"] is not None:
            egg = self.module.step("Could not look up the egg", self.egg, current)
            desired["egg"] = egg["id"]
            desired["nest"] = egg["nest"]
        if params["allocation"] is not None:
            desired["allocation"] = self.module.step("Could not look up the allocation", self.allocation_id,
                                                     params["allocation"], node_id)
        if params["additional_allocations"] is not None:
            desired["additional_allocations"] = sorted(
                self.module.step("Could not look up the allocations", self.allocation_id, ref, node_id)
                for ref in params["additional_allocations"])
        return desired

    def compare(self, current, desired):
        return changed_fields(self.current_options(current), desired)

    def view(self, obj):
        if not obj:
            return {}
        options = self.current_options(obj) if "container" in obj else obj
        return {key: options.get(key) for key in self.managed_fields if key in options}

    # -- writing ----------------------------------------------------------------------------------

    def environment_for(self, egg: t.Mapping[str, t.Any], base: t.Mapping[str, str], desired: t.Mapping[str, t.Any]) -> dict[str, str]:
        """A value for every variable of the egg: desired, else `base`, else the egg's default.

        The panel stores '' for any variable a request leaves out, so the map must be complete."""
        variables = (egg.get("relationships") or {}).get("variables") or []
        environment = {v["env_variable"]: base.get(v["env_variable"], v.get("default_value") or "") for v in variables}
        environment.update(desired.get("environment") or {})
        return {key: "" if value is None else str(value) for key, value in environment.items()}

    def create(self, desired):
        params = self.params
        egg = self.egg(None)
        limits = {**LIMIT_DEFAULTS, **desired.get("limits", {})}
        missing = [key for key in ("memory", "disk") if limits.get(key) is None]
        if missing:
            self.module.fail_json(msg=f"limits: {', '.join('limits.' + k for k in missing)} required to create "
                                      f"{self.describe()}")
        body = without_none({
            "name": desired["name"], "external_id": desired.get("external_id"), "description": desired.get("description"),
            "user": desired["owner"], "egg": egg["id"],
            "docker_image": desired.get("docker_image") or egg.get("docker_image")
            or next(iter((egg.get("docker_images") or {}).values()), None),
            "startup": desired.get("startup") or egg.get("startup"),
            "skip_scripts": params["skip_scripts"], "start_on_completion": params["start_on_completion"],
            "oom_disabled": limits.pop("oom_disabled"),
        })
        body["environment"] = self.environment_for(egg, {}, desired)
        body["limits"] = limits
        body["feature_limits"] = {**FEATURE_DEFAULTS, **desired.get("feature_limits", {})}
        if params["deploy"] is not None:
            body["deploy"] = params["deploy"]
        elif desired.get("allocation") is not None:
            body["allocation"] = {"default": desired["allocation"],
                                  "additional": desired.get("additional_allocations", [])}
        else:
            self.module.fail_json(msg=f"allocation: set allocation or deploy to create {self.describe()}")
        self.client.call("application.servers.create", body=body)
        self.module.record_write("created the server")
        # The create answer lacks the include; read the server back as find() shows it.
        created = self.find()
        if created is None:
            self.module.fail_json(msg=f"{self.describe()} cannot be found again by its name after the create")
        return created

    def update(self, current, desired):
        changes = set(self.compare(current, desired))
        server_id = current["id"]
        options = {**self.current_options(current), **desired}
        if changes & set(DETAILS):
            self.client.call("application.servers.update_details", {"server": server_id}, body={
                "name": options["name"], "user": options["owner"], "external_id": options["external_id"],
                "description": options["description"] or "",
            })
        if changes & set(BUILD):
            self.client.call("application.servers.update_build", {"server": server_id}, body=self.build_body(current, options))
        if changes & set(STARTUP):
            egg = self.egg(current)
            same_egg = egg["id"] == current["egg"]
            base = self.current_options(current)["environment"] if same_egg else {}
            self.client.call("application.servers.update_startup", {"server": server_id}, body={
                "startup": options["startup"], "egg": egg["id"], "image": options["docker_image"],
                "environment": self.environment_for(egg, base, desired), "skip_scripts": self.params["skip_scripts"],
            })
        return self.client.call("application.servers.get", {"server": server_id}, query={"include": INCLUDE})

    def build_body(self, current, options):
        limits = {**current["limits"], **options["limits"]}
        body = {
            "allocation": options["allocation"],
            "oom_disabled": limits.pop("oom_disabled"),
            "limits": limits,
            # All three keys always: an omitted allocations limit would become NULL.
            "feature_limits": {**current["feature_limits"], **options["feature_limits"]},
        }
        if self.params["additional_allocations"] is not None:
            have = {a["id"] for a in server_allocations(current)}
            want = set(options["additional_allocations"]) | {options["allocation"]}
            body["add_allocations"] = sorted(want - have)
            body["remove_allocations"] = sorted(have - want)
        elif options["allocation"] not in {a["id"] for a in server_allocations(current)}:
            body["add_allocations"] = [options["allocation"]]
        return body

    def delete(self, current):
        operation = "application.servers.force_delete" if self.params["force_delete"] else "application.servers.delete"
        self.client.call(operation, {"server": current["id"]})

    # -- after the engine: suspension and waiting -----------------------------------------------------

    def apply_suspension(self, result: dict[str, t.Any]) -> None:
        server = result.get("server")
        want_suspended = self.params["state"] == "suspended"
        if not server or server.get("id") is None:
            if self.module.check_mode and server is not None:
                result["changed"] = True
            return
        if (server.get("status") == "suspended") == want_suspended:
            return
        result["changed"] = True
        result.setdefault("diff", {}).setdefault("before", {})["suspended"] = not want_suspended
        result["diff"].setdefault("after", {})["suspended"] = want_suspended
        if self.module.check_mode:
            return
        operation = "application.servers.suspend" if want_suspended else "application.servers.unsuspend"
        self.module.call(operation, {"server": server["id"]}, what=f"Could not change the suspension of {self.describe(server)}")
        result["server"] = self.module.call("application.servers.get", {"server": server["id"]}, query={"include": INCLUDE})

    def wait_installed(self, result: dict[str, t.Any]) -> None:
        server = result.get("server")
        if self.module.check_mode or not server or server.get("id") is None or server.get("status") != "installing":
            return
        final = self.module.wait_for(
            lambda: self.module.call("application.servers.get", {"server": server["id"]}, query={"include": INCLUDE}),
            lambda s: s.get("status") != "installing",
            self.params["wait_timeout"], f"{self.describe(server)} to finish installing",
            describe=lambda s: f"status {s.get('status')!r}",
        )
        if final.get("status") == "install_failed":
            self.module.fail_json(msg=f"{self.describe(server)} failed to install (status install_failed)", server=final)
        result["server"] = final
