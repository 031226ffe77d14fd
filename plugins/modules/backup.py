#!/usr/bin/python
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

from ansible_collections.ptero.panel.plugins.module_utils._backups import backup_failed, backup_running
from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    Outcome,
    PanelModule,
    TaskFailure,
    failure_context,
)
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path

MANAGED = ("name", "ignored_files", "is_locked")
# The 400 detail of panel 1.14.1+ for a restore of a failed or unfinished backup.
NOT_RESTORABLE_DETAIL = "cannot be restored"


def view(backup):
    return {key: backup.get(key) for key in MANAGED} if backup else {}


def outcome(changed: bool, before: dict | None, after: dict | None, **extra: t.Any) -> Outcome:
    return Outcome("backup", changed, after, view(before), view(after), existed=before is not None, extra=extra)


class Backups:
    """The backups of one server with one name. The panel allows several with the same name, so this is not an
    engine resource: each state is a method that returns the outcome."""

    def __init__(self, module: PanelModule, server: dict) -> None:
        self.module = module
        self.client = module.client
        self.params = module.params
        self.server = server
        self.label = f"backup '{self.params['name']}' of server '{server['name']}'"

    def path(self, backup=None) -> dict:
        return server_path(self.server, backup=backup["uuid"]) if backup else server_path(self.server)

    def list_all(self) -> list:
        with failure_context(f"Could not list the backups of server '{self.server['name']}'"):
            return self.client.collect("client.backups.list", self.path())

    def named(self, backups: list) -> list:
        return [b for b in backups if b.get("name") == self.params["name"]]

    def one_of(self, candidates: list):
        if len(candidates) > 1:
            uuids = ", ".join(b["uuid"] for b in candidates)
            raise TaskFailure(
                f"{self.label}: {len(candidates)} backups have this name ({uuids}); "
                "delete the extra ones or use another name"
            )
        return candidates[0] if candidates else None

    def find_usable(self, backups: list | None = None):
        """The one backup with this name that did not fail, or None."""
        return self.one_of(
            [b for b in self.named(self.list_all() if backups is None else backups) if not backup_failed(b)]
        )

    def get(self, backup: dict) -> dict:
        with failure_context(f"Could not read {self.label}"):
            return self.client.call("client.backups.get", self.path(backup))

    def wait_finished(self, backup: dict, what: str = "") -> dict:
        return self.module.wait_for(
            lambda: self.get(backup),
            lambda b: b.get("completed_at") is not None,
            self.params["wait_timeout"],
            what or f"{self.label} to finish",
            describe=lambda b: "still running",
        )

    def wait_successful(self, backup: dict) -> dict:
        final = self.wait_finished(backup)
        if backup_failed(final):
            raise TaskFailure(f"{self.label} failed on the node", backup=final)
        return final

    def toggle_lock(self, backup: dict) -> dict:
        verb = "unlock" if backup.get("is_locked") else "lock"
        with failure_context(f"Could not {verb} {self.label}"):
            toggled = self.client.call("client.backups.toggle_lock", self.path(backup))
        self.module.record_write(f"{verb}ed the backup")
        return toggled

    def not_restorable(self, backup: dict) -> TaskFailure:
        return TaskFailure(
            f"Cannot restore {self.label}: it failed on the node (uuid {backup.get('uuid')}), "
            "and a failed backup cannot be restored; create a new backup",
            backup=backup,
        )

    # -- states -----------------------------------------------------------------------------------

    def present(self) -> Outcome:
        backups = self.list_all()
        current = self.find_usable(backups)
        if current is None:
            return self.create(backups)
        ignored = self.params["ignored"]
        if ignored is not None and sorted(ignored) != sorted(current.get("ignored_files") or []):
            raise TaskFailure(
                f"{self.label}: ignored can only be set when the backup is created (it has "
                f"{current.get('ignored_files')!r}); delete it or leave ignored out",
                changed=False,
            )
        after, changed = current, False
        locked = self.params["locked"]
        if locked is not None and locked != bool(current.get("is_locked")):
            changed = True
            after = {**current, "is_locked": locked} if self.module.check_mode else self.toggle_lock(current)
        if self.params["wait"] and backup_running(after) and not self.module.check_mode:
            after = self.wait_successful(after)
        return outcome(changed, current, after)

    def check_room(self, backups: list) -> None:
        """Refuse a create the panel would refuse (limit 0, or the limit reached) before sending it."""
        limit = (self.server.get("feature_limits") or {}).get("backups")
        live = [b for b in backups if not backup_failed(b)]
        if not limit:
            raise TaskFailure(f"Cannot create {self.label}: the server's backup limit is 0, so it may have no backups")
        if len(live) >= limit:
            names = ", ".join(repr(b.get("name")) for b in live)
            raise TaskFailure(
                f"Cannot create {self.label}: the server has reached its limit of {limit} "
                f"backups ({names}); delete one first or ask for a higher limit"
            )

    def create(self, backups: list) -> Outcome:
        self.check_room(backups)
        for failed in self.named(backups):
            self.module.warn(f"A failed backup with this name exists ({failed['uuid']}); creating a new one")
        ignored = self.params["ignored"] or []
        locked = bool(self.params["locked"])
        if self.module.check_mode:
            return outcome(True, None, {"name": self.params["name"], "ignored_files": ignored, "is_locked": locked})
        body = {"name": self.params["name"], "ignored": "\n".join(ignored), "is_locked": locked}
        created = self.module.create_adopting_lost_answer(
            self.label, lambda: self.client.call("client.backups.create", self.path(), body=body), self.find_usable
        )
        self.module.record_write("created the backup")
        if created.get("is_locked") != locked:
            # The panel honours is_locked only for users who may delete backups; the toggle says so clearly.
            created = self.toggle_lock(created)
        if self.params["wait"]:
            created = self.wait_successful(created)
        return outcome(True, None, created)

    def absent(self) -> Outcome:
        matches = self.named(self.list_all())
        protected = [b for b in matches if b.get("is_locked") and b.get("is_successful")]
        if protected and self.params["locked"] is not False:
            raise TaskFailure(
                f"{self.label} is locked ({', '.join(b['uuid'] for b in protected)}); "
                "set locked: false to unlock and delete it"
            )
        if matches and not self.module.check_mode:
            for backup in matches:
                if backup in protected:
                    self.toggle_lock(backup)
                with failure_context(f"Could not delete {self.label}"):
                    self.client.call("client.backups.delete", self.path(backup))
        result = outcome(bool(matches), matches[0] if matches else None, None, deleted=[b["uuid"] for b in matches])
        return result.but(existed=bool(matches))

    def restorable(self) -> dict:
        """The backup to restore, finished (waited for when `wait` allows); TaskFailure when there is none."""
        matches = self.named(self.list_all())
        usable = [b for b in matches if not backup_failed(b)]
        if matches and not usable:
            # Panels before 1.14.1 would start such a restore; it cannot work, so it is refused on every version.
            raise self.not_restorable(matches[-1])
        backup = self.one_of(usable)
        if backup is None:
            raise TaskFailure(f"Cannot restore {self.label}: no such backup")
        if backup_running(backup):
            if not self.params["wait"]:
                raise TaskFailure(f"Cannot restore {self.label}: it is still running; use wait: true to wait for it")
            if not self.module.check_mode:
                backup = self.wait_finished(backup, f"{self.label} to finish before restoring it")
                if backup_failed(backup):
                    raise self.not_restorable(backup)
        return backup

    def restored(self) -> Outcome:
        backup = self.restorable()
        if not self.module.check_mode:
            self.start_restore(backup)
            if self.params["wait"]:
                self.wait_restored()
        return outcome(True, backup, backup)

    def wait_restored(self) -> None:
        def server():
            with failure_context("Could not read the server"):
                return self.client.call("client.servers.get", self.path())

        self.module.wait_for(
            server,
            lambda s: s.get("status") != "restoring_backup",
            self.params["wait_timeout"],
            f"the server to finish restoring {self.label}",
            describe=lambda s: f"status {s.get('status')!r}",
        )

    def start_restore(self, backup: dict) -> None:
        try:
            self.client.call("client.backups.restore", self.path(backup), body={"truncate": self.params["truncate"]})
        except PanelError as error:
            if error.status == 400 and NOT_RESTORABLE_DETAIL in (error.detail or ""):
                raise self.not_restorable(backup) from None  # panel 1.14.1+: the backup failed after it was listed
            raise TaskFailure.from_error(error, f"Could not restore {self.label}") from None
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
    with module.failures_reported():
        backups = Backups(module, client_server(module.client, module.params["server"]))
        state = {"present": backups.present, "absent": backups.absent, "restored": backups.restored}
        outcome = state[module.params["state"]]()
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
