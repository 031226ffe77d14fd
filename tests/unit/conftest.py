"""Make `ansible_collections.ptero.panel` importable from the checkout for unit tests."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from collection_tree import link_collection  # noqa: E402

_BASE = Path(tempfile.mkdtemp(prefix="ptero-unit-"))
link_collection(_BASE)
sys.path.insert(0, str(_BASE))
