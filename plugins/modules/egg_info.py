#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: egg_info
short_description: List the eggs of a Pterodactyl nest, with their variables
version_added: 0.1.0
description:
  - Returns the eggs (server types) of one nest, each with its variables under C(relationships.variables).
  - Uses the application API.
options:
  nest:
    description: The nest, by name or id.
    type: str
    required: true
  id:
    description: Only the egg with this id.
    type: int
  name:
    description: Only the egg with this name.
    type: str
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: The Paper egg and its variables
  ptero.panel.egg_info:
    nest: Minecraft
    name: Paper
  register: result

- name: Its variables' defaults
  ansible.builtin.debug:
    msg: "{{ result.eggs[0].relationships.variables | items2dict(key_name='env_variable', value_name='default_value') }}"
"""

RETURN = r"""
eggs:
  description: The matching eggs, with C(relationships.variables).
  returned: always
  type: list
  elements: dict
  sample: [{id: 3, name: Paper, nest: 1, docker_image: "ghcr.io/pterodactyl/yolks:java_17",
            startup: "java -jar {{SERVER_JARFILE}}", relationships: {variables: [{env_variable: SERVER_JARFILE,
            default_value: server.jar, rules: "required|string|max:20", user_editable: true}]}}]
"""

from ansible_collections.ptero.panel.plugins.module_utils._info import NEST, InfoQuery, Match, get_by, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule

QUERY = InfoQuery("eggs", "application.eggs.list", scope=NEST, filters={"name": Match("name")},
                  lookups={"id": get_by("application.eggs.get", "egg")}, query=lambda params: {"include": "variables"})


def main():
    run_info(PanelModule({"nest": {"type": "str", "required": True}, "id": {"type": "int"}, "name": {"type": "str"}},
                         api="application"), QUERY)


if __name__ == "__main__":
    main()
