# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's yardstick: replays hosts, groups and (optionally) host variables from a JSON file.

It does nothing but hand ansible-core what another plugin produced, so a run with it measures what ansible-core
itself costs for those hosts: without variables it is the floor (the same host names and group memberships),
with them it is everything but the plugin's own work (fetching, joining, naming).
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_replay
short_description: Replays recorded hosts and groups (benchmark yardstick)
description:
  - Adds the hosts and groups recorded in O(data), and their host variables when O(with_vars) is set.
  - The configuration file's name must end in C(.replay.yml).
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [bench_replay]
  data:
    description: JSON file with C(hosts) (list), C(groups) (name to C(hosts) and C(children)) and C(hostvars).
    type: path
    required: true
  with_vars:
    description: Whether to set the recorded host variables.
    type: bool
    default: false
"""

import json

from ansible.plugins.inventory import BaseInventoryPlugin


class InventoryModule(BaseInventoryPlugin):
    NAME = "bench_replay"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(".replay.yml")

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        with open(self.get_option("data"), encoding="utf-8") as handle:
            data = json.load(handle)
        for name in data["hosts"]:
            self.inventory.add_host(name)
        for group, content in data["groups"].items():
            self.inventory.add_group(group)
            for host in content.get("hosts", []):
                self.inventory.add_child(group, host)
        for group, content in data["groups"].items():
            for child in content.get("children", []):
                self.inventory.add_group(child)
                self.inventory.add_child(group, child)
        if self.get_option("with_vars"):
            # Host variables are stored exactly as the measured plugin stores them (marked, and on ansible-core 2.19
            # tagged once per distinct value), so the replay holds and prints what the plugin's run did (the
            # benchmark checks that the two listings are identical) and the difference between the two runs is the
            # plugin's own work. Imported here so that the floor does not pay for the plugin's imports.
            from ansible_collections.ptero.panel.plugins.plugin_utils.hostvars import HostVarStore

            store = HostVarStore(self.inventory)
            for name, variables in data["hostvars"].items():
                store.set(name, variables)
