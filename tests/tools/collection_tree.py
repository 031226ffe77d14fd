"""Lay the checkout out as `<tmp>/ansible_collections/ptero/panel`, the path Ansible tooling needs."""

from __future__ import annotations

import os
import shutil
import subprocess
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
