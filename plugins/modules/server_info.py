#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_info
short_description: List Pterodactyl servers (application API)
version_added: 0.1.0
description:
  - Returns servers, all of them or those matching the options. O(id) and O(external_id) are read with
    one request; the other options are filtered by the panel first.
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
  - ptero.panel.matching
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

from ansible_collections.ptero.panel.plugins.module_utils._info import (
    Criterion,
    InfoQuery,
    Match,
    Reading,
    get_by,
    includes,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._lookup import (
    SERVER_IDENTIFIER_PREFIX,
    uuid_from_server_identifier,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure


def by_identifier(value: str, reading: Reading) -> Criterion:
    """The 8-character identifier, or a serv_ one: the uuid in another encoding, which the application API does not
    take, so it is matched on the uuid."""
    by_uuid = uuid_from_server_identifier(value)
    if by_uuid is not None:
        return Match("uuid", "uuid").criterion(by_uuid, reading)
    if value.startswith(SERVER_IDENTIFIER_PREFIX):
        raise TaskFailure(f"identifier: '{value}' is not a valid serv_ identifier (serv_ and 26 characters a-z, 2-7)")
    return Match("identifier", "uuidShort").criterion(value, reading)


QUERY = InfoQuery(
    "servers",
    "application.servers.list",
    filters={
        "name": Match("name", "name"),
        "uuid": Match("uuid", "uuid"),
        "identifier": by_identifier,
        "external_id": Match("external_id"),
    },
    lookups={
        "id": get_by("application.servers.get", "server"),
        "external_id": get_by("application.servers.get_external", "external_id"),
    },
    query=includes,
)


def main():
    module = PanelModule(
        {
            "id": {"type": "int"},
            "name": {"type": "str"},
            "external_id": {"type": "str"},
            "uuid": {"type": "str"},
            "identifier": {"type": "str"},
            "include": {
                "type": "list",
                "elements": "str",
                "default": [],
                "choices": [
                    "allocations",
                    "user",
                    "subusers",
                    "nest",
                    "egg",
                    "variables",
                    "location",
                    "node",
                    "databases",
                ],
            },
        },
        api="application",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
