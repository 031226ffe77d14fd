#!/usr/bin/python
# -*- coding: utf-8 -*-
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
      - With O(creates), nothing is done when that path already exists; without it the archive is extracted on every run.
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

from ansible_collections.ptero.panel.plugins.module_utils._client_files import FileTask
from ansible_collections.ptero.panel.plugins.module_utils._client_resources import require_client_server
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule

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
    server = require_client_server(module, module.params["server"])
    FileTask(module, server).run()


if __name__ == "__main__":
    main()
