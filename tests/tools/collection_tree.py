"""Lay the checkout out as `<tmp>/ansible_collections/ptero/panel`, the path Ansible tooling needs."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Development tools kept in the checkout that are not collection content (galaxy.yml build_ignore lists them too):
# ansible-test and ansible-lint look at the collection only.
DEVELOPMENT_ONLY = ("emulator/",)


def project_files() -> list[str]:
    """Tracked and new (not ignored) files of the checkout; all files when it is not a git checkout."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True
        ).stdout.decode()
        return [name for name in out.split("\0") if name and (ROOT / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]


def copy_collection(base: Path) -> Path:
    """Copy the collection to `base/ansible_collections/ptero/panel` and return that path."""
    target = base / "ansible_collections" / "ptero" / "panel"
    for name in project_files():
        if name.startswith(DEVELOPMENT_ONLY):
            continue
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest)
    return target


def link_collection(base: Path) -> Path:
    """Symlink the checkout as `base/ansible_collections/ptero/panel` (for running it in place)."""
    target = base / "ansible_collections" / "ptero" / "panel"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.symlink(ROOT, target)
    return target


def linked_collection_for_this_process(prefix: str) -> Path:
    """A new temporary directory holding the checkout as `ansible_collections/ptero/panel` (see `link_collection`),
    removed when this process exits: for a conftest that must put the collection on sys.path (or name it in
    ANSIBLE_COLLECTIONS_PATH) before pytest's own temporary directories exist. Each pytest-xdist worker makes its own.
    """
    base = Path(tempfile.mkdtemp(prefix=prefix))
    # rmtree removes the link to the checkout, never what it points to.
    atexit.register(shutil.rmtree, base, True)
    link_collection(base)
    return base
