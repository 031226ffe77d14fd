#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: egg_info
short_description: List the eggs of a Pterodactyl nest or of a Pelican panel, with their variables
version_added: 0.1.0
description:
  - Returns the eggs (server types) of one nest, each with its variables under C(relationships.variables).
  - On Pelican, which has no nests, every egg (Pelican lists them all at once), or with O(nest) those carrying
    that tag (Pelican's migration made each nest's name a tag of its eggs, so the same task finds the same eggs).
    Pelican eggs also have C(tags), C(features) and C(startup_commands), have no C(nest), and give each variable's
    C(rules) as a list.
  - Uses the application API.
options:
  nest:
    description:
      - The nest, by name or id. Required on Pterodactyl.
      - On Pelican an egg tag (compared without case); leave it out for every egg.
    type: str
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
    msg: >-
      {{ result.eggs[0].relationships.variables
         | items2dict(key_name='env_variable', value_name='default_value') }}
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

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN
from ansible_collections.ptero.panel.plugins.module_utils._info import (
    NEST,
    InfoQuery,
    Match,
    Reading,
    get_by,
    read_objects,
    run_info,
)
from ansible_collections.ptero.panel.plugins.module_utils._lookup import same_value
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure, failure_context
from ansible_collections.ptero.panel.plugins.module_utils._servers import EGG_QUERY, pelican_eggs

NEST_EGGS = InfoQuery(
    "eggs",
    "application.eggs.list",
    scope=NEST,
    filters={"name": Match("name")},
    lookups={"id": get_by("application.eggs.get", "egg")},
    query=lambda params: dict(EGG_QUERY),
)


def read_pelican_eggs(reading: Reading) -> dict[str, t.Any]:
    """Pelican's one flat egg list, narrowed by id, name and the tag `nest` names."""
    params = reading.params
    with failure_context("Could not list the eggs"):
        eggs = pelican_eggs(reading.client, params["nest"])

    def wanted(egg: dict) -> bool:
        if params["id"] is not None and egg.get("id") != params["id"]:
            return False
        return params["name"] is None or same_value("name", egg.get("name"), params["name"])

    return {"eggs": [egg for egg in eggs if wanted(egg)]}


def read_eggs(reading: Reading) -> dict[str, t.Any]:
    """Pelican's eggs, or those of the Pterodactyl nest `nest` names."""
    with failure_context("Could not tell which panel this is"):
        pelican = reading.client.flavour == PELICAN
    if pelican:
        return read_pelican_eggs(reading)
    if reading.params["nest"] is None:
        raise TaskFailure("nest: required on Pterodactyl, whose eggs belong to nests (only Pelican lists every egg)")
    nest = NEST.resolve(reading.client, reading.params["nest"])
    return read_objects(NEST_EGGS, reading._replace(scope=nest))


QUERY = InfoQuery("eggs", read=read_eggs)


def main():
    run_info(
        PanelModule({"nest": {"type": "str"}, "id": {"type": "int"}, "name": {"type": "str"}}, api="application"), QUERY
    )


if __name__ == "__main__":
    main()
