# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's files through the client API (the panel proxies every call to Wings), for `file` and `file_info`.

Paths are absolute inside the server root ("/", "/config/app.yml"). Every route is addressed with the server's
full uuid: only then does the panel leave leading and trailing spaces of file names alone.
"""

from __future__ import annotations

import posixpath
import re
import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient, PanelError
from ansible_collections.ptero.panel.plugins.module_utils._servers import server_path

# Octal permission bits as the panel shows them in `mode_bits` ("644"); a leading 0 is accepted.
MODE_PATTERN = re.compile(r"^0?([0-7]{3})$")
# Wings creates files and folders with these modes.
DEFAULT_MODES = {"file": "644", "directory": "755"}


class PathError(ValueError):
    """A path option that cannot be used (it leaves the server root, or names the root itself)."""


def normalize_path(path: str, option: str = "path", allow_root: bool = False) -> str:
    """`path` as an absolute path inside the server root; rejects `..` segments instead of resolving them."""
    if "\0" in path:
        raise PathError(f"{option}: {path!r} contains a NUL character, which no file name can hold")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise PathError(
            f"{option}: '{path}' contains a '..' segment; paths are inside the server's root and may not leave it"
        )
    normalized = "/" + "/".join(parts)
    if normalized == "/" and not allow_root:
        raise PathError(f"{option}: '{path}' is the server's root directory; name a file or folder inside it")
    return normalized


def normalize_mode(mode: str, option: str = "mode") -> str:
    """`mode` as the three octal digits the panel shows in `mode_bits`."""
    match = MODE_PATTERN.match(str(mode).strip())
    if not match:
        raise PathError(
            f"{option}: '{mode}' is not an octal permission like '644' or '0755' (special bits are not supported)"
        )
    return match.group(1)


def same_mode(current: str | None, desired: str) -> bool:
    if current is None:
        return False
    try:
        return int(str(current), 8) & 0o777 == int(desired, 8)
    except ValueError:
        return False


def kind_of(entry: t.Mapping[str, t.Any] | None) -> str:
    """What `entry` is: "file", "directory" or "absent"."""
    if entry is None:
        return "absent"
    return "file" if entry.get("is_file") else "directory"


class ServerFiles:
    """The file routes of one server. Methods raise `PanelError`; the caller adds what it was doing."""

    def __init__(self, client: PanelClient, server: t.Mapping[str, t.Any]) -> None:
        self.client = client
        self.path_params = server_path(server)

    def list(self, directory: str) -> list[dict[str, t.Any]] | None:
        """The entries of `directory`, each with its `path`; None when the directory does not exist."""
        try:
            entries = self.client.call("client.files.list", self.path_params, query={"directory": directory})
        except PanelError as error:
            if error.status == 404:
                return None
            raise
        return [{**entry, "path": posixpath.join(directory, entry["name"])} for entry in entries or []]

    def stat(self, path: str) -> dict[str, t.Any] | None:
        """The file object of `path` (with its `path`), from a listing of its directory; None when it is absent."""
        if path == "/":
            return {"name": "", "path": "/", "is_file": False, "is_symlink": False, "mimetype": "inode/directory"}
        entries = self.list(posixpath.dirname(path))
        return next((entry for entry in entries or [] if entry["name"] == posixpath.basename(path)), None)

    def read(self, path: str) -> str:
        content: str = self.client.call("client.files.contents", self.path_params, query={"file": path})
        return content

    def write(self, path: str, content: bytes) -> None:
        self.client.call("client.files.write", self.path_params, query={"file": path}, body=content)

    def make_directory(self, path: str) -> None:
        body = {"root": posixpath.dirname(path), "name": posixpath.basename(path)}
        self.client.call("client.files.create_folder", self.path_params, body=body)

    def delete(self, path: str) -> None:
        body = {"root": posixpath.dirname(path), "files": [posixpath.basename(path)]}
        self.client.call("client.files.delete", self.path_params, body=body)

    def chmod(self, path: str, mode: str) -> None:
        # Wings parses the mode as an octal string.
        body = {"root": posixpath.dirname(path), "files": [{"file": posixpath.basename(path), "mode": mode}]}
        self.client.call("client.files.chmod", self.path_params, body=body)

    def rename(self, source: str, target: str) -> None:
        body = {"root": "/", "files": [{"from": source.lstrip("/"), "to": target.lstrip("/")}]}
        self.client.call("client.files.rename", self.path_params, body=body)

    def pull(self, url: str, path: str) -> None:
        # foreground: the panel answers once the download is done, so the file can be checked right after.
        body = {
            "url": url,
            "directory": posixpath.dirname(path),
            "filename": posixpath.basename(path),
            "use_header": False,
            "foreground": True,
        }
        self.client.call("client.files.pull", self.path_params, body=body)

    def compress(self, path: str) -> dict[str, t.Any]:
        """Archive `path` next to itself; returns the archive's file object with its `path`."""
        directory = posixpath.dirname(path)
        archive = self.client.call(
            "client.files.compress", self.path_params, body={"root": directory, "files": [posixpath.basename(path)]}
        )
        return {**archive, "path": posixpath.join(directory, archive["name"])}

    def decompress(self, path: str) -> None:
        body = {"root": posixpath.dirname(path), "file": posixpath.basename(path)}
        self.client.call("client.files.decompress", self.path_params, body=body)


def view(path: str, entry: t.Mapping[str, t.Any] | None, content: str | None = None) -> dict[str, t.Any]:
    """The managed facts of a path, for diffs."""
    shown: dict[str, t.Any] = {"path": path, "state": kind_of(entry)}
    if entry is not None and entry.get("mode_bits") is not None:
        shown["mode"] = entry["mode_bits"]
    if content is not None:
        shown["content"] = content
    return shown
