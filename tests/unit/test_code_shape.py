"""The shape rules of plugins/ that review found worth keeping: no function of 60 lines or more (issue 14)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
MAX_FUNCTION_LINES = 60


def function_lengths(source: str, filename: str) -> list[tuple[int, str, int]]:
    """(lines, qualified name, first line) of every function and method in `source`, counted from `def` (or its
    first decorator) to the last line of its body."""
    found: list[tuple[int, str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno] + [decorator.lineno for decorator in child.decorator_list])
                found.append((child.end_lineno - first + 1, prefix + child.name, first))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename), "")
    return found


def test_the_measure_counts_a_long_function():
    # The rule below can fail: a 60-line function is measured as 60 lines.
    body = "".join(f"    x{number} = {number}\n" for number in range(59))
    assert function_lengths(f"def long():\n{body}", "x.py") == [(60, "long", 1)]


def test_no_function_in_plugins_reaches_60_lines():
    too_long = []
    for path in sorted(PLUGINS.rglob("*.py")):
        for lines, name, first in function_lengths(path.read_text(encoding="utf-8"), str(path)):
            if lines >= MAX_FUNCTION_LINES:
                too_long.append(f"{path.relative_to(PLUGINS)}:{first} {name}: {lines} lines")
    assert not too_long, "functions of 60 lines or more (split them):\n" + "\n".join(too_long)


def test_module_utils_code_raises_instead_of_ending_the_task():
    # Only the engine ends a task (PanelModule.failures_reported); _info.py is the info modules' own reporting place.
    enders = re.compile(r"\.(?:fail_json|exit_json)\(")
    found = [
        f"{path.name}:{number}"
        for path in sorted((PLUGINS / "module_utils").glob("*.py"))
        if path.name not in ("_module.py", "_info.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if enders.search(line)
    ]
    assert not found, f"fail_json/exit_json outside the engine: {found}"
