#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: file_info
short_description: List a folder or read a file of a Pterodactyl server
version_added: 0.1.0
description:
  - Returns the entries of a folder of a game server, or the details and the text content of one file.
  - A path that does not exist is not an error; RV(exists) is V(false) then.
  - Uses the client API; the panel passes every call on to Wings.
options:
  server:
    description:
      - The server, by its 8-character identifier, its uuid or its name.
    type: str
    required: true
  path:
    description:
      - Path of the folder or file, relative to the server's root. C(..) segments are refused.
    type: str
    default: /
  read_content:
    description:
      - When O(path) is a file, also return its content as text.
      - The panel refuses files larger than its editing limit (4 MiB by default); RV(content) is V(null) for them,
        with a warning.
    type: bool
    default: true
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes.info
  - ptero.panel.matching
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: List the server's root folder
  ptero.panel.file_info:
    server: Survival
  register: root

- name: Names of the folders in it
  ansible.builtin.debug:
    msg: "{{ root.files | rejectattr('is_file') | map(attribute='name') | list }}"

- name: Read server.properties
  ptero.panel.file_info:
    server: Survival
    path: server.properties
  register: properties

- name: The configured port
  ansible.builtin.debug:
    msg: "{{ properties.content | regex_search('server-port=(\\d+)', '\\1') | first }}"
"""

RETURN = r"""
file_path:
  description:
    - O(path) as an absolute path inside the server's root.
    - Not named C(path), because Ansible would then add the stat of a file of that name on the machine running the
      module (owner, mode, size, state) to the result.
  returned: always
  type: str
  sample: /server.properties
exists:
  description: Whether O(path) exists.
  returned: always
  type: bool
  sample: true
file:
  description: The file object of O(path) itself (see M(ptero.panel.file) for its fields); V(null) when it does not
    exist.
  returned: always
  type: dict
  sample: {name: server.properties, path: /server.properties, mode: -rw-r--r--, mode_bits: "644", size: 84,
           is_file: true, is_symlink: false, mimetype: text/plain; charset=utf-8,
           created_at: "2026-01-01T00:00:00+00:00",
           modified_at: "2026-01-01T00:00:00+00:00"}
files:
  description: The entries of the folder, folders first, each a file object with its C(path); empty unless O(path) is
    a folder.
  returned: always
  type: list
  elements: dict
  sample: [{name: logs, path: /logs, mode: drwxr-xr-x, mode_bits: "755", size: 4096, is_file: false, is_symlink: false,
            mimetype: inode/directory, created_at: "2026-01-01T00:00:00+00:00",
            modified_at: "2026-01-01T00:00:00+00:00"}]
content:
  description: The file's content; V(null) unless O(path) is a file and O(read_content=true).
  returned: always
  type: str
  sample: "motd=A Pterodactyl Server\nserver-port=25565\n"
"""

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._client_files import PathError, ServerFiles, normalize_path
from ansible_collections.ptero.panel.plugins.module_utils._info import CLIENT_SERVER, InfoQuery, Reading, run_info
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure, failure_context


def panel_path(params: t.Mapping[str, t.Any]) -> str:
    try:
        return normalize_path(params["path"], allow_root=True)
    except PathError as error:
        raise TaskFailure(str(error)) from None


def read_content(reading: Reading, files: ServerFiles, path: str) -> str | None:
    """The file's text, or None (with a warning) when the panel refuses it for its size."""
    try:
        return files.read(path)
    except PanelError as error:
        if error.status != 400:
            raise TaskFailure.from_error(error, f"Could not read '{path}'") from None
        reading.warn(f"The content of '{path}' was not returned: {error}")
        return None


def read_path(reading: Reading) -> dict:
    path = panel_path(reading.params)
    files = ServerFiles(reading.client, reading.owner)
    with failure_context(f"Could not look up '{path}'"):
        entry = files.stat(path)
    listing, content = [], None
    if entry is not None and not entry.get("is_file"):
        with failure_context(f"Could not list '{path}'"):
            listing = files.list(path) or []
    elif entry is not None and reading.params["read_content"]:
        content = read_content(reading, files, path)
    return {"file_path": path, "exists": entry is not None, "file": entry, "files": listing, "content": content}


QUERY = InfoQuery("files", scope=CLIENT_SERVER, read=read_path, validate=panel_path)


def main():
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "path": {"type": "str", "default": "/"},
            "read_content": {"type": "bool", "default": True},
        },
        api="client",
    )
    run_info(module, QUERY)


if __name__ == "__main__":
    main()
