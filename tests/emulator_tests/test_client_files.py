"""Client API file manager routes against the in-memory server trees (files.py)."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import pytest
from client_helpers import ClientEnv, assert_error, start_client_env, validation_fields

from ptero_emulator.files import ServerFiles, WingsFileError, clean_path

# These tests describe panel 1.11 (no per-server limiters; test_panel_versions_*.py covers the newer panels).
PANEL_1_11 = {"panel_version": "1.11"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(tmp_path_factory.mktemp("client-files"), **PANEL_1_11)
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _base(env: ClientEnv, full: bool = False) -> str:
    return f"/api/client/servers/{env.facts['survival_uuid' if full else 'survival']}/files"


def _names(env: ClientEnv, directory: str = "/") -> list[str]:
    response = env.get(_base(env) + "/list", params={"directory": directory})
    assert response.status_code == 200, response.text
    return [entry["attributes"]["name"] for entry in response.json()["data"]]


def _contents(env: ClientEnv, path: str) -> bytes:
    response = env.get(_base(env) + "/contents", params={"file": path})
    assert response.status_code == 200, response.text
    return response.content


def test_list_default_tree(env: ClientEnv) -> None:
    body = env.get(_base(env) + "/list").json()
    assert body["object"] == "list" and "meta" not in body
    entries = {entry["attributes"]["name"]: entry["attributes"] for entry in body["data"]}
    assert next(iter(entries)) == "logs"  # folders first
    assert entries["logs"]["is_file"] is False and entries["logs"]["mimetype"] == "inode/directory"
    assert entries["eula.txt"]["mode"] == "-rw-r--r--" and entries["eula.txt"]["mode_bits"] == "644"
    assert entries["eula.txt"]["mimetype"].startswith("text/plain")
    assert entries["eula.txt"]["created_at"].endswith("+00:00")
    missing = env.get(_base(env) + "/list", params={"directory": "/nope"})
    entry = assert_error(missing, 404, "DaemonConnectionException")
    assert entry["detail"].startswith("An error occurred on the remote host: The requested directory does not exist.")


def test_write_and_read_raw(env: ClientEnv) -> None:
    content = "  motd=hello  \n\n"
    response = env.post(
        _base(env, full=True) + "/write",
        params={"file": " spaced.txt"},
        data=content,
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 204
    assert " spaced.txt" in _names(env)  # full uuid: no trimming of the file name
    assert env.get(_base(env, full=True) + "/contents", params={"file": " spaced.txt"}).content == content.encode()
    response = env.post(
        _base(env) + "/write", params={"file": " trimmed.txt"}, data="x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 204 and "trimmed.txt" in _names(env)  # short identifier: trimmed
    contents = env.get(_base(env) + "/contents", params={"file": "trimmed.txt"})
    assert contents.headers["Content-Type"].startswith("text/plain")
    assert (
        env.post(
            _base(env) + "/write",
            params={"file": "deep/er/file.cfg"},
            data=b"a=1",
            headers={"Content-Type": "text/plain"},
        ).status_code
        == 204
    )
    assert _contents(env, "/deep/er/file.cfg") == b"a=1"
    assert validation_fields(env.post(_base(env) + "/write", data="x", headers={"Content-Type": "text/plain"})) == [
        ("file", "required")
    ]


def test_contents_errors(env: ClientEnv) -> None:
    assert_error(env.get(_base(env) + "/contents", params={"file": "missing.txt"}), 404, "DaemonConnectionException")
    directory = env.get(_base(env) + "/contents", params={"file": "logs"})
    assert directory.status_code == 400 and "file is a directory" in directory.json()["errors"][0]["detail"]
    env.configure(files_max_edit_size=4)
    try:
        assert_error(
            env.get(_base(env) + "/contents", params={"file": "eula.txt"}),
            400,
            "FileSizeTooLargeException",
            "The file you are attempting to open is too large to view in the file editor.",
        )
    finally:
        env.configure(files_max_edit_size=4194304)


def test_rename_copy_delete_folder_chmod(env: ClientEnv) -> None:
    base = _base(env)
    assert env.post(base + "/create-folder", json={"root": "/", "name": "plugins"}).status_code == 204
    env.post(base + "/write", params={"file": "plugins/a.jar"}, data="jar", headers={"Content-Type": "text/plain"})
    assert (
        env.put(base + "/rename", json={"root": "/plugins", "files": [{"from": "a.jar", "to": "b.jar"}]}).status_code
        == 204
    )
    assert _names(env, "/plugins") == ["b.jar"]
    for _unused in range(2):
        assert env.post(base + "/copy", json={"location": "/plugins/b.jar"}).status_code == 204
    assert _names(env, "/plugins") == ["b copy 1.jar", "b copy.jar", "b.jar"]
    clash = env.put(base + "/rename", json={"root": "/plugins", "files": [{"from": "b.jar", "to": "b copy.jar"}]})
    assert clash.status_code == 400 and "destination already exists" in clash.json()["errors"][0]["detail"]
    assert (
        env.post(base + "/chmod", json={"root": "/plugins", "files": [{"file": "b.jar", "mode": 755}]}).status_code
        == 204
    )
    modes = {
        e["attributes"]["name"]: e["attributes"]["mode_bits"]
        for e in env.get(base + "/list", params={"directory": "/plugins"}).json()["data"]
    }
    assert modes["b.jar"] == "755"
    assert (
        env.post(
            base + "/delete", json={"root": "/plugins", "files": ["b copy.jar", "b copy 1.jar", "nope"]}
        ).status_code
        == 204
    )
    assert _names(env, "/plugins") == ["b.jar"]
    assert validation_fields(env.post(base + "/delete", json={"files": ["x"]})) == [("root", "required")]
    assert validation_fields(env.put(base + "/rename", json={"root": "/", "files": [{"from": "x"}]})) == [
        ("files.0.to", "required")
    ]
    events = [row["event"] for row in env.rows("activity")]
    for event in ("server:file.create-directory", "server:file.rename", "server:file.copy", "server:file.delete"):
        assert event in events


def test_compress_and_decompress(env: ClientEnv) -> None:
    base = _base(env)
    env.post(base + "/write", params={"file": "world/level.dat"}, data="LEVEL", headers={"Content-Type": "text/plain"})
    response = env.post(base + "/compress", json={"root": "/", "files": ["world", "eula.txt"]})
    assert response.status_code == 200
    archive = response.json()
    assert archive["object"] == "file_object" and archive["attributes"]["mimetype"] == "application/tar+gzip"
    name = archive["attributes"]["name"]
    assert name.startswith("archive-") and name.endswith(".tar.gz")
    env.post(base + "/delete", json={"root": "/", "files": ["world"]})
    assert "world" not in _names(env)
    assert env.post(base + "/decompress", json={"root": "/", "file": name}).status_code == 204
    assert _contents(env, "world/level.dat") == b"LEVEL"
    bad = env.post(base + "/decompress", json={"root": "/", "file": "eula.txt"})
    assert bad.status_code == 400 and "format Wings does not understand" in bad.json()["errors"][0]["detail"]


def test_pull_and_throttle(env: ClientEnv) -> None:
    base = _base(env)
    assert validation_fields(env.post(base + "/pull", json={"url": "not a url"})) == [("url", "url")]
    env.configure(files_pull_throttle=[3, 300])
    assert (
        env.post(
            base + "/pull", json={"url": "https://example.com/files/plugin.jar", "directory": "/plugins"}
        ).status_code
        == 204
    )
    assert "plugin.jar" in _names(env, "/plugins")
    assert env.post(base + "/pull", json={"url": "https://example.com/x", "filename": "named.bin"}).status_code == 204
    throttled = env.post(base + "/pull", json={"url": "https://example.com/y"})
    assert_error(throttled, 429, "ThrottleRequestsException", "Too Many Attempts.")
    assert throttled.headers["X-RateLimit-Limit"] == "3" and "Retry-After" in throttled.headers


def test_signed_download_and_upload(env: ClientEnv) -> None:
    base = _base(env)
    download = env.get(base + "/download", params={"file": "/eula.txt"}).json()
    assert download["object"] == "signed_url" and "/download/file?token=" in download["attributes"]["url"]
    fetched = env.session.get(download["attributes"]["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == b"eula=false\n"
    tampered = env.session.get(download["attributes"]["url"] + "x", timeout=10)
    assert tampered.status_code == 403
    upload = env.get(base + "/upload").json()["attributes"]["url"]
    posted = env.session.post(upload + "&directory=/uploads", files={"files": ("hello.txt", b"hi there")}, timeout=10)
    assert posted.status_code == 200
    assert _contents(env, "uploads/hello.txt") == b"hi there"


def test_file_permissions_for_subuser(env: ClientEnv) -> None:
    base = _base(env)
    assert env.get(base + "/contents", "helper", params={"file": "eula.txt"}).status_code == 200
    for method, path, body in (
        ("POST", "/write", None),
        ("POST", "/delete", {"root": "/", "files": ["x"]}),
        ("POST", "/compress", {"files": ["x"]}),
        ("PUT", "/rename", {"root": "/", "files": []}),
        ("GET", "/upload", None),
    ):
        response = env.call(method, base + path, "helper", json=body, params={"file": "x"})
        assert_error(response, 403, "AccessDeniedHttpException", "This action is unauthorized.")


def test_tree_paths_stay_inside_root() -> None:
    tree = ServerFiles(clock=lambda: 0.0)
    assert clean_path("../../etc/passwd") == "/etc/passwd"
    tree.write("../../outside.txt", b"x")
    assert [entry["name"] for entry in tree.list_directory("/")] == ["outside.txt"]
    with pytest.raises(WingsFileError) as raised:
        tree.delete("/", ["/"])
    assert raised.value.status == 400
    archive = tree.compress("/", ["outside.txt"])
    with tarfile.open(fileobj=io.BytesIO(archive.content), mode="r:gz") as handle:
        assert handle.getnames() == ["outside.txt"]
