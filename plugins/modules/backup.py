#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup
short_description: Create, lock, restore and delete backups of a Pterodactyl server
version_added: 0.1.0
description:
  - Makes sure a backup with a given name exists (creating it when it does not), locks or unlocks it, restores it,
    or deletes it.
  - A backup is identified by its name. Failed backups do not count as present; a new one is created instead.
  - The panel limits how many backups a server may keep (its backup limit) and how often backups may be started
    (by default 2 per 10 minutes per server). A new backup over the limit fails with a message naming the backups
    to delete first.
  - Uses the client API.
options:
  server:
    description: The server, by identifier, UUID or name.
    type: str
    required: true
  name:
    description: Name of the backup; it identifies the backup.
    type: str
    required: true
  ignored:
    description:
      - Files and directories to leave out of a new backup, one pattern per entry (the syntax of C(.pteroignore)).
      - The panel cannot change them once the backup exists; a difference fails.
    type: list
    elements: str
  locked:
    description:
      - Whether the backup is locked. A locked backup cannot be deleted, nor rotated away by scheduled backups.
      - Leave it out to keep the lock as it is (new backups are then unlocked).
      - With O(state=absent), V(false) unlocks locked backups so they can be deleted.
      - Not used with O(state=restored).
    type: bool
  state:
    description:
      - V(present) creates the backup unless one with this name exists (running or finished).
      - V(absent) deletes every backup with this name.
      - V(restored) restores the backup onto the server; this always reports a change.
        A failed backup (or one still running without O(wait=true)) is refused before anything is sent,
        on every panel version.
    type: str
    choices: [present, absent, restored]
    default: present
  truncate:
    description: With O(state=restored), delete all of the server's files before restoring.
    type: bool
    default: false
  wait:
    description:
      - With O(state=present), wait until the backup has finished; a failed backup fails the task.
      - With O(state=restored), wait for a running backup to finish first, and for the restore to finish after.
      - A backup that was created, locked or started restoring counts as a change even when the wait then
        times out or the backup fails; the message says what was done and what did not finish.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 1800
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Back up the world before the update, and keep that backup
  ptero.panel.backup:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
    name: before-1.21
    ignored:
      - logs/
      - "*.tmp"
    locked: true
    wait: true

- name: Roll back to it
  ptero.panel.backup:
    server: survival
    name: before-1.21
    state: restored
    truncate: true
    wait: true

- name: Drop it again
  ptero.panel.backup:
    server: survival
    name: before-1.21
    locked: false
    state: absent
"""

RETURN = r"""
backup:
  description: The backup after the task; V(null) when absent. In check mode, what it would be.
  returned: always
  type: dict
  contains:
    uuid:
      description: UUID of the backup.
      type: str
      sample: 0d6b5f7c-3f8a-4a57-9d69-1cd0e8c0f1a2
    name:
      description: Name.
      type: str
      sample: before-1.21
    ignored_files:
      description: Ignore patterns.
      type: list
      elements: str
      sample: [logs/, "*.tmp"]
    is_locked:
      description: Whether the backup is locked.
      type: bool
      sample: true
    is_successful:
      description: Whether the backup has finished successfully.
      type: bool
      sample: true
    checksum:
      description: Checksum of the archive once finished.
      type: str
      sample: "sha1:3f786850e387550fdab836ed7e6dc881de23001b"
    bytes:
      description: Size of the archive in bytes.
      type: int
      sample: 104857600
    created_at:
      description: Start time (ISO 8601).
      type: str
      sample: "2026-01-01T00:00:00+00:00"
    completed_at:
      description: End time (ISO 8601); V(null) while the backup runs.
      type: str
      sample: "2026-01-01T00:01:00+00:00"
deleted:
  description: UUIDs of the backups deleted.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [0d6b5f7c-3f8a-4a57-9d69-1cd0e8c0f1a2]
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._client_resources import (
    backup_failed,
    backup_running,
    require_client_server,
    server_path,
)

MANAGED = ("name", "ignored_files", "is_locked")
# The 400 detail of panel 1.14.1+ for a restore of a failed or unfinished backup.
NOT_RESTORABLE_DETAIL = "cannot be restored"


def view(backup):
    return {key: backup.get(key) for key in MANAGED} if backup else {}


class Backups:
    def __init__(self, module: PanelModule, server: dict) -> None:
        self.module = module
        self.params = module.params
        self.server = server
        self.label = f"backup '{self.params['name']}' of server '{server['name']}'"

    def path(self, backup=None) -> dict:
        return server_path(self.server, backup=backup["uuid"]) if backup else server_path(self.server)

    def list_all(self) -> list:
        return self.module.collect("client.backups.list", self.path(), what=f"Could not list the backups of server '{self.server['name']}'")

    def named(self, backups: list) -> list:
        return [b for b in backups if b.get("name") == self.params["name"]]

    def one_of(self, candidates: list):
        if len(candidates) > 1:
            uuids = ", ".join(b["uuid"] for b in candidates)
            self.module.fail_json(msg=f"{self.label}: {len(candidates)} backups have this name ({uuids}); "
                                      "delete the extra ones or use another name")
        return candidates[0] if candidates else None

    def wait_finished(self, backup: dict) -> dict:
        final = self.module.wait_for(
            lambda: self.module.call("client.backups.get", self.path(backup), what=f"Could not read {self.label}"),
            lambda b: b.get("completed_at") is not None, self.params["wait_timeout"], f"{self.label} to finish",
            describe=lambda b: "still running")
        if backup_failed(final):
            self.module.fail_json(msg=f"{self.label} failed on the node", backup=final)
        return final

    def toggle_lock(self, backup: dict) -> dict:
        verb = "unlock" if backup.get("is_locked") else "lock"
        toggled = self.module.call("client.backups.toggle_lock", self.path(backup), what=f"Could not {verb} {self.label}")
        self.module.record_write(f"{verb}ed the backup")
        return toggled

    def not_restorable(self, backup: dict) -> t.NoReturn:
        self.module.fail_json(msg=f"Cannot restore {self.label}: it failed on the node (uuid {backup.get('uuid')}), "
                                  "and a failed backup cannot be restored; create a new backup",
                              backup=backup)

    # -- states -----------------------------------------------------------------------------------

    def present(self) -> None:
        backups = self.list_all()
        current = self.one_of([b for b in self.named(backups) if not backup_failed(b)])
        if current is None:
            self.create(backups)
        ignored = self.params["ignored"]
        if ignored is not None and sorted(ignored) != sorted(current.get("ignored_files") or []):
            self.module.fail_json(msg=f"{self.label}: ignored can only be set when the backup is created (it has "
                                      f"{current.get('ignored_files')!r}); delete it or leave ignored out", changed=False)
        after, changed = current, False
        locked = self.params["locked"]
        if locked is not None and locked != bool(current.get("is_locked")):
            changed = True
            after = {**current, "is_locked": locked} if self.module.check_mode else self.toggle_lock(current)
        if self.params["wait"] and backup_running(after) and not self.module.check_mode:
            after = self.wait_finished(after)
        self.module.exit_json(changed=changed, backup=after, diff={"before": view(current), "after": view(after)})

    def create(self, backups: list) -> None:
        limit = (self.server.get("feature_limits") or {}).get("backups")
        live = [b for b in backups if not backup_failed(b)]
        if not limit:
            self.module.fail_json(msg=f"Cannot create {self.label}: the server's backup limit is 0, so it may have no backups")
        if len(live) >= limit:
            names = ", ".join(repr(b.get("name")) for b in live)
            self.module.fail_json(msg=f"Cannot create {self.label}: the server has reached its limit of {limit} "
                                      f"backups ({names}); delete one first or ask for a higher limit")
        for failed in self.named(backups):
            self.module.warn(f"A failed backup with this name exists ({failed['uuid']}); creating a new one")
        ignored = self.params["ignored"] or []
        locked = bool(self.params["locked"])
        if self.module.check_mode:
            created = {"name": self.params["name"], "ignored_files": ignored, "is_locked": locked}
            self.module.exit_json(changed=True, backup=created, diff={"before": {}, "after": view(created)})
        body = {"name": self.params["name"], "ignored": "\n".join(ignored), "is_locked": locked}
        try:
            created = self.module.client.call("client.backups.create", self.path(), body=body)
        except PanelError as error:
            created = self.adopt_after_error(error)
        self.module.record_write("created the backup")
        if created.get("is_locked") != locked:
            # The panel honours is_locked only for users who may delete backups; the toggle says so clearly.
            created = self.toggle_lock(created)
        if self.params["wait"]:
            created = self.wait_finished(created)
        self.module.exit_json(changed=True, backup=created, diff={"before": {}, "after": view(created)})

    def adopt_after_error(self, error: PanelError) -> dict:
        """A create whose answer was lost may have started the backup: look before failing."""
        if error.write_state == "unknown":
            found = [b for b in self.named(self.list_all()) if not backup_failed(b)]
            if len(found) == 1:
                self.module.warn(f"The panel's answer to creating {self.label} was lost; the backup exists and has been adopted.")
                return found[0]
        self.module.fail_from_error(error, f"Could not create {self.label}")

    def absent(self) -> None:
        matches = self.named(self.list_all())
        protected = [b for b in matches if b.get("is_locked") and b.get("is_successful")]
        if protected and self.params["locked"] is not False:
            self.module.fail_json(msg=f"{self.label} is locked ({', '.join(b['uuid'] for b in protected)}); "
                                      "set locked: false to unlock and delete it")
        if matches and not self.module.check_mode:
            for backup in matches:
                if backup in protected:
                    self.toggle_lock(backup)
                self.module.call("client.backups.delete", self.path(backup), what=f"Could not delete {self.label}")
        before = view(matches[0]) if matches else {}
        self.module.exit_json(changed=bool(matches), backup=None, deleted=[b["uuid"] for b in matches],
                              diff={"before": before, "after": {}})

    def restored(self) -> None:
        matches = self.named(self.list_all())
        usable = [b for b in matches if not backup_failed(b)]
        if matches and not usable:
            # Panels before 1.14.1 would start such a restore; it cannot work, so it is refused on every version.
            self.not_restorable(matches[-1])
        backup = self.one_of(usable)
        if backup is None:
            self.module.fail_json(msg=f"Cannot restore {self.label}: no such backup")
        if backup_running(backup):
            if not self.params["wait"]:
                self.module.fail_json(msg=f"Cannot restore {self.label}: it is still running; use wait: true to wait for it")
            if not self.module.check_mode:
                backup = self.module.wait_for(
                    lambda: self.module.call("client.backups.get", self.path(backup), what=f"Could not read {self.label}"),
                    lambda b: b.get("completed_at") is not None, self.params["wait_timeout"],
                    f"{self.label} to finish before restoring it", describe=lambda b: "still running")
                if backup_failed(backup):
                    self.not_restorable(backup)
        if not self.module.check_mode:
            self.start_restore(backup)
            if self.params["wait"]:
                self.module.wait_for(
                    lambda: self.module.call("client.servers.get", self.path(), what="Could not read the server"),
                    lambda s: s.get("status") != "restoring_backup", self.params["wait_timeout"],
                    f"the server to finish restoring {self.label}",
                    describe=lambda s: f"status {s.get('status')!r}")
        self.module.exit_json(changed=True, backup=backup, diff={"before": view(backup), "after": view(backup)})

    def start_restore(self, backup: dict) -> None:
        try:
            self.module.client.call("client.backups.restore", self.path(backup), body={"truncate": self.params["truncate"]})
        except PanelError as error:
            if error.status == 400 and NOT_RESTORABLE_DETAIL in (error.detail or ""):
                self.not_restorable(backup)  # panel 1.14.1+: the backup failed after it was listed
            self.module.fail_from_error(error, f"Could not restore {self.label}")
        self.module.record_write("started restoring the backup")


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "ignored": {"type": "list", "elements": "str"},
            "locked": {"type": "bool"},
            "state": {"type": "str", "choices": ["present", "absent", "restored"], "default": "present"},
            "truncate": {"type": "bool", "default": False},
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 1800},
        },
        api="client",
    )
    server = require_client_server(module, module.params["server"])
    getattr(Backups(module, server), module.params["state"])()


if __name__ == "__main__":
    main()
