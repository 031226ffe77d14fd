"""Docs and packaging tests: the checkout laid out as `ansible_collections/ptero/panel` for imports and ansible-doc."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tools"))

import render_docs  # noqa: E402
from collection_tree import linked_collection_for_this_process  # noqa: E402

COLLECTIONS_DIR = linked_collection_for_this_process("ptero-docs-tests-")
sys.path.insert(0, str(COLLECTIONS_DIR))


@pytest.fixture(scope="session")
def collections_dir() -> Path:
    """A collections path (`ANSIBLE_COLLECTIONS_PATH`) whose ptero.panel is this checkout."""
    return COLLECTIONS_DIR


@pytest.fixture(scope="session")
def plugin_docs() -> dict[str, dict[str, dict]]:
    """`ansible-doc --json` of every module and inventory plugin: {plugin type: {FQCN: doc}}."""
    return render_docs.load_docs(COLLECTIONS_DIR)
