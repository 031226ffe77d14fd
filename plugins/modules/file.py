#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: file
short_description: Manage files and folders of a Pterodactyl server
version_added: 0.1.0
description:
  - Creates, rewrites and deletes files and folders of a game server, sets their permissions, downloads URLs into the
    server, and creates or extracts archives.
  - A file is rewritten only when its content differs. Files larger than the panel's editing limit (4 MiB by default)
    or that are not UTF-8 text cannot be compared and are rewritten on every run.
  - Uses the client API; the panel passes every call on to Wings.
options:
  server:
    description:
      - The server, by its 8-character identifier, its uuid or its name.
    type: str
    required: true
  path:
    description:
      - Path of the file or folder, relative to the server's root (a leading V(/) is allowed).
      - C(..) segments are refused.
    type: str
    required: true
  state:
    description:
      - V(file) makes sure O(path) is a file; with O(content), O(src) or O(pull_url) it is created when missing.
        Without them the file must already exist (only O(mode) is applied).
      - V(directory) creates the folder, with any missing parent folders.
      - V(absent) deletes the file or folder, with everything in it.
      - Leaving it out means V(file). It cannot be combined with O(compress) or O(decompress).
    type: str
    choices: [file, directory, absent]
  content:
    description:
      - The text the file must contain, written as UTF-8.
      - The content is shown in diffs; use the task's C(no_log) for secrets.
    type: str
  src:
    description:
      - A file on the Ansible controller to upload as the content, found like the C(src) of M(ansible.builtin.copy)
        (the C(files/) folder of a role is searched). Any bytes can be uploaded.
    type: path
  pull_url:
    description:
      - Have Wings download this URL to O(path) when O(path) does not exist yet. An existing file is left alone.
      - The panel allows 10 downloads per 5 minutes per user.
    type: str
  mode:
    description:
      - Permissions of the file or folder as an octal string, for example V("644") or V("0755").
      - Compared with the permissions the panel shows; new files get V(644) and new folders V(755) from Wings.
    type: str
  compress:
    description:
      - Create a C(.tar.gz) archive of O(path) in the same folder. Wings picks the archive's name.
      - With O(dest), the archive is moved to O(dest), and nothing is done when O(dest) already exists.
        Without O(dest) a new archive is made on every run.
    type: bool
    default: false
  dest:
    description:
      - With O(compress=true), where the archive should end up, relative to the server's root.
    type: str
  decompress:
    description:
      - Extract the archive at O(path) into the folder that holds it.
      - With O(creates), nothing is done when that path already exists; without it the archive is extracted on every
        run.
    type: bool
    default: false
  creates:
    description:
      - With O(decompress=true), a path the archive creates; when it exists the archive is not extracted again.
    type: str
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Accept the EULA
  ptero.panel.file:
    server: Survival
    path: eula.txt
    content: "eula=true\n"

- name: Upload the server configuration from the role's files/ folder
  ptero.panel.file:
    server: Survival
    path: config/paper-global.yml
    src: paper-global.yml
    mode: "640"

- name: A folder for plugins
  ptero.panel.file:
    server: Survival
    path: plugins
    state: directory

- name: Download a plugin once
  ptero.panel.file:
    server: Survival
    path: plugins/Dynmap.jar
    pull_url: https://example.com/downloads/Dynmap.jar

- name: Archive the world, once
  ptero.panel.file:
    server: Survival
    path: world
    compress: true
    dest: archives/world-before-update.tar.gz

- name: Extract an uploaded map
  ptero.panel.file:
    server: Survival
    path: maps/island.tar.gz
    decompress: true
    creates: maps/island

- name: Remove the old logs
  ptero.panel.file:
    server: Survival
    path: logs
    state: absent
"""

RETURN = r"""
file_path:
  description:
    - O(path) as an absolute path inside the server's root.
    - Not named C(path), because Ansible would then add the stat of a file of that name on the machine running the
      module (owner, mode, size, state) to the result.
  returned: always
  type: str
  sample: /config/paper-global.yml
state:
  description: What O(path) is after the task.
  returned: unless O(compress) or O(decompress) is set
  type: str
  sample: file
file:
  description: The file object of O(path) after the task (predicted in check mode); V(null) when it is absent.
  returned: unless O(compress) or O(decompress) is set
  type: dict
  contains:
    name:
      description: File name.
      type: str
      sample: paper-global.yml
    path:
      description: Absolute path inside the server's root.
      type: str
      sample: /config/paper-global.yml
    mode:
      description: Permissions as text.
      type: str
      sample: -rw-r-----
    mode_bits:
      description: Permissions as octal digits.
      type: str
      sample: "640"
    size:
      description: Size in bytes.
      type: int
      sample: 1204
    is_file:
      description: Whether it is a file (not a folder).
      type: bool
      sample: true
    is_symlink:
      description: Whether it is a symbolic link.
      type: bool
      sample: false
    mimetype:
      description: Detected media type; folders have C(inode/directory).
      type: str
      sample: text/plain; charset=utf-8
    created_at:
      description: Creation time.
      type: str
      sample: "2026-01-01T00:00:00+00:00"
    modified_at:
      description: Last change.
      type: str
      sample: "2026-01-01T00:00:00+00:00"
archive:
  description:
    - With O(compress=true), the archive's file object (at O(dest) when it is set).
    - V(null) in check mode when O(dest) is not set, as Wings picks the name.
  returned: when O(compress=true)
  type: dict
  sample: {name: world-before-update.tar.gz, path: /archives/world-before-update.tar.gz, size: 52428800, is_file: true}
actions:
  description: The changes made (or that check mode would make), in order.
  returned: always
  type: list
  elements: str
  sample: [write, chmod]
"""

import posixpath
import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._client_files import (
    DEFAULT_MODES,
    PathError,
    ServerFiles,
    kind_of,
    normalize_mode,
    normalize_path,
    same_mode,
    view,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server

ARCHIVE_CONFLICTS = ("state", "content", "src", "pull_url", "mode")


def fail_on_conflicts(module: PanelModule) -> None:
    """Options that only mean something together (checked here because compress/decompress default to false)."""
    params = module.params
    for action, companion in (("compress", "dest"), ("decompress", "creates")):
        if params[companion] is not None and not params[action]:
            module.fail_json(msg=f"{companion}: only used with {action}=true")
    if params["compress"] and params["decompress"]:
        module.fail_json(msg="compress and decompress: choose one")
    for action in ("compress", "decompress"):
        given = [name for name in ARCHIVE_CONFLICTS if params[action] and params[name] is not None]
        if given:
            module.fail_json(msg=f"{', '.join(given)}: not used with {action}=true")
    if params["state"] in ("directory", "absent"):
        given = [name for name in ("content", "src", "pull_url") if params[name] is not None]
        if given:
            module.fail_json(msg=f"{', '.join(given)}: only used with state=file")


def as_text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class FileTask:
    """The `file` module: one path brought to a state, or one explicit archive action, with check and diff mode."""

    def __init__(self, module: PanelModule, server: t.Mapping[str, t.Any]) -> None:
        self.module = module
        self.params = module.params
        self.files = ServerFiles(module.client, server)
        #: Writes done so far (or that check mode would do), in order.
        self.actions: list[str] = []

    # -- helpers ----------------------------------------------------------------------------------

    def call(self, what: str, action: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """Run one file call; a failure after earlier writes still reports `changed`."""
        try:
            return action(*args)
        except PanelError as error:
            raise TaskFailure.from_error(error, what, changed=bool(self.actions), actions=self.actions) from None

    def act(self, name: str, what: str, action: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """A write: recorded in `actions`, skipped in check mode."""
        self.actions.append(name)
        if self.module.check_mode:
            return None
        return self.call(what, action, *args)

    def stat(self, path: str) -> dict[str, t.Any] | None:
        return self.call(f"Could not look up '{path}'", self.files.stat, path)

    def fail(self, msg: str) -> TaskFailure:
        """The failure to raise: it says what was already done."""
        return TaskFailure(msg, changed=bool(self.actions), actions=self.actions)

    def result(self, **result: t.Any) -> dict[str, t.Any]:
        return {"changed": bool(self.actions), "actions": self.actions, **result}

    def option_path(self, option: str) -> str | None:
        value = self.params[option]
        if value is None:
            return None
        try:
            return normalize_path(value, option)
        except PathError as error:
            raise self.fail(str(error)) from error

    # -- the module -------------------------------------------------------------------------------

    def run(self) -> dict[str, t.Any]:
        path = self.option_path("path") or "/"  # path is a required option
        if self.params["compress"]:
            return self.compress(path, self.option_path("dest"))
        if self.params["decompress"]:
            return self.decompress(path, self.option_path("creates"))
        state = self.params["state"] or "file"
        entry = self.stat(path)
        if state == "absent":
            return self.absent(path, entry)
        wanted_mode = None
        if self.params["mode"] is not None:
            try:
                wanted_mode = normalize_mode(self.params["mode"])
            except PathError as error:
                raise self.fail(str(error)) from error
        if entry is not None and kind_of(entry) != state:
            raise self.fail(
                f"path: '{path}' is a {kind_of(entry)} on the server, not a {state}; remove it first (state: absent)"
            )
        if state == "directory":
            before_content = after_content = None
            if entry is None:
                self.act("create_directory", f"Could not create the folder '{path}'", self.files.make_directory, path)
        else:
            before_content, after_content = self.ensure_file(path, entry)
        final = self.ensure_mode(path, state, entry, wanted_mode)
        return self.result(
            file_path=path,
            state=state,
            file=final,
            diff={"before": view(path, entry, before_content), "after": view(path, final, after_content)},
        )

    def absent(self, path: str, entry: dict[str, t.Any] | None) -> dict[str, t.Any]:
        if entry is not None:
            self.act("delete", f"Could not delete '{path}'", self.files.delete, path)
        return self.result(
            file_path=path, state="absent", file=None, diff={"before": view(path, entry), "after": view(path, None)}
        )

    def desired_content(self) -> bytes | None:
        if self.params["content"] is not None:
            return self.params["content"].encode("utf-8")
        if self.params["src"] is not None:
            try:
                with open(self.params["src"], "rb") as source:
                    return source.read()
            except OSError as error:
                raise self.fail(f"src: cannot read '{self.params['src']}': {error.strerror}") from error
        return None

    def current_content(self, path: str) -> bytes | None:
        """The file's content for comparing, or None when the panel will not show it (too large)."""
        try:
            return self.files.read(path).encode("utf-8")
        except PanelError as error:
            if error.status == 400:
                return None
            raise self.fail(f"Could not read '{path}': {error}") from error

    def ensure_file(self, path: str, entry: dict[str, t.Any] | None) -> tuple[str | None, str | None]:
        """Create or rewrite the file; returns the (before, after) content for the diff when it is text."""
        if self.params["pull_url"] is not None:
            if entry is None:
                self.act(
                    "pull",
                    f"Could not pull {self.params['pull_url']} into '{path}'",
                    self.files.pull,
                    self.params["pull_url"],
                    path,
                )
            return None, None
        wanted = self.desired_content()
        if wanted is None:
            if entry is None:
                raise self.fail(f"path: '{path}' does not exist; set content, src or pull_url to create it")
            return None, None
        current = None
        # Sizes differ: the content does too, and is read only to show it in a diff.
        if entry is not None and (entry.get("size") == len(wanted) or self.module._diff):
            current = self.current_content(path)
        if entry is None or current != wanted:
            self.act("write", f"Could not write '{path}'", self.files.write, path, wanted)
        shown_after = as_text(wanted)
        if shown_after is None or not self.module._diff:
            return None, None
        return as_text(current), shown_after

    def ensure_mode(
        self, path: str, state: str, entry: dict[str, t.Any] | None, wanted: str | None
    ) -> dict[str, t.Any] | None:
        """Apply `mode`; returns the path's file object after the task (predicted in check mode)."""
        if self.module.check_mode:
            predicted: dict[str, t.Any] = (
                dict(entry)
                if entry is not None
                else {
                    "name": posixpath.basename(path),
                    "path": path,
                    "is_file": state == "file",
                    "mode_bits": DEFAULT_MODES[state],
                }
            )
            if wanted is not None and not same_mode(predicted.get("mode_bits"), wanted):
                self.actions.append("chmod")
                predicted["mode_bits"] = wanted
            return predicted
        final = self.stat(path) if self.actions else entry
        if final is None:
            raise self.fail(f"'{path}' is still missing after {', '.join(self.actions)}")
        if wanted is not None and not same_mode(final.get("mode_bits"), wanted):
            self.act("chmod", f"Could not change the mode of '{path}'", self.files.chmod, path, wanted)
            final = self.stat(path)
        return final

    def compress(self, path: str, dest: str | None) -> dict[str, t.Any]:
        source = self.stat(path)
        if source is None:
            raise self.fail(f"path: '{path}' does not exist, so it cannot be compressed")
        existing = self.stat(dest) if dest else None
        if dest and existing is not None:
            return self.result(
                file_path=path, archive=existing, diff={"before": view(dest, existing), "after": view(dest, existing)}
            )
        archive = self.act("compress", f"Could not compress '{path}'", self.files.compress, path)
        if dest is not None:
            if archive is not None and archive["path"] != dest:
                self.act(
                    "rename",
                    f"Could not move the archive {archive['path']} to '{dest}'",
                    self.files.rename,
                    archive["path"],
                    dest,
                )
            archive = (
                self.stat(dest) if not self.module.check_mode else {"name": posixpath.basename(dest), "path": dest}
            )
        shown = dest or (archive or {}).get("path") or f"{path}.tar.gz"
        return self.result(
            file_path=path,
            archive=archive,
            diff={"before": view(shown, None), "after": {"path": shown, "state": "file"}},
        )

    def decompress(self, path: str, creates: str | None) -> dict[str, t.Any]:
        if creates is not None and self.stat(creates) is not None:
            return self.result(file_path=path, diff={"before": {}, "after": {}})
        archive = self.stat(path)
        if archive is None or not archive.get("is_file"):
            raise self.fail(f"path: '{path}' is not an archive file on the server, so it cannot be decompressed")
        self.act("decompress", f"Could not decompress '{path}'", self.files.decompress, path)
        return self.result(file_path=path, diff={"before": {"decompressed": None}, "after": {"decompressed": path}})


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "path": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["file", "directory", "absent"]},
            "content": {"type": "str"},
            "src": {"type": "path"},
            "pull_url": {"type": "str"},
            "mode": {"type": "str"},
            "compress": {"type": "bool", "default": False},
            "dest": {"type": "str"},
            "decompress": {"type": "bool", "default": False},
            "creates": {"type": "str"},
        },
        api="client",
        mutually_exclusive=[("content", "src", "pull_url")],
    )
    fail_on_conflicts(module)
    with module.failures_reported():
        result = FileTask(module, client_server(module.client, module.params["server"])).run()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
