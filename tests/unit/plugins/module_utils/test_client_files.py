"""Path and mode rules of the `file` modules, and the requests ServerFiles sends (mocked panel)."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._client_files import (
    PathError,
    ServerFiles,
    normalize_mode,
    normalize_path,
    same_mode,
)

URL = "http://127.0.0.1:9"
UUID = "4aa4d20b-f9de-4999-a907-cae643311b33"
FILES = f"{URL}/api/client/servers/{UUID}/files"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("eula.txt", "/eula.txt"),
        ("/config//app/./settings.yml", "/config/app/settings.yml"),
        ("plugins/", "/plugins"),
        (" spaced .txt", "/ spaced .txt"),
        ("name..with..dots", "/name..with..dots"),
    ],
)
def test_paths_are_made_absolute_inside_the_root(given, expected):
    assert normalize_path(given) == expected


@pytest.mark.parametrize("given", ["../etc/passwd", "config/../../x", "a/..", ".."])
def test_dot_dot_segments_are_refused_naming_the_option(given):
    with pytest.raises(PathError, match=r"^dest: .*'\.\.' segment"):
        normalize_path(given, "dest")


def test_the_root_is_only_accepted_when_allowed():
    with pytest.raises(PathError, match="root directory"):
        normalize_path("/")
    assert normalize_path("./", allow_root=True) == "/"


@pytest.mark.parametrize(("given", "expected"), [("644", "644"), ("0755", "755"), (" 600 ", "600")])
def test_modes_are_three_octal_digits(given, expected):
    assert normalize_mode(given) == expected


@pytest.mark.parametrize("given", ["rw-r--r--", "888", "64", "04755", "u+x"])
def test_other_modes_are_refused(given):
    with pytest.raises(PathError, match=r"^mode: "):
        normalize_mode(given)


def test_modes_compare_as_permission_bits():
    assert same_mode("644", "644")
    assert not same_mode("755", "644")
    assert not same_mode(None, "644")
    assert not same_mode("not octal", "644")


@pytest.fixture
def files():
    client = PanelClient(URL, "ptlc_" + "k" * 43, retries=0)
    yield ServerFiles(client, {"uuid": UUID, "identifier": UUID[:8]})
    client.close()


def listing(*entries):
    return {"object": "list", "data": [{"object": "file_object", "attributes": entry} for entry in entries]}


@responses.activate
def test_stat_lists_the_parent_and_adds_paths(files):
    responses.get(f"{FILES}/list", json=listing({"name": "app.yml", "is_file": True, "mode_bits": "644", "size": 3}))
    assert files.stat("/config/app.yml")["path"] == "/config/app.yml"
    assert files.stat("/config/other.yml") is None
    assert responses.calls[0].request.params == {"directory": "/config"}


@responses.activate
def test_stat_of_a_missing_folder_is_none(files):
    error = {"code": "DaemonConnectionException", "status": "404", "detail": "The requested directory does not exist."}
    responses.get(f"{FILES}/list", status=404, json={"errors": [error]})
    assert files.stat("/nowhere/file.txt") is None


@responses.activate
def test_writes_send_raw_bytes_and_chmod_sends_the_mode_as_text(files):
    responses.post(f"{FILES}/write", status=204)
    responses.post(f"{FILES}/chmod", status=204)
    files.write("/a b/c.bin", b"\x00\xff")
    files.chmod("/a b/c.bin", "600")
    write, chmod = responses.calls
    assert write.request.params == {"file": "/a b/c.bin"}
    assert write.request.body == b"\x00\xff"
    assert json.loads(chmod.request.body) == {"root": "/a b", "files": [{"file": "c.bin", "mode": "600"}]}


@responses.activate
def test_pull_names_the_folder_and_file_and_waits(files):
    responses.post(f"{FILES}/pull", status=204)
    files.pull("https://example.com/x.jar", "/plugins/Dynmap.jar")
    assert json.loads(responses.calls[0].request.body) == {
        "url": "https://example.com/x.jar",
        "directory": "/plugins",
        "filename": "Dynmap.jar",
        "use_header": False,
        "foreground": True,
    }
