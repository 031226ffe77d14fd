"""In-memory server file trees, behaving like the Wings file manager behind the panel's client file routes.

Every server gets its own tree (created lazily with a few default files). The operations mirror Wings:
paths are relative to the server root and can never leave it, listing puts folders first, ``copy`` picks
"name copy.ext" / "name copy N.ext", ``compress`` builds a real ``.tar.gz`` so ``decompress`` can unpack it,
and errors carry the HTTP status and message Wings would answer with (the panel wraps them, see client_api).
"""

from __future__ import annotations

import base64
import fnmatch
import gzip
import io
import posixpath
import stat as stat_module
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Messages Wings puts in its {"error": ...} bodies.
NOT_FOUND = "The requested resources was not found on the system."
DIRECTORY_NOT_FOUND = "The requested directory does not exist."
IS_DIRECTORY = "Cannot perform that action: file is a directory."
WRITE_CONFLICTS_WITH_DIRECTORY = "Cannot write file, name conflicts with an existing directory by the same name."
RENAME_DESTINATION_EXISTS = "Cannot move or rename file, destination already exists."
NOT_A_DIRECTORY = "Part of the path being created is not a directory (ENOTDIR)."
UNKNOWN_ARCHIVE = "The archive provided is in a format Wings does not understand."
INVALID_FILE_MODE = "Invalid file mode."
NO_FILES_TO_RENAME = "No files to move or rename were provided."
NO_FILES_TO_DELETE = "No files were specified for deletion."
NO_FILES_TO_COMPRESS = "No files were passed through to be compressed."
NO_FILES_TO_CHMOD = "No files to chmod were provided."
UNEXPECTED = "An unexpected error was encountered while processing this request"

DIRECTORY_SIZE = 4096
DEFAULT_FILE_MODE = 0o644
DEFAULT_DIRECTORY_MODE = 0o755


class WingsFileError(Exception):
    """A file operation failed the way Wings would report it: HTTP ``status`` and its ``error`` message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class FsEntry:
    """One file or directory of a server's tree."""

    name: str
    is_dir: bool
    mode: int
    created: float
    modified: float
    content: bytes = b""
    children: dict[str, FsEntry] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return DIRECTORY_SIZE if self.is_dir else len(self.content)

    def clone(self, name: str, now: float) -> FsEntry:
        copy = FsEntry(name=name, is_dir=self.is_dir, mode=self.mode, created=now, modified=now, content=self.content)
        copy.children = {child_name: child.clone(child_name, now) for child_name, child in self.children.items()}
        return copy

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "is_dir": self.is_dir,
            "mode": self.mode,
            "created": self.created,
            "modified": self.modified,
        }
        if self.is_dir:
            data["children"] = [child.to_json() for child in self.children.values()]
        else:
            data["content"] = base64.b64encode(self.content).decode("ascii")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FsEntry:
        entry = cls(
            name=data["name"],
            is_dir=bool(data["is_dir"]),
            mode=int(data["mode"]),
            created=float(data["created"]),
            modified=float(data["modified"]),
            content=base64.b64decode(data.get("content", "")),
        )
        for child in data.get("children", []):
            child_entry = cls.from_json(child)
            entry.children[child_entry.name] = child_entry
        return entry


def clean_path(path: str | None) -> str:
    """Normalise a client path to an absolute path inside the server root ("/", "/a/b")."""
    joined = posixpath.normpath("/" + (path or "").replace("\\", "/"))
    # normpath keeps a leading "//"; ".." above the root is clamped to the root by normpath on "/..".
    return "/" + joined.lstrip("/")


def join_path(root: str | None, name: str | None) -> str:
    return clean_path(posixpath.join(clean_path(root), (name or "").lstrip("/")))


def mode_string(entry: FsEntry) -> str:
    """Render the mode like Go's FileMode.String() (e.g. ``drwxr-xr-x`` / ``-rw-r--r--``)."""
    kind = stat_module.S_IFDIR if entry.is_dir else stat_module.S_IFREG
    return stat_module.filemode(kind | entry.mode)


def detect_mimetype(entry: FsEntry) -> str:
    if entry.is_dir:
        return "inode/directory"
    data = entry.content
    if data.startswith(b"\x1f\x8b"):
        return "application/gzip"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    if len(data) >= 262 and data[257:262] == b"ustar":
        return "application/x-tar"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if b"\x00" in data:
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ServerFiles:
    """The file tree of one server, with the Wings file operations."""

    def __init__(self, clock: Callable[[], float] = time.time, root: FsEntry | None = None) -> None:
        self._clock = clock
        now = clock()
        self.root = root or FsEntry(name="", is_dir=True, mode=DEFAULT_DIRECTORY_MODE, created=now, modified=now)

    # ---- persistence -------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return self.root.to_json()

    @classmethod
    def from_json(cls, data: dict[str, Any], clock: Callable[[], float] = time.time) -> ServerFiles:
        return cls(clock=clock, root=FsEntry.from_json(data))

    # ---- lookup helpers ----------------------------------------------------------------------------------------
    def _parts(self, path: str) -> list[str]:
        return [part for part in clean_path(path).split("/") if part]

    def find(self, path: str) -> FsEntry | None:
        entry = self.root
        for part in self._parts(path):
            if not entry.is_dir or part not in entry.children:
                return None
            entry = entry.children[part]
        return entry

    def _require(self, path: str) -> FsEntry:
        entry = self.find(path)
        if entry is None:
            raise WingsFileError(404, NOT_FOUND)
        return entry

    def _parent_for_create(self, path: str) -> tuple[FsEntry, str]:
        """Return (parent directory, base name) for ``path``, creating missing parent folders like Wings does."""
        parts = self._parts(path)
        if not parts:
            raise WingsFileError(400, IS_DIRECTORY)
        directory = self.root
        now = self._clock()
        for part in parts[:-1]:
            child = directory.children.get(part)
            if child is None:
                child = FsEntry(name=part, is_dir=True, mode=DEFAULT_DIRECTORY_MODE, created=now, modified=now)
                directory.children[part] = child
                directory.modified = now
            elif not child.is_dir:
                raise WingsFileError(400, NOT_A_DIRECTORY)
            directory = child
        return directory, parts[-1]

    def stat(self, entry: FsEntry) -> dict[str, Any]:
        """The Wings stat object of an entry (the panel turns it into a ``file_object``)."""
        return {
            "name": entry.name,
            "created": rfc3339(entry.created),
            "modified": rfc3339(entry.modified),
            "mode": mode_string(entry),
            "mode_bits": format(entry.mode & 0o777, "o"),
            "size": entry.size,
            "directory": entry.is_dir,
            "file": not entry.is_dir,
            "symlink": False,
            "mime": detect_mimetype(entry),
        }

    # ---- operations --------------------------------------------------------------------------------------------
    def list_directory(self, directory: str | None) -> list[dict[str, Any]]:
        entry = self.find(directory or "/")
        if entry is None or not entry.is_dir:
            raise WingsFileError(404, DIRECTORY_NOT_FOUND)
        ordered = sorted(entry.children.values(), key=lambda child: (not child.is_dir, child.name))
        return [self.stat(child) for child in ordered]

    def read(self, path: str) -> FsEntry:
        entry = self._require(path)
        if entry.is_dir:
            raise WingsFileError(400, IS_DIRECTORY)
        return entry

    def write(self, path: str, content: bytes, mode: int = DEFAULT_FILE_MODE) -> FsEntry:
        existing = self.find(path)
        if existing is not None and existing.is_dir:
            raise WingsFileError(400, WRITE_CONFLICTS_WITH_DIRECTORY)
        parent, name = self._parent_for_create(path)
        now = self._clock()
        if existing is None:
            existing = FsEntry(name=name, is_dir=False, mode=mode, created=now, modified=now)
            parent.children[name] = existing
            parent.modified = now
        existing.content = bytes(content)
        existing.modified = now
        return existing

    def create_directory(self, name: str, root: str | None) -> None:
        path = join_path(root, name)
        existing = self.find(path)
        if existing is not None:
            if not existing.is_dir:
                raise WingsFileError(400, NOT_A_DIRECTORY)
            return
        parent, base = self._parent_for_create(path)
        now = self._clock()
        parent.children[base] = FsEntry(name=base, is_dir=True, mode=DEFAULT_DIRECTORY_MODE, created=now, modified=now)
        parent.modified = now

    def rename(self, root: str | None, pairs: Iterable[tuple[str, str]]) -> None:
        moves = [(join_path(root, source), join_path(root, target)) for source, target in pairs]
        if not moves:
            raise WingsFileError(422, NO_FILES_TO_RENAME)
        for source, target in moves:
            entry = self.find(source)
            if entry is None or source == "/":
                continue  # Wings ignores sources that do not exist.
            if self.find(target) is not None:
                raise WingsFileError(400, RENAME_DESTINATION_EXISTS)
            if (target + "/").startswith(source + "/"):
                raise WingsFileError(400, "Cannot move a directory into itself.")
            old_parent = self.find(posixpath.dirname(source))
            new_parent, new_name = self._parent_for_create(target)
            now = self._clock()
            assert old_parent is not None
            del old_parent.children[entry.name]
            old_parent.modified = now
            entry.name = new_name
            new_parent.children[new_name] = entry
            new_parent.modified = now

    def copy(self, location: str) -> FsEntry:
        entry = self.find(location)
        if entry is None or entry.is_dir:
            raise WingsFileError(404, NOT_FOUND)
        parent = self.find(posixpath.dirname(clean_path(location)))
        assert parent is not None
        stem, extension = _split_extension(entry.name)
        copy_name = f"{stem} copy{extension}"
        for attempt in range(1, 51):
            if copy_name not in parent.children:
                break
            copy_name = f"{stem} copy {attempt}{extension}"
        now = self._clock()
        duplicate = entry.clone(copy_name, now)
        parent.children[copy_name] = duplicate
        parent.modified = now
        return duplicate

    def delete(self, root: str | None, names: Iterable[str]) -> None:
        paths = [join_path(root, name) for name in names]
        if not paths:
            raise WingsFileError(422, NO_FILES_TO_DELETE)
        for path in paths:
            if path == "/":
                raise WingsFileError(400, "Cannot delete the root directory of a server.")
            entry = self.find(path)
            if entry is None:
                continue  # RemoveAll on a missing path is not an error in Wings.
            parent = self.find(posixpath.dirname(path))
            assert parent is not None
            del parent.children[entry.name]
            parent.modified = self._clock()

    def chmod(self, root: str | None, changes: Iterable[tuple[str, str]]) -> None:
        items = list(changes)
        if not items:
            raise WingsFileError(422, NO_FILES_TO_CHMOD)
        parsed: list[tuple[str, int]] = []
        for name, mode in items:
            try:
                parsed.append((join_path(root, name), int(str(mode), 8)))
            except ValueError:
                raise WingsFileError(400, INVALID_FILE_MODE) from None
        for path, bits in parsed:
            entry = self.find(path)
            if entry is not None:
                entry.mode = bits & 0o7777

    def compress(self, root: str | None, names: Iterable[str]) -> FsEntry:
        targets = [join_path(root, name) for name in names]
        if not targets:
            raise WingsFileError(422, NO_FILES_TO_COMPRESS)
        base = clean_path(root)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for target in targets:
                entry = self._require(target)
                self._add_to_tar(archive, entry, posixpath.relpath(target, base))
        stamp = datetime.fromtimestamp(self._clock(), tz=UTC).strftime("%Y-%m-%dT%H%M%SZ")
        archive_path = join_path(root, f"archive-{stamp}.tar.gz")
        return self.write(archive_path, buffer.getvalue())

    def _add_to_tar(self, archive: tarfile.TarFile, entry: FsEntry, name: str) -> None:
        info = tarfile.TarInfo(name=name)
        info.mode = entry.mode
        info.mtime = int(entry.modified)
        if entry.is_dir:
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
            for child in entry.children.values():
                self._add_to_tar(archive, child, posixpath.join(name, child.name))
        else:
            info.size = len(entry.content)
            archive.addfile(info, io.BytesIO(entry.content))

    def decompress(self, root: str | None, name: str) -> None:
        archive_entry = self.read(join_path(root, name))
        data = archive_entry.content
        members = _archive_members(data, archive_entry.name)
        for relative, is_dir, content, mode in members:
            target = join_path(root, relative)
            if target == "/":
                continue
            if is_dir:
                self.create_directory(target, "/")
                continue
            existing = self.find(target)
            if existing is not None and existing.is_dir:
                raise WingsFileError(400, WRITE_CONFLICTS_WITH_DIRECTORY)
            self.write(target, content, mode or DEFAULT_FILE_MODE)

    def pull(self, url: str, directory: str | None, filename: str | None) -> FsEntry:
        """Simulate a remote download: the emulator never leaves loopback, so it writes a small marker file."""
        name = filename or posixpath.basename(url.split("?", 1)[0].split("#", 1)[0].rstrip("/")) or "download"
        content = f"# emulated download of {url}\n".encode()
        return self.write(join_path(directory, name), content)


def _split_extension(name: str) -> tuple[str, str]:
    stem, extension = posixpath.splitext(name)
    if not stem:  # ".bashrc" has no extension for Go's filepath.Ext either
        return name, ""
    return stem, extension


def _archive_members(data: bytes, name: str) -> list[tuple[str, bool, bytes, int]]:
    """Read an archive held in memory: (relative path, is_dir, content, mode) for each member."""
    members: list[tuple[str, bool, bytes, int]] = []
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                content = b"" if info.is_dir() else archive.read(info)
                members.append((info.filename.rstrip("/"), info.is_dir(), content, 0))
        return members
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive.getmembers():
                if member.isdir():
                    members.append((member.name, True, b"", member.mode))
                elif member.isfile():
                    extracted = archive.extractfile(member)
                    members.append((member.name, False, extracted.read() if extracted else b"", member.mode))
        return members
    except tarfile.TarError:
        pass
    if data.startswith(b"\x1f\x8b"):
        try:
            content = gzip.decompress(data)
        except OSError:
            raise WingsFileError(400, UNKNOWN_ARCHIVE) from None
        target = name[:-3] if name.endswith(".gz") else name + ".out"
        return [(target, False, content, DEFAULT_FILE_MODE)]
    raise WingsFileError(400, UNKNOWN_ARCHIVE)


def _prune(directory: FsEntry, prefix: str, patterns: list[str]) -> None:
    """Remove entries matching ignore patterns (glob on the relative path or on the name)."""
    for name in list(directory.children):
        child = directory.children[name]
        relative = f"{prefix}{name}"
        if any(fnmatch.fnmatch(relative, p.rstrip("/")) or fnmatch.fnmatch(name, p.rstrip("/")) for p in patterns):
            del directory.children[name]
        elif child.is_dir:
            _prune(child, relative + "/", patterns)


def _total_size(entry: FsEntry) -> int:
    if not entry.is_dir:
        return len(entry.content)
    return sum(_total_size(child) for child in entry.children.values())


def _merge(target: FsEntry, source: FsEntry) -> None:
    """Overlay ``source`` onto ``target`` (files replace, folders merge)."""
    for name, child in source.children.items():
        existing = target.children.get(name)
        if child.is_dir and existing is not None and existing.is_dir:
            _merge(existing, child)
        else:
            target.children[name] = child


def default_tree(clock: Callable[[], float] = time.time) -> ServerFiles:
    """A freshly installed server: a couple of config files and a log folder."""
    files = ServerFiles(clock=clock)
    files.write("/eula.txt", b"eula=false\n")
    files.write(
        "/server.properties",
        b"motd=A Pterodactyl Server\nmax-players=20\nserver-port=25565\nonline-mode=true\n",
    )
    files.write("/logs/latest.log", b"[00:00:00] [Server thread/INFO]: Done!\n")
    return files


class FileStore:
    """All server trees, keyed by server uuid (created on first use), and the backup snapshots by backup uuid."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._trees: dict[str, ServerFiles] = {}
        self._backups: dict[str, FsEntry] = {}

    # ---- backups ------------------------------------------------------------------------------------------------
    def snapshot(self, server_uuid: str, backup_uuid: str, ignored: Iterable[str] = ()) -> tuple[bytes, int]:
        """Store a copy of the server's tree for a backup; returns (tar.gz archive, total file bytes)."""
        patterns = [pattern.strip().lstrip("/") for pattern in ignored if pattern.strip()]
        now = self._clock()
        copy = self.for_server(server_uuid).root.clone("", now)
        if patterns:
            _prune(copy, "", patterns)
        self._backups[backup_uuid] = copy
        return self.backup_archive(backup_uuid), _total_size(copy)

    def backup_archive(self, backup_uuid: str) -> bytes:
        root = self._backups.get(backup_uuid)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            if root is not None:
                helper = ServerFiles(self._clock, root)
                for child in root.children.values():
                    helper._add_to_tar(archive, child, child.name)
        return buffer.getvalue()

    def restore(self, server_uuid: str, backup_uuid: str, truncate: bool) -> None:
        """Put a backup's files back; ``truncate`` first deletes everything currently on the server."""
        snapshot = self._backups.get(backup_uuid)
        tree = self.for_server(server_uuid)
        now = self._clock()
        if truncate:
            tree.root.children = {}
        if snapshot is not None:
            _merge(tree.root, snapshot.clone("", now))
        tree.root.modified = now

    def drop_backup(self, backup_uuid: str) -> None:
        self._backups.pop(backup_uuid, None)

    def for_server(self, server_uuid: str) -> ServerFiles:
        tree = self._trees.get(server_uuid)
        if tree is None:
            tree = default_tree(self._clock)
            self._trees[server_uuid] = tree
        return tree

    def reset(self, server_uuid: str, truncate: bool = True) -> None:
        """Forget a server's tree (server deleted, or a reinstall/restore that wipes files)."""
        if truncate:
            self._trees.pop(server_uuid, None)

    def to_json(self) -> dict[str, Any]:
        return {server_uuid: tree.to_json() for server_uuid, tree in self._trees.items()}

    def load_json(self, data: dict[str, Any]) -> None:
        self._trees = {uuid: ServerFiles.from_json(tree, self._clock) for uuid, tree in data.items()}
