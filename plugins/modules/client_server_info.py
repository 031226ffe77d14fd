#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: client_server_info
short_description: List the Pterodactyl servers a client API key can use
version_added: 0.1.0
description:
  - Returns the servers the key's account owns or is a subuser of, or one server by identifier, UUID or name.
  - With O(resources=true), each server also gets its power state and resource usage. Servers that cannot report
    them (suspended, installing, restoring a backup, node in maintenance) get V(null) and the panel's reason.
  - Uses the client API.
options:
  server:
    description:
      - Only this server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
        An administrator's key finds any server by identifier or UUID.
    type: str
  type:
    description:
      - Which servers to list when O(server) is not set.
      - V(owner) only the servers the account owns. V(admin) (administrators only) the servers the administrator
        neither owns nor is a subuser of; V(admin-all) every server. Left out, the servers the account owns or is a
        subuser of.
    type: str
    choices: [owner, admin, admin-all]
  resources:
    description: Add the power state and resource usage of each server (one extra request per server).
    type: bool
    default: false
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: My servers with their state
  ptero.panel.client_server_info:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    resources: true
  register: result

- name: Names of the servers that are running
  ansible.builtin.debug:
    msg: "{{ result.servers | selectattr('resources') | selectattr('resources.current_state', 'eq', 'running')
             | map(attribute='name') | list }}"
"""

RETURN = r"""
servers:
  description: The servers, as the client API shows them.
  returned: always
  type: list
  elements: dict
  contains:
    identifier:
      description: Short identifier (first 8 characters of the UUID).
      type: str
      sample: 1a7ce997
    uuid:
      description: UUID.
      type: str
      sample: 1a7ce997-259b-452e-8b4e-cecc464142ca
    internal_id:
      description: The panel's numeric id.
      type: int
      sample: 7
    name:
      description: Name.
      type: str
      sample: Survival
    server_owner:
      description: Whether the key's account owns the server.
      type: bool
      sample: true
    node:
      description: Name of the node.
      type: str
      sample: fra-node-1
    status:
      description: V(null) when installed, otherwise C(installing), C(install_failed), C(suspended),
        C(restoring_backup)...
      type: str
      sample: null
    limits:
      description: Resource limits.
      type: dict
      sample: {memory: 2048, swap: 0, disk: 10240, io: 500, cpu: 100, threads: null, oom_disabled: true}
    feature_limits:
      description: How many databases, allocations and backups the server may have.
      type: dict
      sample: {databases: 2, allocations: 3, backups: 3}
    relationships:
      description: C(allocations) and C(variables) of the server.
      type: dict
      sample: {allocations: [{id: 1, ip: 10.0.0.10, ip_alias: null, port: 25565, notes: null, is_default: true}]}
    resources:
      description: Power state and resource usage; V(null) when the server cannot report them.
      returned: with O(resources=true)
      type: dict
      sample: {current_state: running, is_suspended: false, resources: {memory_bytes: 536870912, cpu_absolute: 12.5,
               disk_bytes: 104857600, network_rx_bytes: 1500, network_tx_bytes: 3700, uptime: 61000}}
    resources_error:
      description: Why the resources could not be read.
      returned: with O(resources=true), when C(resources) is V(null)
      type: str
      sample: This server is currently suspended and the functionality requested is unavailable.
"""

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._info import InfoQuery, Reading, run_info
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_client_server
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure
from ansible_collections.ptero.panel.plugins.module_utils._servers import server_path


def with_resources(server: dict, reading: Reading) -> dict:
    if not reading.params["resources"]:
        return server
    try:
        stats = reading.client.call("client.servers.resources", server_path(server))
    except PanelError as error:
        if error.status != 409:
            raise TaskFailure.from_error(error, f"Could not read the resources of server '{server['name']}'") from None
        # 409: the server is in a state that cannot report (suspended, installing...); say why instead of failing.
        return {**server, "resources": None, "resources_error": error.detail}
    return {**server, "resources": stats}


QUERY = InfoQuery(
    "servers",
    "client.servers.list",
    lookups={"server": lambda client, ref, path, query: find_client_server(client, ref)},
    query=lambda params: {"type": params["type"]} if params["type"] else {},
    shape=with_resources,
)


def main():
    module = PanelModule(
        {
            "server": {"type": "str"},
            "type": {"type": "str", "choices": ["owner", "admin", "admin-all"]},
            "resources": {"type": "bool", "default": False},
        },
        api="client",
        mutually_exclusive=[("server", "type")],
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
