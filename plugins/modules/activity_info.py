#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: activity_info
short_description: Read the activity log of your Pterodactyl account or of a server
version_added: 0.1.0
description:
  - Returns activity log entries, newest first; the account's own log, or with O(server) the server's log.
  - Uses the client API. A server's log needs the C(activity.read) permission on that server.
options:
  server:
    description:
      - Read this server's log instead of the account's; by its 8-character or C(serv_...) identifier, its uuid or
        its name.
    type: str
  event:
    description:
      - Only entries of this event, for example V(server:power.start) or V(user:api-key.create).
    type: str
  limit:
    description:
      - At most this many entries, the newest ones. V(0) returns every entry, which can be many pages.
    type: int
    default: 100
  include_actor:
    description:
      - Add the user who caused each entry, as RV(activity[].actor).
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
- name: Who started the server lately
  ptero.panel.activity_info:
    server: Survival
    event: server:power.start
    include_actor: true
    limit: 10
  register: starts

- name: Show them
  ansible.builtin.debug:
    msg: "{{ starts.activity | map(attribute='actor.username') | list }}"
"""

RETURN = r"""
activity:
  description: The entries, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: A key for the entry (not a panel id).
      type: str
      sample: 2f1c9d0f8b6e4a2f0c9e8d7b6a5f4e3d2c1b0a99
    batch:
      description: Groups entries written together, or V(null).
      type: str
      sample: null
    event:
      description: The event.
      type: str
      sample: server:power.start
    is_api:
      description: Whether it came through an API key.
      type: bool
      sample: true
    ip:
      description: Address of the actor; V(null) unless you are the actor or a root administrator.
      type: str
      sample: 192.0.2.10
    description:
      description: Description, when the panel has one.
      type: str
      sample: null
    properties:
      description: Details of the event.
      type: dict
      sample: {}
    has_additional_metadata:
      description: Whether the properties hold more than the description shows.
      type: bool
      sample: false
    timestamp:
      description: When it happened.
      type: str
      sample: "2026-01-01T00:00:00+00:00"
    actor:
      description: The user who caused it (with O(include_actor=true)); V(null) for the system.
      type: dict
      returned: when O(include_actor=true)
      sample: {uuid: 3f0d5e2a-4b1c-4d7e-9a8b-6c5d4e3f2a1b, username: player, email: player@example.com}
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._info import (
    CLIENT_SERVER,
    InfoQuery,
    Match,
    Reading,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule


def activity_query(params: t.Mapping[str, t.Any]) -> dict:
    return {"sort": "-timestamp", **({"include": "actor"} if params["include_actor"] else {})}


def shaped(entry: dict, reading: Reading) -> dict:
    """The entry with its actor (an include, nested under `relationships`) as a plain `actor` field."""
    entry = dict(entry)
    relationships = entry.pop("relationships", None) or {}
    if reading.params["include_actor"]:
        entry["actor"] = relationships.get("actor")
    return entry


QUERY = InfoQuery(
    "activity",
    "client.server_activity.list",
    scope=CLIENT_SERVER,
    unscoped_operation="client.account_activity.list",
    # The panel's event filter matches parts of names: it narrows the pages, the match is made here.
    filters={"event": Match("event", "event")},
    query=activity_query,
    limit_option="limit",
    shape=shaped,
)


def main():
    module = PanelModule(
        {
            "server": {"type": "str"},
            "event": {"type": "str"},
            "limit": {"type": "int", "default": 100},
            "include_actor": {"type": "bool", "default": False},
        },
        api="client",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
