#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mount
short_description: Manage the mounts of a Pelican panel and what they are attached to
version_added: 1.1.0
description:
  - Update a Pelican mount (a host directory that servers can mount) and attach it to eggs, nodes and servers, or
    delete it. Pterodactyl has no mount API; on a Pterodactyl panel the module fails before any change, naming the
    panel.
  - B(Create the mount in the panel UI first.) Pelican's API cannot create mounts (C(POST /api/application/mounts)
    answers a server error on every panel release so far), so a mount that does not exist fails the task instead
    of being created.
  - A mount is identified by its O(name).
  - Attachments are read before anything is attached, since Pelican answers a server error when a mount is attached
    to something it is already attached to. Detaching is idempotent.
  - Uses the application API.
options:
  name:
    description: Name of the mount, matched exactly (case included).
    type: str
    required: true
  source:
    description: Directory on the node that is mounted. Leave it out to keep the panel's value.
    type: str
  target:
    description: Path the directory appears at inside the server's container. Leave it out to keep the panel's value.
    type: str
  description:
    description: Description of the mount. Leave it out to keep the panel's value; V("") clears it.
    type: str
  read_only:
    description: Whether servers see the directory read-only. Leave it out to keep the panel's value.
    type: bool
  user_mountable:
    description: Whether server owners may mount it themselves. Leave it out to keep the panel's value.
    type: bool
  eggs:
    description:
      - The eggs the mount is available to, by egg id, uuid or name.
      - The exact list (others are detached) unless O(append=true). V([]) detaches every egg; leave it out to keep
        the egg attachments as they are.
    type: list
    elements: str
  nodes:
    description:
      - The nodes the mount is available on, by node id or name. Same rules as O(eggs).
    type: list
    elements: str
  servers:
    description:
      - The servers the mount is attached to, by server id, external id, identifier, UUID or name. Same rules as
        O(eggs).
    type: list
    elements: str
  append:
    description:
      - V(true) only attaches what O(eggs), O(nodes) and O(servers) name and detaches nothing.
    type: bool
    default: false
  state:
    description:
      - V(present) updates the mount and its attachments; it fails when the mount does not exist.
      - V(absent) deletes the mount; the panel refuses while servers are attached to it (detach them with
        O(servers=[]) first).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Share the map archive read-only with every Minecraft server on fra1
  ptero.panel.mount:
    url: https://panel.example.com
    api_key: "{{ pelican_application_key }}"
    name: maps
    read_only: true
    eggs: [Paper]
    nodes: [fra1]

- name: Give one more server the mount, leaving the others attached
  ptero.panel.mount:
    name: maps
    servers: [survival]
    append: true
"""

RETURN = r"""
mount:
  description: The mount after the task, with the ids of what it is attached to; V(null) when it is absent.
  returned: always
  type: dict
  contains:
    id:
      description: Panel id of the mount.
      type: int
      sample: 1
    uuid:
      description: UUID of the mount.
      type: str
      sample: 0b1c9c9e-2f56-4d8e-a1f4-1f9e6f3c2b7a
    name:
      description: Name of the mount.
      type: str
      sample: maps
    description:
      description: Description.
      type: str
      sample: Shared maps
    source:
      description: Directory on the node.
      type: str
      sample: /srv/maps
    target:
      description: Path inside the container.
      type: str
      sample: /maps
    read_only:
      description: Mounted read-only.
      type: bool
      sample: true
    user_mountable:
      description: Server owners may mount it.
      type: bool
      sample: false
    eggs:
      description: Ids of the attached eggs, sorted (only when O(eggs) was given).
      type: list
      elements: int
      sample: [3]
    nodes:
      description: Ids of the attached nodes, sorted (only when O(nodes) was given).
      type: list
      elements: int
      sample: [1]
    servers:
      description: Ids of the attached servers, sorted (only when O(servers) was given).
      type: list
      elements: int
      sample: [7, 9]
changed_fields:
  description: Names of the mount fields an update changed.
  returned: when an existing mount was changed
  type: list
  elements: str
  sample: [read_only]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_exact, one
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    Outcome,
    PanelModule,
    PanelResource,
    TaskFailure,
    failure_context,
    without_none,
)
from ansible_collections.ptero.panel.plugins.module_utils._pelican import (
    egg_ids,
    node_ids,
    require_pelican,
    server_ids,
)

FIELDS = ("name", "description", "source", "target", "read_only", "user_mountable")


class Kind(t.NamedTuple):
    """One kind of object a mount is attached to: its routes and how the option's values become ids."""

    list_operation: str
    attach_operation: str
    detach_operation: str
    #: the detach route's path parameter
    parameter: str
    resolve: t.Callable[..., list[int]]


# Option (and the attach body's field) -> the kind.
KINDS: dict[str, Kind] = {
    "eggs": Kind(
        "application.mounts.list_eggs",
        "application.mounts.attach_eggs",
        "application.mounts.detach_egg",
        "egg",
        egg_ids,
    ),
    "nodes": Kind(
        "application.mounts.list_nodes",
        "application.mounts.attach_nodes",
        "application.mounts.detach_node",
        "node",
        node_ids,
    ),
    "servers": Kind(
        "application.mounts.list_servers",
        "application.mounts.attach_servers",
        "application.mounts.detach_server",
        "server",
        server_ids,
    ),
}


class Mount(PanelResource):
    result_key = "mount"
    managed_fields = FIELDS

    def describe(self, obj: t.Mapping[str, t.Any] | None = None) -> str:
        return f"mount '{(obj or self.params)['name']}'"

    def find(self) -> dict[str, t.Any] | None:
        return one(find_exact(self.client, "application.mounts.list", "name", self.params["name"]), self.describe())

    def desired(self) -> dict[str, t.Any]:
        return without_none({key: self.params[key] for key in FIELDS})

    def cannot_create(self) -> t.NoReturn:
        # Pelican's mount create route has no validation rules, so nothing reaches the model: always 500.
        raise TaskFailure(
            f"{self.describe()} does not exist, and Pelican's API cannot create mounts (it answers 500 "
            "to every create): create it in the panel UI first, then run this task to manage it",
            changed=False,
        )

    def predict_create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        self.cannot_create()

    def create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        self.cannot_create()

    def update(self, current: dict[str, t.Any], desired: dict[str, t.Any]) -> dict[str, t.Any]:
        # The panel validates the whole model: name, source and target every time.
        body = {key: current.get(key) for key in FIELDS}
        body.update(desired)
        return self.client.call("application.mounts.update", {"mount": current["id"]}, body=body)

    def delete(self, current: dict[str, t.Any]) -> None:
        self.client.call("application.mounts.delete", {"mount": current["id"]})


def wanted_attachments(module: PanelModule) -> dict[str, list[int]]:
    """The ids the `eggs`, `nodes` and `servers` options name, found before anything is written."""
    return {
        kind: spec.resolve(module.client, module.params[kind], kind)
        for kind, spec in KINDS.items()
        if module.params[kind] is not None
    }


class Attachments:
    """What a mount is attached to, brought to what the `eggs`, `nodes` and `servers` options ask."""

    def __init__(self, module: PanelModule, wanted: dict[str, list[int]], mount: dict[str, t.Any]) -> None:
        self.module = module
        self.client = module.client
        #: kind -> the ids its option names (only the kinds whose option was given)
        self.wanted = wanted
        self.mount = mount
        self.label = f"mount '{mount['name']}'"

    def attached(self, kind: str) -> list[int]:
        """Ids of the objects of `kind` the mount is attached to now."""
        with failure_context(f"Could not list the {kind} of {self.label}"):
            listed = self.client.call(KINDS[kind].list_operation, {"mount": self.mount["id"]})
        return sorted(int(item["id"]) for item in listed or [])

    def plan(self, kind: str, wanted: list[int], have: list[int]) -> tuple[list[int], list[int]]:
        """(ids to attach, ids to detach)."""
        extra = [] if self.module.params["append"] else [i for i in have if i not in wanted]
        return [i for i in wanted if i not in have], extra

    def apply(self, kind: str, attach: list[int], detach: list[int]) -> None:
        mount = {"mount": self.mount["id"]}
        if attach:
            with failure_context(f"Could not attach {kind} {attach} to {self.label}"):
                self.client.call(KINDS[kind].attach_operation, mount, body={kind: attach})
            self.module.record_write(f"attached {kind} {attach}")
        for object_id in detach:
            with failure_context(f"Could not detach {kind} {object_id} from {self.label}"):
                self.client.call(KINDS[kind].detach_operation, {**mount, KINDS[kind].parameter: object_id})
            self.module.record_write(f"detached {kind} {object_id}")

    def ensure(self, outcome: Outcome) -> Outcome:
        """The outcome with the attachments the options ask for, in the object and the diff."""
        changed = outcome.changed
        obj, before, after = dict(outcome.obj or {}), dict(outcome.before), dict(outcome.after)
        for kind, wanted in self.wanted.items():
            have = self.attached(kind)
            attach, detach = self.plan(kind, wanted, have)
            if (attach or detach) and not self.module.check_mode:
                self.apply(kind, attach, detach)
            now = sorted(set(have) - set(detach) | set(attach))
            changed = changed or bool(attach or detach)
            obj[kind], before[kind], after[kind] = now, have, now
        return outcome.but(changed=changed, obj=obj, before=before, after=after)


def main() -> None:
    module = PanelModule(
        {
            "name": {"type": "str", "required": True},
            "source": {"type": "str"},
            "target": {"type": "str"},
            "description": {"type": "str"},
            "read_only": {"type": "bool"},
            "user_mountable": {"type": "bool"},
            "eggs": {"type": "list", "elements": "str"},
            "nodes": {"type": "list", "elements": "str"},
            "servers": {"type": "list", "elements": "str"},
            "append": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
    )
    with module.failures_reported():
        require_pelican(module.client, "mount", "mounts")
        present = module.params["state"] == "present"
        wanted = wanted_attachments(module) if present else {}
        outcome = module.ensure(Mount(module), module.params["state"])
        if present and outcome.obj:
            outcome = Attachments(module, wanted, outcome.obj).ensure(outcome)
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
