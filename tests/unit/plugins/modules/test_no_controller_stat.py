"""No module result can gain the controller's file details (issue 17, B4).

AnsibleModule.exit_json()/fail_json() call add_path_info(), which stats a top-level `path` (or `dest`) on the machine
running the module and adds uid, gid, owner, group, mode, size and state. Every ptero.panel path is on the game
server, so: no module builds a plain AnsibleModule, PanelModule turns that logic off, no module documents a top-level
`path`/`dest` return value, and `file`/`file_info` results, run through ansible-core's own logic, stay as they are.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest
import responses
from ansible.module_utils import basic

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.modules import file as file_module
from ansible_collections.ptero.panel.plugins.modules import file_info as file_info_module

MODULES = sorted(Path(file_module.__file__).parent.glob("*.py"))
STAT_KEYS = {"uid", "gid", "owner", "group", "mode", "size", "secontext"}
# The keys add_path_info() looks at.
PATH_KEYS = ("path", "dest")
CLIENT = "https://panel.example.test/api/client"
UUID = "1a7ce997-259b-452e-8b4e-cecc464142ca"
SERVER = {"identifier": "1a7ce997", "uuid": UUID, "internal_id": 9, "name": "Survival"}
FILES = f"{CLIENT}/servers/{UUID}/files"


def test_every_module_is_found():
    assert len([m for m in MODULES if m.name != "__init__.py"]) >= 30


@pytest.mark.parametrize("path", [m for m in MODULES if m.name != "__init__.py"], ids=lambda p: p.stem)
def test_module_uses_panel_module_and_documents_no_top_level_path(path):
    source = path.read_text()
    tree = ast.parse(source)
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "AnsibleModule" not in calls, f"{path.stem} builds a plain AnsibleModule"
    assert "PanelModule" in calls, f"{path.stem} does not build a PanelModule"
    returns = next(
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "RETURN"
    )
    # The top-level keys of the RETURN document (unindented `key:` lines).
    top_level = set(re.findall(r"^([A-Za-z_]\w*):", returns, flags=re.MULTILINE))
    assert top_level, f"{path.stem}: no RETURN keys found"
    assert not top_level & set(PATH_KEYS), f"{path.stem} returns a top-level {top_level & set(PATH_KEYS)}"


def test_no_module_passes_path_or_dest_to_exit_or_fail():
    for path in MODULES + sorted(Path(file_module.__file__).parents[1].glob("module_utils/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("exit_json", "fail_json", "exit"):
                given = {keyword.arg for keyword in node.keywords}
                assert not given & set(PATH_KEYS), f"{path.name}:{node.lineno} passes {given & set(PATH_KEYS)}"


def test_panel_module_never_stats_a_result_path(tmp_path):
    result = {"path": str(tmp_path), "dest": str(tmp_path), "state": "absent"}
    assert PanelModule.add_path_info(object.__new__(PanelModule), dict(result)) == result


class _StatOnly:
    """Just enough of an AnsibleModule to run ansible-core's own add_path_info()."""

    def user_and_group(self, path):
        stat = os.stat(path)
        return stat.st_uid, stat.st_gid

    def selinux_enabled(self):
        return False


def through_ansible(result: dict) -> dict:
    """The result as ansible-core's add_path_info() would leave it."""
    return basic.AnsibleModule.add_path_info(_StatOnly(), dict(result))


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{CLIENT}/servers/1a7ce997", json={"object": "server", "attributes": SERVER})
        yield mock


def entries(*names_and_kinds):
    return {
        "object": "list",
        "data": [
            {
                "object": "file_object",
                "attributes": {
                    "name": name,
                    "mode": "drwxr-xr-x" if kind == "dir" else "-rw-r--r--",
                    "mode_bits": "755" if kind == "dir" else "644",
                    "size": 4096,
                    "is_file": kind != "dir",
                    "is_symlink": False,
                    "mimetype": "inode/directory" if kind == "dir" else "text/plain",
                    "created_at": "2026-01-01T00:00:00+00:00",
                    "modified_at": "2026-01-01T00:00:00+00:00",
                },
            }
            for name, kind in names_and_kinds
        ],
    }


def assert_server_side_only(result: dict, expected_state: str | None = None) -> None:
    assert not set(result) & set(PATH_KEYS)
    assert through_ansible(result) == result  # nothing for ansible-core to stat
    assert not set(result) & STAT_KEYS
    if expected_state is not None:
        assert result["state"] == expected_state


def test_file_absent_for_a_path_that_exists_on_the_controller(panel, run_module):
    assert os.path.isdir("/etc")
    panel.get(f"{FILES}/list", json=entries(("etc", "dir")))
    panel.post(f"{FILES}/delete", status=204)
    outcome = run_module(file_module.main, {"server": "1a7ce997", "path": "/etc", "state": "absent"})
    assert outcome.result["file_path"] == "/etc" and outcome.result["changed"] is True
    assert_server_side_only(outcome.result, "absent")


def test_file_info_of_a_missing_server_path_that_exists_on_the_controller(panel, run_module):
    panel.get(f"{FILES}/list", json=entries())
    outcome = run_module(file_info_module.main, {"server": "1a7ce997", "path": "/tmp"})
    assert outcome.result["exists"] is False and outcome.result["file_path"] == "/tmp"
    assert_server_side_only(outcome.result)


def test_file_info_of_the_root(panel, run_module):
    panel.get(f"{FILES}/list", json=entries(("logs", "dir")))
    outcome = run_module(file_info_module.main, {"server": "1a7ce997", "path": "/"})
    assert outcome.result["exists"] is True and [f["path"] for f in outcome.result["files"]] == ["/logs"]
    assert_server_side_only(outcome.result)


def test_the_old_result_shape_would_have_gained_controller_details():
    # Guards the guard: with a top-level path, ansible-core's logic does add the controller's stat.
    leaked = through_ansible({"path": "/etc", "state": "absent"})
    assert leaked["state"] == "directory" and STAT_KEYS & set(leaked)
