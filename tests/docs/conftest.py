"""Docs and packaging tests: the checkout laid out as `ansible_collections/ptero/panel` for imports and ansible-doc."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "tools"))

import render_docs  # noqa: E402
from collection_tree import link_collection  # noqa: E402

COLLECTIONS_DIR = Path(tempfile.mkdtemp(prefix="ptero-docs-tests-"))
# rmtree removes the link to the checkout, never what it points to.
atexit.register(shutil.rmtree, COLLECTIONS_DIR, True)
link_collection(COLLECTIONS_DIR)
sys.path.insert(0, str(COLLECTIONS_DIR))


@pytest.fixture(scope="session")
def collections_dir() -> Path:
    """A collections path (`ANSIBLE_COLLECTIONS_PATH`) whose ptero.panel is this checkout."""
    return COLLECTIONS_DIR


@pytest.fixture(scope="session")
def plugin_docs() -> dict[str, dict[str, dict]]:
    """`ansible-doc --json` of every module and inventory plugin: {plugin type: {FQCN: doc}}."""
    return render_docs.load_docs(COLLECTIONS_DIR)
