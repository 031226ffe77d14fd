"""Every operation name the plugins use exists in the route table (module_utils/_operations.py).

Operation names are plain strings ("client.backups.list"); a typo would only show when that code path runs
against a panel. This reads every plugin file (except the table itself) and checks:
- every string literal shaped like an operation name, wherever it stands (calls, declarations, tables);
- every literal passed as the operation of a client call (`call`, `call_with_meta`, `collect`, `iterate`, ...),
  so a name of another shape is caught too; an operation built at run time (f-string, concatenation) is refused,
  since it cannot be checked.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._operations import OPERATIONS

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
TABLE = PLUGINS / "module_utils" / "_operations.py"
OPERATION_SHAPE = re.compile(r"(application|client)\.[a-z_]+\.[a-z_]+")
DOTTED = re.compile(r"\w+(\.\w+)+")
# The source of an f-string or a concatenation that starts an operation name.
BUILT_PREFIX = re.compile(r"""f?["'](application|client)\.""")
# Functions whose argument at this position is an operation name.
OPERATION_ARGUMENT = {
    "call": 0,
    "call_with_meta": 0,
    "collect": 0,
    "iterate": 0,
    "paginate": 0,
    "get_operation": 0,
    "get_by": 0,
    "get_or_none": 1,
    "find_exact": 1,
    "by_id": 2,
}


def known_operations() -> set[str]:
    return set(OPERATIONS)


def operation_uses(source: str) -> tuple[list[str], list[str]]:
    """(operation names written in `source`, descriptions of operations it builds at run time)."""
    tree = ast.parse(source)
    found = {
        (node.lineno, node.col_offset): node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and OPERATION_SHAPE.fullmatch(node.value)
    }
    built = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        position = OPERATION_ARGUMENT.get(function or "")
        if position is None or len(node.args) <= position:
            continue
        argument = node.args[position]
        # Other functions share these names (a `call(what, ...)` with a message): only dotted words count.
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and DOTTED.fullmatch(argument.value):
            found[(argument.lineno, argument.col_offset)] = argument.value
        elif isinstance(argument, (ast.JoinedStr, ast.BinOp)) and BUILT_PREFIX.match(ast.unparse(argument)):
            built.append(f"line {node.lineno}: {function}({ast.unparse(argument)}, ...)")
    return list(found.values()), built


def plugin_sources() -> dict[str, str]:
    return {str(path.relative_to(PLUGINS)): path.read_text() for path in sorted(PLUGINS.rglob("*.py")) if path != TABLE}


def test_every_operation_name_the_plugins_use_is_in_the_route_table():
    unknown, built = [], []
    for name, source in plugin_sources().items():
        names, runtime = operation_uses(source)
        unknown += [f"{name}: {operation}" for operation in names if operation not in known_operations()]
        built += [f"{name} {where}" for where in runtime]
    assert unknown == [], "operations missing from _operations.py:\n" + "\n".join(unknown)
    assert built == [], "operation names built at run time cannot be checked:\n" + "\n".join(built)


def test_the_scan_sees_the_plugins_operations():
    used = {operation for source in plugin_sources().values() for operation in operation_uses(source)[0]}
    # The plugins use most of the table (a few routes have no user yet); far fewer would mean a blind scan.
    assert len(used) >= 90, sorted(used)
    assert {"client.backups.list", "application.servers.get_external", "client.servers.power"} <= used


@pytest.mark.parametrize(
    ("source", "unknown"),
    [
        ('client.call("client.backup.list", path)', ["client.backup.list"]),
        ('get_or_none(client, "servers.get", {"server": 1})', ["servers.get"]),
        ('QUERY = InfoQuery("x", "application.location.list")', ["application.location.list"]),
        ('module.collect("client.backups.list", path)', []),
    ],
)
def test_the_scan_finds_a_misspelt_operation(source, unknown):
    names, _built = operation_uses(source)
    assert [name for name in names if name not in known_operations()] == unknown


def test_the_scan_refuses_an_operation_built_at_run_time():
    _names, built = operation_uses('client.call(f"client.{kind}.list", path)\nmodule.call("client." + kind, path)')
    assert built == ["line 1: call(f'client.{kind}.list', ...)", "line 2: call('client.' + kind, ...)"]
    assert operation_uses('files.call(f"Could not look up {path}", stat)') == ([], [])
