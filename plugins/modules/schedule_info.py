#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: schedule_info
short_description: List the schedules of a Pterodactyl server
version_added: 0.1.0
description:
  - Returns a server's schedules with their tasks, all of them or the one with a given name or id.
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  name:
    description: Only the schedules with this name.
    type: str
  id:
    description: Only the schedule with this id.
    type: int
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Schedules of the survival server
  ptero.panel.schedule_info:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
  register: result

- name: The active ones
  ansible.builtin.debug:
    msg: "{{ result.schedules | selectattr('is_active') | map(attribute='name') | list }}"
"""

RETURN = r"""
schedules:
  description:
    - The schedules, as M(ptero.panel.schedule) returns them; C(tasks) lists each schedule's tasks in execution order.
  returned: always
  type: list
  elements: dict
  sample: [{id: 3, name: Nightly restart,
            cron: {minute: "0", hour: "4", day_of_month: "*", month: "*", day_of_week: "*"}, is_active: true,
            is_processing: false, only_when_online: false, last_run_at: null,
            next_run_at: "2026-01-02T04:00:00+00:00", created_at: "2026-01-01T00:00:00+00:00",
            updated_at: "2026-01-01T00:00:00+00:00",
            tasks: [{id: 7, sequence_id: 1, action: power, payload: restart, time_offset: 0, is_queued: false,
                     continue_on_failure: false}]}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._info import CLIENT_SERVER, InfoQuery, Match, get_by, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._schedules import with_tasks

QUERY = InfoQuery(
    "schedules",
    "client.schedules.list",
    scope=CLIENT_SERVER,
    filters={"name": Match("name")},
    lookups={"id": get_by("client.schedules.get", "schedule")},
    shape=lambda schedule, reading: with_tasks(schedule),
)


def main():
    run_info(
        PanelModule(
            {"server": {"type": "str", "required": True}, "name": {"type": "str"}, "id": {"type": "int"}}, api="client"
        ),
        QUERY,
    )


if __name__ == "__main__":
    main()
