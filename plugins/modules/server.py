#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server
short_description: Manage Pterodactyl game servers
version_added: 0.1.0
description:
  - Create, update, suspend and delete game servers.
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
      - Nest of O(egg), by name or id. Needed when O(egg) is a name.
    type: str
  egg:
    description:
      - The egg (server type), by name or id. Required to create the server.
      - Changing it on an existing server does not reinstall the server.
    type: str
  docker_image:
    description:
      - Docker image. Default on create the egg's first image.
    type: str
  startup:
    description:
      - Startup command. Default on create the egg's startup command.
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
        description: Whether the out-of-memory killer is disabled. Default on create V(true).
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
        description: Location ids to choose from; empty means any.
        type: list
        elements: int
        default: []
      dedicated_ip:
        description: Only use an IP no other server uses.
        type: bool
        default: false
      port_range:
        description: Ports or ranges to choose from, for example V(25565-25600); empty means any.
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
  description: The server as the application API shows it, with its allocations under C(relationships); V(null) when absent.
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

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._server import Server


def main():
    module = PanelModule(
        {
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
        },
        api="application",
        mutually_exclusive=[("allocation", "deploy")],
    )
    server = Server(module)
    state = module.params["state"]
    if state in ("suspended", "unsuspended"):
        module.add_result_hook(server.apply_suspension)
    if module.params["wait"]:
        module.add_result_hook(server.wait_installed)
    module.ensure(server, "absent" if state == "absent" else "present")


if __name__ == "__main__":
    main()
