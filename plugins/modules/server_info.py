#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_info
short_description: List Pterodactyl servers (application API)
version_added: 0.1.0
description:
  - Returns servers, all of them or those matching the options (exact match, filtered by the panel first;
    O(external_id) is one request).
  - For the servers a client key can see, use M(ptero.panel.client_server_info).
  - Uses the application API.
options:
  id:
    description: Only the server with this id.
    type: int
  name:
    description: Only servers with this name.
    type: str
  external_id:
    description: Only the server with this external id.
    type: str
  uuid:
    description: Only the server with this UUID.
    type: str
  identifier:
    description:
      - Only the server with this identifier, the 8-character one or the C(serv_...) one panels 1.12.1 and later
        show as C(server_identifier) in the client API.
      - A C(serv_...) identifier is the server's UUID in another encoding; it is matched on the UUID, so it works on
        every panel version, although the application API does not accept it.
    type: str
  include:
    description:
      - Related objects to add under C(relationships) of each server.
    type: list
    elements: str
    choices: [allocations, user, subusers, nest, egg, variables, location, node, databases]
    default: []
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: A server and its allocations
  ptero.panel.server_info:
    external_id: shop-order-1001
    include: [allocations, node]
  register: result
"""

RETURN = r"""
servers:
  description: The matching servers, as the M(ptero.panel.server) module returns them.
  returned: always
  type: list
  elements: dict
  sample: [{id: 7, identifier: 1a7ce997, name: survival, status: null, user: 2, node: 1, allocation: 41}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._info import InfoQuery, run_info
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_server_by_external_id, uuid_from_server_identifier


def identifier_as_uuid(module: PanelModule) -> None:
    """A serv_ identifier becomes a uuid filter; with a different uuid also given, nothing can match."""
    params = module.params
    by_uuid = uuid_from_server_identifier(params["identifier"])
    if by_uuid is None:
        if (params["identifier"] or "").startswith("serv_"):
            module.fail_json(msg=f"identifier: '{params['identifier']}' is not a valid serv_ identifier (serv_ and 26 "
                                 "characters a-z, 2-7)")
        return
    if params["uuid"] is not None and params["uuid"].lower() != by_uuid:
        module.exit_json(changed=False, servers=[])
    params["uuid"], params["identifier"] = by_uuid, None


def main():
    module = PanelModule(
        {
            "id": {"type": "int"}, "name": {"type": "str"}, "external_id": {"type": "str"}, "uuid": {"type": "str"},
            "identifier": {"type": "str"},
            "include": {"type": "list", "elements": "str", "default": [],
                        "choices": ["allocations", "user", "subusers", "nest", "egg", "variables", "location", "node", "databases"]},
        },
        api="application",
    )
    identifier_as_uuid(module)
    include = ",".join(module.params["include"])
    if module.params["external_id"] is not None and module.params["id"] is None:
        found = module.step("Could not read the server", find_server_by_external_id, module.client,
                            module.params["external_id"], include)
        servers = [found] if found else []
        for option, field in (("name", "name"), ("uuid", "uuid"), ("identifier", "identifier")):
            servers = [s for s in servers if module.params[option] is None or s.get(field) == module.params[option]]
        module.exit_json(changed=False, servers=servers)
    run_info(module, InfoQuery(
        "servers", "application.servers.list",
        filters={"name": ("name", "name"), "uuid": ("uuid", "uuid"), "identifier": ("uuidShort", "identifier")},
        get_operation="application.servers.get", id_parameter="server", include=include or None,
    ))


if __name__ == "__main__":
    main()
