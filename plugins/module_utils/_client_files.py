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
from ansible_collections.ptero.panel.plugins.module_utils._client_resources import server_path

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
        raise PathError(f"{option}: '{path}' contains a '..' segment; paths are inside the server's root and may not leave it")
    normalized = "/" + "/".join(parts)
    if normalized == "/" and not allow_root:
        raise PathError(f"{option}: '{path}' is the server's root directory; name a file or folder inside it")
    return normalized


def normalize_mode(mode: str, option: str = "mode") -> str:
    """`mode` as the three octal digits the panel shows in `mode_bits`."""
    match = MODE_PATTERN.match(str(mode).strip())
    if not match:
        raise PathError(f"{option}: '{mode}' is not an octal permission like '644' or '0755' (special bits are not supported)")
    return match.group(1)


def same_mode(current: str | None, desired: str) -> bool:
    if current is None:
        return False
    try:
        return int(str(current), 8) & 0o777 == int(desired, 8)
    except ValueError:
        return False


def kind_of(entry: t.Mapping[str, t.Any] | None) -> str:
    """"file", "directory" or "absent"."""
    if entry is None:
        return "absent"
    return "file" if entry.get("is_file") else "directory"


class ServerFiles:
    """The file routes of one server. Methods raise `PanelError`; modules wrap them with `PanelModule.step`."""

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
        return self.client.call("client.files.contents", self.path_params, query={"file": path})

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
        body = {"url": url, "directory": posixpath.dirname(path), "filename": posixpath.basename(path),
                "use_header": False, "foreground": True}
        self.client.call("client.files.pull", self.path_params, body=body)

    def compress(self, path: str) -> dict[str, t.Any]:
        """Archive `path` next to itself; returns the archive's file object with its `path`."""
        directory = posixpath.dirname(path)
        archive = self.client.call("client.files.compress", self.path_params,
                                   body={"root": directory, "files": [posixpath.basename(path)]})
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


def as_text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class FileTask:
    """The `file` module: one path brought to a state, or one explicit archive action, with check and diff mode."""

    def __init__(self, module: t.Any, server: t.Mapping[str, t.Any]) -> None:
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
            self.module.fail_json(msg=f"{what}: {error}", error=error.to_dict(), changed=bool(self.actions),
                                  actions=self.actions)

    def act(self, name: str, what: str, action: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """A write: recorded in `actions`, skipped in check mode."""
        self.actions.append(name)
        if self.module.check_mode:
            return None
        return self.call(what, action, *args)

    def stat(self, path: str) -> dict[str, t.Any] | None:
        return self.call(f"Could not look up '{path}'", self.files.stat, path)

    def fail(self, msg: str) -> t.NoReturn:
        self.module.fail_json(msg=msg, changed=bool(self.actions), actions=self.actions)

    def exit(self, **result: t.Any) -> t.NoReturn:
        self.module.exit_json(changed=bool(self.actions), actions=self.actions, **result)

    def option_path(self, option: str) -> str | None:
        value = self.params[option]
        if value is None:
            return None
        try:
            return normalize_path(value, option)
        except PathError as error:
            self.fail(str(error))

    # -- the module -------------------------------------------------------------------------------

    def run(self) -> t.NoReturn:
        path = self.option_path("path") or "/"  # path is a required option
        if self.params["compress"]:
            self.compress(path, self.option_path("dest"))
        if self.params["decompress"]:
            self.decompress(path, self.option_path("creates"))
        state = self.params["state"] or "file"
        entry = self.stat(path)
        if state == "absent":
            self.absent(path, entry)
        wanted_mode = None
        if self.params["mode"] is not None:
            try:
                wanted_mode = normalize_mode(self.params["mode"])
            except PathError as error:
                self.fail(str(error))
        if entry is not None and kind_of(entry) != state:
            self.fail(f"path: '{path}' is a {kind_of(entry)} on the server, not a {state}; remove it first (state: absent)")
        if state == "directory":
            before_content = after_content = None
            if entry is None:
                self.act("create_directory", f"Could not create the folder '{path}'", self.files.make_directory, path)
        else:
            before_content, after_content = self.ensure_file(path, entry)
        final = self.ensure_mode(path, state, entry, wanted_mode)
        self.exit(file_path=path, state=state, file=final,
                  diff={"before": view(path, entry, before_content), "after": view(path, final, after_content)})

    def absent(self, path: str, entry: dict[str, t.Any] | None) -> t.NoReturn:
        if entry is not None:
            self.act("delete", f"Could not delete '{path}'", self.files.delete, path)
        self.exit(file_path=path, state="absent", file=None,
                  diff={"before": view(path, entry), "after": view(path, None)})

    def desired_content(self) -> bytes | None:
        if self.params["content"] is not None:
            return self.params["content"].encode("utf-8")
        if self.params["src"] is not None:
            try:
                with open(self.params["src"], "rb") as source:
                    return source.read()
            except OSError as error:
                self.fail(f"src: cannot read '{self.params['src']}': {error.strerror}")
        return None

    def current_content(self, path: str) -> bytes | None:
        """The file's content for comparing, or None when the panel will not show it (too large)."""
        try:
            return self.files.read(path).encode("utf-8")
        except PanelError as error:
            if error.status == 400:
                return None
            self.fail(f"Could not read '{path}': {error}")

    def ensure_file(self, path: str, entry: dict[str, t.Any] | None) -> tuple[str | None, str | None]:
        """Create or rewrite the file; returns the (before, after) content for the diff when it is text."""
        if self.params["pull_url"] is not None:
            if entry is None:
                self.act("pull", f"Could not pull {self.params['pull_url']} into '{path}'", self.files.pull,
                         self.params["pull_url"], path)
            return None, None
        wanted = self.desired_content()
        if wanted is None:
            if entry is None:
                self.fail(f"path: '{path}' does not exist; set content, src or pull_url to create it")
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

    def ensure_mode(self, path: str, state: str, entry: dict[str, t.Any] | None, wanted: str | None) -> dict[str, t.Any] | None:
        """Apply `mode`; returns the path's file object after the task (predicted in check mode)."""
        if self.module.check_mode:
            predicted = {"name": posixpath.basename(path), "path": path, "is_file": state == "file",
                         "mode_bits": DEFAULT_MODES[state]}
            final = dict(entry) if entry is not None else predicted
            if wanted is not None and not same_mode(final.get("mode_bits"), wanted):
                self.actions.append("chmod")
                final["mode_bits"] = wanted
            return final
        final = self.stat(path) if self.actions else entry
        if final is None:
            self.fail(f"'{path}' is still missing after {', '.join(self.actions)}")
        if wanted is not None and not same_mode(final.get("mode_bits"), wanted):
            self.act("chmod", f"Could not change the mode of '{path}'", self.files.chmod, path, wanted)
            final = self.stat(path)
        return final

    def compress(self, path: str, dest: str | None) -> t.NoReturn:
        source = self.stat(path)
        if source is None:
            self.fail(f"path: '{path}' does not exist, so it cannot be compressed")
        existing = self.stat(dest) if dest else None
        if existing is not None:
            self.exit(file_path=path, archive=existing, diff={"before": view(dest, existing), "after": view(dest, existing)})
        archive = self.act("compress", f"Could not compress '{path}'", self.files.compress, path)
        if dest is not None:
            if archive is not None and archive["path"] != dest:
                self.act("rename", f"Could not move the archive {archive['path']} to '{dest}'", self.files.rename,
                         archive["path"], dest)
            archive = self.stat(dest) if not self.module.check_mode else {"name": posixpath.basename(dest), "path": dest}
        shown = dest or (archive or {}).get("path") or f"{path}.tar.gz"
        self.exit(file_path=path, archive=archive, diff={"before": view(shown, None), "after": {"path": shown, "state": "file"}})

    def decompress(self, path: str, creates: str | None) -> t.NoReturn:
        if creates is not None and self.stat(creates) is not None:
            self.exit(file_path=path, diff={"before": {}, "after": {}})
        archive = self.stat(path)
        if archive is None or not archive.get("is_file"):
            self.fail(f"path: '{path}' is not an archive file on the server, so it cannot be decompressed")
        self.act("decompress", f"Could not decompress '{path}'", self.files.decompress, path)
        self.exit(file_path=path, diff={"before": {"decompressed": None}, "after": {"decompressed": path}})
