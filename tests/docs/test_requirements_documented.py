"""Every plugin that needs a third-party Python library says so under `requirements` (what ansible-doc, the docsite
and Automation Hub show a user). What a plugin needs is found in the code: the libraries it imports, directly or
through the collection's module_utils, not a list kept here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"
MODULE_UTILS_PACKAGE = "ansible_collections.ptero.panel.plugins.module_utils"
# Top-level import name -> the distribution a user installs (requirements.txt names the same ones).
THIRD_PARTY = {"requests": "requests", "websocket": "websocket-client"}
REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def imported_names(path: Path) -> set[str]:
    """The modules a file imports, absolute names, including imports inside try blocks (optional imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def libraries_needed(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Third-party distributions `path` needs, following the collection's own module_utils imports."""
    seen = set() if seen is None else seen
    if path in seen:
        return set()
    seen.add(path)
    needed: set[str] = set()
    for name in imported_names(path):
        top = name.split(".", 1)[0]
        if top in THIRD_PARTY:
            needed.add(THIRD_PARTY[top])
        elif name.startswith(MODULE_UTILS_PACKAGE + "."):
            util = PLUGINS / "module_utils" / (name[len(MODULE_UTILS_PACKAGE) + 1 :].replace(".", "/") + ".py")
            if util.is_file():
                needed |= libraries_needed(util, seen)
    return needed


def plugin_source(plugin_type: str, fqcn: str) -> Path:
    folder = {"module": "modules", "inventory": "inventory"}[plugin_type]
    return PLUGINS / folder / (fqcn.rsplit(".", 1)[1] + ".py")


def documented(doc: dict) -> set[str]:
    names = set()
    for entry in doc.get("requirements") or []:
        match = REQUIREMENT_NAME.match(str(entry).strip())
        if match:
            names.add(match.group(0).lower())
    return names


def test_the_scan_finds_the_libraries_the_collection_uses():
    # Guards the scan itself: the HTTP client and the console client are found through module_utils.
    assert "requests" in libraries_needed(PLUGINS / "modules" / "location.py")
    assert "websocket-client" in libraries_needed(PLUGINS / "modules" / "console_command.py")


@pytest.mark.parametrize("plugin_type", ["module", "inventory"])
def test_every_plugin_documents_the_libraries_it_imports(plugin_docs, plugin_type):
    plugins = plugin_docs[plugin_type]
    assert plugins, f"ansible-doc found no {plugin_type} plugins"
    missing = {}
    for fqcn, data in sorted(plugins.items()):
        needed = libraries_needed(plugin_source(plugin_type, fqcn))
        absent = needed - documented(data["doc"])
        if absent:
            missing[fqcn] = sorted(absent)
    assert not missing, (
        "plugins that import these libraries but do not list them under `requirements` (requests comes with the "
        f"ptero.panel.connection fragment; websocket-client is listed by the modules that use the console): {missing}"
    )
