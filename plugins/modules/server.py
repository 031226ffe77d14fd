#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server
short_description: Manage Pterodactyl and Pelican game servers
version_added: 0.1.0
description:
  - Create, update, suspend and delete game servers.
  - Works on Pterodactyl and on Pelican with the same options. On Pelican O(nest) names an egg tag (Pelican has no
    nests; its migration made each nest's name a tag of its eggs), O(limits.oom_disabled) is sent as Pelican's
    C(oom_killer) (its negation), and O(deploy) picks nodes by O(deploy.tags) instead of locations.
  - The server is identified by O(external_id) when it is given (then O(name) can change), otherwise by
    O(name); a name that several servers share fails and lists them.
  - Updates go to the panel's details, build and startup endpoints, each with a complete body merged from the
    server's current values, so changing one option never resets another.
  - Options left out are not managed. Nested dicts (O(limits), O(feature_limits), O(environment)) are compared
    key by key for the keys given.
  - Uses the application API.
options:
  name:
    description:
      - Server name. Identifies the server unless O(external_id) is given.
    type: str
    required: true
  external_id:
    description:
      - An identifier from your own system. When given, it identifies the server.
    type: str
  description:
    description:
      - Description.
    type: str
  owner:
    description:
      - The owning user, by username, e-mail address or id. Required to create the server.
    type: str
  nest:
    description:
      - Nest of O(egg), by name or id. Needed when O(egg) is a name, on Pterodactyl.
      - On Pelican, which has no nests, an egg tag (compared without case); only eggs carrying it are considered.
        Optional there; a name that several eggs share then fails and lists their ids.
    type: str
  egg:
    description:
      - The egg (server type), by name or id. Required to create the server.
      - Changing it on an existing server does not reinstall the server.
    type: str
  docker_image:
    description:
      - Docker image. Default on create the egg's first image (on Pelican the panel picks it).
    type: str
  startup:
    description:
      - Startup command. Default on create the egg's startup command (on Pelican the panel picks its first one).
    type: str
  environment:
    description:
      - Values of the egg's variables, by environment variable name.
      - On create, variables left out take the egg's default values. On update, only the given variables are
        changed; the others keep their values.
    type: dict
  limits:
    description:
      - Resource limits. On create, O(limits.memory) and O(limits.disk) are required.
    type: dict
    suboptions:
      memory:
        description: Memory in MiB; V(0) is unlimited.
        type: int
      swap:
        description: Swap in MiB; V(-1) is unlimited. Default on create V(0).
        type: int
      disk:
        description: Disk in MiB; V(0) is unlimited.
        type: int
      io:
        description: Block IO weight, 10 to 1000. Default on create V(500).
        type: int
      cpu:
        description: CPU limit in percent of one core; V(0) is unlimited. Default on create V(0).
        type: int
      threads:
        description: CPU cores the server may use, for example V(0-1,3).
        type: str
      oom_disabled:
        description:
          - Whether the out-of-memory killer is disabled. Default on create V(true).
          - On Pelican it is sent as C(oom_killer) with the opposite value, and compared the same way.
        type: bool
  feature_limits:
    description:
      - How many databases, allocations and backups the server's users may create. Default on create V(0) each.
    type: dict
    suboptions:
      databases:
        description: Database limit.
        type: int
      allocations:
        description: Allocation limit.
        type: int
      backups:
        description: Backup limit.
        type: int
  node:
    description:
      - Node of O(allocation) and O(additional_allocations) when they are given as C(ip:port), by name or id.
      - Without it the node is found by searching every node's allocations (one request per node).
    type: str
  allocation:
    description:
      - Primary allocation, as an allocation id or C(ip:port). To create a server, give this or O(deploy).
    type: str
  additional_allocations:
    description:
      - Further allocations of the server (ids or C(ip:port)). When given, allocations not listed are removed
        from the server.
    type: list
    elements: str
  deploy:
    description:
      - Let the panel pick a node and a free allocation when the server is created. Ignored for existing servers.
    type: dict
    suboptions:
      locations:
        description:
          - Location ids to choose from; empty means any.
          - Pterodactyl only; Pelican has no locations, and a non-empty list fails the task there (use O(deploy.tags)).
        type: list
        elements: int
        default: []
      tags:
        description:
          - Pelican only. Node tags to choose from (a node with any of them qualifies); empty means any.
          - Locations migrated to Pelican became node tags named by their short code.
          - A non-empty list fails the task on Pterodactyl.
        type: list
        elements: str
        default: []
      dedicated_ip:
        description: Only use an IP no other server uses.
        type: bool
        default: false
      port_range:
        description:
          - Ports or ranges to choose from, for example V(25565-25600); empty means any.
          - On Pelican empty means B(no allocation) (Pelican's rule); the task warns when it is empty there.
        type: list
        elements: str
        default: []
  skip_scripts:
    description:
      - Skip the egg's install script on create, and when the startup settings are updated.
    type: bool
    default: false
  start_on_completion:
    description:
      - Start the server once the installation finishes (create only).
    type: bool
    default: false
  force_delete:
    description:
      - With O(state=absent), delete the server even if Wings or a database host cannot be reached.
    type: bool
    default: false
  wait:
    description:
      - After creating the server, wait until its installation has finished.
      - A timeout or a failed installation fails the task, which still reports the creation (C(changed=true));
        the message says the server was created and what did not finish.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 600
  state:
    description:
      - V(present) creates or updates the server and leaves its suspension as it is.
      - V(suspended) also suspends it; V(unsuspended) also lifts a suspension.
      - V(absent) deletes it.
    type: str
    choices: [present, absent, suspended, unsuspended]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: A Paper server for alice
  ptero.panel.server:
    name: survival
    external_id: shop-order-1001
    owner: alice
    nest: Minecraft
    egg: Paper
    environment:
      MINECRAFT_VERSION: "1.20.4"
    limits:
      memory: 4096
      disk: 20480
    feature_limits:
      databases: 1
      backups: 3
    allocation: "203.0.113.10:25565"
    node: fra1-node1
    wait: true

- name: The same server on Pelican, placed by the panel on a node tagged fra1
  ptero.panel.server:
    name: survival
    external_id: shop-order-1001
    owner: alice
    nest: Minecraft
    egg: Paper
    limits:
      memory: 4096
      disk: 20480
    deploy:
      tags: [fra1]
      port_range: ["25565-25600"]

- name: More memory, nothing else touched
  ptero.panel.server:
    name: survival
    external_id: shop-order-1001
    limits:
      memory: 6144

- name: Suspend for non-payment
  ptero.panel.server:
    name: survival
    external_id: shop-order-1001
    state: suspended
"""

RETURN = r"""
server:
  description:
    - The server as the application API shows it, with its allocations under C(relationships); V(null) when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Panel id.
      type: int
      sample: 7
    external_id:
      description: External identifier.
      type: str
      sample: shop-order-1001
    uuid:
      description: Server UUID.
      type: str
      sample: 1a7ce997-259b-452e-8b4e-cecc464142ca
    identifier:
      description: Short identifier used by the client API.
      type: str
      sample: 1a7ce997
    name:
      description: Name.
      type: str
      sample: survival
    status:
      description: V(null) when installed, or V(installing), V(install_failed), V(suspended), ...
      type: str
      sample: null
    limits:
      description: Resource limits.
      type: dict
      sample: {memory: 4096, swap: 0, disk: 20480, io: 500, cpu: 0, threads: null, oom_disabled: true}
    feature_limits:
      description: Feature limits.
      type: dict
      sample: {databases: 1, allocations: 0, backups: 3}
    user:
      description: Owner id.
      type: int
      sample: 2
    node:
      description: Node id.
      type: int
      sample: 1
    allocation:
      description: Primary allocation id.
      type: int
      sample: 41
    container:
      description: Startup command, image and environment.
      type: dict
      sample: {startup_command: "java -jar server.jar", image: "ghcr.io/pterodactyl/yolks:java_17", environment: {}}
changed_fields:
  description: Names of the options an update changed.
  returned: when an existing server was changed
  type: list
  elements: str
  sample: [limits]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import (
    find_node,
    find_server_by_external_id,
    find_servers_by_name,
    find_user,
    is_id,
    one,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    changed_fields,
    failure_context,
    without_none,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import find_server_egg, pelican_judging_by

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
        return one(
            find_servers_by_name(self.client, self.params["name"], include=INCLUDE),
            f"server name '{self.params['name']}'",
            key="identifier",
        )

    def egg(self, current: t.Mapping[str, t.Any] | None) -> dict[str, t.Any] | None:
        """The egg the server should have (with its variables), or None when the option is not set."""
        if self._egg is not None:
            return self._egg
        egg_ref, nest_ref = self.params["egg"], self.params["nest"]
        if egg_ref is None:
            if current is None:
                return None
            egg_ref, nest_ref = current["egg"], current.get("nest")
        self._egg = find_server_egg(self.client, egg_ref, nest_ref, self.pelican)
        return self._egg

    def required_egg(self, current: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
        """The egg, where the code needs one (an option or the server names it)."""
        egg = self.egg(current)
        if egg is None:
            raise TaskFailure(f"egg: required to create {self.describe()}")
        return egg

    @property
    def pelican(self) -> bool:
        # Only Pelican's servers have limits.oom_killer: a server found tells the panel without a request.
        return pelican_judging_by(
            self.client, (self.current or {}).get("limits") if self.current else None, "oom_killer"
        )

    def allocation_id(self, ref: str, node_id: int | None) -> int:
        """An allocation id from an id or `ip:port`, searching the given node or every node."""
        if is_id(ref):
            return int(ref)
        ip, sep, port = ref.rpartition(":")
        if not sep or not port.isdigit():
            raise TaskFailure(f"allocation: '{ref}' is neither an allocation id nor ip:port")
        if node_id is None and self.params["node"] is not None:
            node = find_node(self.client, self.params["node"])
            if node is None:
                raise TaskFailure(f"node: no node '{self.params['node']}' exists on the panel")
            node_id = node["id"]
        nodes = [node_id] if node_id is not None else [n["id"] for n in self.client.collect("application.nodes.list")]
        query = {"filter[ip]": ip, "filter[port]": port}
        for candidate in nodes:
            for allocation in self.client.collect("application.allocations.list", {"node": candidate}, query=query):
                if allocation["ip"] == ip and int(allocation["port"]) == int(port):
                    return allocation["id"]
        raise TaskFailure(f"allocation: no allocation {ref} exists{'' if node_id is None else ' on the node'}")

    # -- comparing --------------------------------------------------------------------------------

    def current_options(self, server: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The server in the shape of the module's options."""
        container = server.get("container") or {}
        extra = sorted(a["id"] for a in server_allocations(server) if a["id"] != server.get("allocation"))
        return {
            "name": server.get("name"),
            "external_id": server.get("external_id"),
            "description": server.get("description"),
            "owner": server.get("user"),
            "limits": server.get("limits"),
            "feature_limits": server.get("feature_limits"),
            "allocation": server.get("allocation"),
            "additional_allocations": extra,
            "egg": server.get("egg"),
            "nest": server.get("nest"),
            "docker_image": container.get("image"),
            "startup": container.get("startup_command"),
            "environment": {
                k: v for k, v in (container.get("environment") or {}).items() if k not in PANEL_ENVIRONMENT
            },
        }

    def desired(self):
        current, params = self.current, self.params
        desired = without_none(
            {
                "name": params["name"],
                "external_id": params["external_id"],
                "description": params["description"],
                "docker_image": params["docker_image"],
                "startup": params["startup"],
                "limits": without_none(params["limits"] or {}) or None,
                "feature_limits": without_none(params["feature_limits"] or {}) or None,
            }
        )
        if params["environment"] is not None:
            desired["environment"] = {
                key: "" if value is None else str(value) for key, value in params["environment"].items()
            }
        desired.update(self.desired_references(current))
        if current is None:
            self.check_deploy()
        return desired

    def desired_references(self, current):
        """The owner, egg and allocations the options name, as the ids the panel stores."""
        params, node_id = self.params, current["node"] if current else None
        desired = {}
        if params["owner"] is not None:
            with failure_context("Could not look up the owner"):
                owner = find_user(self.client, params["owner"])
            if owner is None:
                raise TaskFailure(f"owner: no user '{params['owner']}' exists on the panel")
            desired["owner"] = owner["id"]
        if params["egg"] is not None:
            with failure_context("Could not look up the egg"):
                egg = self.required_egg(current)
            desired["egg"] = egg["id"]
            desired["nest"] = egg.get("nest")  # Pelican eggs have no nest: None, as its servers have
        if params["allocation"] is not None:
            with failure_context("Could not look up the allocation"):
                desired["allocation"] = self.allocation_id(params["allocation"], node_id)
        if params["additional_allocations"] is not None:
            with failure_context("Could not look up the allocations"):
                desired["additional_allocations"] = sorted(
                    self.allocation_id(ref, node_id) for ref in params["additional_allocations"]
                )
        return desired

    def compare(self, current, desired):
        return changed_fields(self.current_options(current), desired)

    def view(self, obj):
        if not obj:
            return {}
        options = self.current_options(obj) if "container" in obj else obj
        return {key: options.get(key) for key in self.managed_fields if key in options}

    # -- writing ----------------------------------------------------------------------------------

    def environment_for(
        self, egg: t.Mapping[str, t.Any], base: t.Mapping[str, str], desired: t.Mapping[str, t.Any]
    ) -> dict[str, str]:
        """A value for every variable of the egg: desired, else `base`, else the egg's default.

        The panel stores '' for any variable a request leaves out, so the map must be complete."""
        variables = (egg.get("relationships") or {}).get("variables") or []
        environment = {v["env_variable"]: base.get(v["env_variable"], v.get("default_value") or "") for v in variables}
        environment.update(desired.get("environment") or {})
        return {key: "" if value is None else str(value) for key, value in environment.items()}

    def create(self, desired):
        egg = self.required_egg(None)
        self.client.call("application.servers.create", body=self.create_body(desired, egg))
        self.module.record_write("created the server")
        # The create answer lacks the include; read the server back as find() shows it.
        created = self.find()
        if created is None:
            raise TaskFailure(f"{self.describe()} cannot be found again by its name after the create")
        return created

    def create_body(self, desired: t.Mapping[str, t.Any], egg: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        params = self.params
        limits = {**LIMIT_DEFAULTS, **desired.get("limits", {})}
        missing = [key for key in ("memory", "disk") if limits.get(key) is None]
        if missing:
            raise TaskFailure(
                f"limits: {', '.join('limits.' + k for k in missing)} required to create {self.describe()}"
            )
        body = without_none(
            {
                "name": desired["name"],
                "external_id": desired.get("external_id"),
                "description": desired.get("description"),
                "user": desired["owner"],
                "egg": egg["id"],
                "skip_scripts": params["skip_scripts"],
                "start_on_completion": params["start_on_completion"],
                **self.image_and_startup(desired, egg),
                **self.oom_field(limits.pop("oom_disabled")),
            }
        )
        body["environment"] = self.environment_for(egg, {}, desired)
        body["limits"] = limits
        body["feature_limits"] = {**FEATURE_DEFAULTS, **desired.get("feature_limits", {})}
        body.update(self.placement(desired))
        return body

    def image_and_startup(self, desired: t.Mapping[str, t.Any], egg: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """docker_image and startup for a create: Pelican defaults them to the egg's first ones itself."""
        if self.pelican:
            return {"docker_image": desired.get("docker_image"), "startup": desired.get("startup")}
        first_image = next(iter((egg.get("docker_images") or {}).values()), None)
        return {
            "docker_image": desired.get("docker_image") or egg.get("docker_image") or first_image,
            "startup": desired.get("startup") or egg.get("startup"),
        }

    def oom_field(self, oom_disabled: bool | None) -> dict[str, t.Any]:
        """Pelican takes `oom_killer` and ignores `oom_disabled` (its negation), which Pterodactyl takes."""
        if oom_disabled is None:
            return {}
        return {"oom_killer": not oom_disabled} if self.pelican else {"oom_disabled": oom_disabled}

    def placement(self, desired: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Where the new server goes: `deploy` for the panel to choose, or the allocations given."""
        if self.params["deploy"] is not None:
            deploy = dict(self.params["deploy"])
            tags = deploy.pop("tags") or []
            # Pelican beta38 requires `locations` to be present next to `tags` (later releases ignore it).
            return {"deploy": {**deploy, "tags": tags, "locations": []} if self.pelican else deploy}
        if desired.get("allocation") is not None:
            return {
                "allocation": {
                    "default": desired["allocation"],
                    "additional": desired.get("additional_allocations", []),
                }
            }
        raise TaskFailure(f"allocation: set allocation or deploy to create {self.describe()}")

    def check_deploy(self) -> None:
        """Refuse, before anything is sent, a deploy the panel cannot express; warn where Pelican means otherwise."""
        deploy = self.params["deploy"]
        if deploy is None:
            return
        if not self.pelican:
            if deploy["tags"]:
                raise TaskFailure("deploy.tags: node tags exist only on Pelican; on Pterodactyl use deploy.locations")
            return
        if deploy["locations"]:
            raise TaskFailure(
                "deploy.locations: Pelican has no locations (its migration made each location's short "
                "code a node tag); use deploy.tags with those short codes"
            )
        if not deploy["port_range"]:
            self.module.warn(
                "deploy.port_range is empty: on Pelican that creates the server without any allocation "
                "(Pterodactyl would pick any free port); give ports to get one"
            )

    def update(self, current, desired):
        changes = set(self.compare(current, desired))
        server_id = current["id"]
        options = {**self.current_options(current), **desired}
        if changes & set(DETAILS):
            self.client.call(
                "application.servers.update_details",
                {"server": server_id},
                body={
                    "name": options["name"],
                    "user": options["owner"],
                    "external_id": options["external_id"],
                    "description": options["description"] or "",
                },
            )
        if changes & set(BUILD):
            self.client.call(
                "application.servers.update_build", {"server": server_id}, body=self.build_body(current, options)
            )
        if changes & set(STARTUP):
            egg = self.required_egg(current)
            same_egg = egg["id"] == current["egg"]
            base = self.current_options(current)["environment"] if same_egg else {}
            self.client.call(
                "application.servers.update_startup",
                {"server": server_id},
                body={
                    "startup": options["startup"],
                    "egg": egg["id"],
                    "image": options["docker_image"],
                    "environment": self.environment_for(egg, base, desired),
                    "skip_scripts": self.params["skip_scripts"],
                },
            )
        return self.client.call("application.servers.get", {"server": server_id}, query={"include": INCLUDE})

    def build_body(self, current, options):
        limits = {**current["limits"], **options["limits"]}
        oom_disabled = limits.pop("oom_disabled")
        limits.pop("oom_killer", None)  # Pelican shows both; it takes oom_killer beside the limits
        body = {
            "allocation": options["allocation"],
            **self.oom_field(oom_disabled),
            "limits": limits,
            # All three keys always: an omitted allocations limit would become NULL.
            "feature_limits": {**current["feature_limits"], **options["feature_limits"]},
        }
        have = {a["id"] for a in server_allocations(current)}
        if self.params["additional_allocations"] is not None:
            want = set(options["additional_allocations"]) | ({options["allocation"]} - {None})
            body["add_allocations"] = sorted(want - have)
            body["remove_allocations"] = sorted(have - want)
        elif options["allocation"] is not None and options["allocation"] not in have:
            body["add_allocations"] = [options["allocation"]]
        if body["allocation"] is None:
            del body["allocation"]  # a Pelican server may have none; the panel then keeps it that way
        return body

    def delete(self, current):
        operation = "application.servers.force_delete" if self.params["force_delete"] else "application.servers.delete"
        self.client.call(operation, {"server": current["id"]})

    # -- after the engine: suspension and waiting -----------------------------------------------------

    def get(self, server_id):
        return self.client.call("application.servers.get", {"server": server_id}, query={"include": INCLUDE})

    def apply_suspension(self, outcome):
        """Suspend or unsuspend the server as `state` asks; a server created in check mode would be changed too."""
        server = outcome.obj
        want_suspended = self.params["state"] == "suspended"
        if not server or server.get("id") is None:
            return outcome.but(changed=True) if self.module.check_mode and server is not None else outcome
        if (server.get("status") == "suspended") == want_suspended:
            return outcome
        outcome = outcome.but(
            changed=True,
            before={**outcome.before, "suspended": not want_suspended},
            after={**outcome.after, "suspended": want_suspended},
        )
        if self.module.check_mode:
            return outcome
        operation = "application.servers.suspend" if want_suspended else "application.servers.unsuspend"
        with failure_context(f"Could not change the suspension of {self.describe(server)}"):
            self.client.call(operation, {"server": server["id"]})
        return outcome.but(obj=self.get(server["id"]))

    def wait_installed(self, outcome):
        """Wait until a server that is installing has finished; TaskFailure when the installation failed."""
        server = outcome.obj
        if self.module.check_mode or not server or server.get("id") is None or server.get("status") != "installing":
            return outcome
        final = self.module.wait_for(
            lambda: self.get(server["id"]),
            lambda s: s.get("status") != "installing",
            self.params["wait_timeout"],
            f"{self.describe(server)} to finish installing",
            describe=lambda s: f"status {s.get('status')!r}",
        )
        if final.get("status") == "install_failed":
            raise TaskFailure(f"{self.describe(server)} failed to install (status install_failed)", server=final)
        return outcome.but(obj=final)


ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "external_id": {"type": "str"},
    "description": {"type": "str"},
    "owner": {"type": "str"},
    "nest": {"type": "str"},
    "egg": {"type": "str"},
    "docker_image": {"type": "str"},
    "startup": {"type": "str"},
    "environment": {"type": "dict"},
    "limits": {
        "type": "dict",
        "options": {
            "memory": {"type": "int"},
            "swap": {"type": "int"},
            "disk": {"type": "int"},
            "io": {"type": "int"},
            "cpu": {"type": "int"},
            "threads": {"type": "str"},
            "oom_disabled": {"type": "bool"},
        },
    },
    "feature_limits": {
        "type": "dict",
        "options": {"databases": {"type": "int"}, "allocations": {"type": "int"}, "backups": {"type": "int"}},
    },
    "node": {"type": "str"},
    "allocation": {"type": "str"},
    "additional_allocations": {"type": "list", "elements": "str"},
    "deploy": {
        "type": "dict",
        "options": {
            "locations": {"type": "list", "elements": "int", "default": []},
            "tags": {"type": "list", "elements": "str", "default": []},
            "dedicated_ip": {"type": "bool", "default": False},
            "port_range": {"type": "list", "elements": "str", "default": []},
        },
    },
    "skip_scripts": {"type": "bool", "default": False},
    "start_on_completion": {"type": "bool", "default": False},
    "force_delete": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 600},
    "state": {"type": "str", "choices": ["present", "absent", "suspended", "unsuspended"], "default": "present"},
}


def main():
    module = PanelModule(ARGUMENT_SPEC, api="application", mutually_exclusive=[("allocation", "deploy")])
    state = module.params["state"]
    with module.failures_reported():
        server = Server(module)
        outcome = module.ensure(server, "absent" if state == "absent" else "present")
        if state in ("suspended", "unsuspended"):
            outcome = server.apply_suspension(outcome)
        if module.params["wait"]:
            outcome = server.wait_installed(outcome)
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
