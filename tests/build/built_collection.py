"""Build the collection tarball the way a release does (`ansible-galaxy collection build` of the checkout) and
install it, for the checks that must look at what ships rather than at the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 300


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (rc {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def build_tarball(work_dir: Path, bin_dir: Path) -> Path:
    """`ansible-galaxy collection build` of a copy of the checkout (tracked and new files, as CI has them)."""
    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    from collection_tree import copy_collection

    source = copy_collection(work_dir / "src")
    run(str(bin_dir / "ansible-galaxy"), "collection", "build", "--output-path", str(work_dir / "dist"), cwd=source)
    tarballs = sorted((work_dir / "dist").glob("ptero-panel-*.tar.gz"))
    if len(tarballs) != 1:
        raise RuntimeError(f"expected one tarball, found {tarballs}")
    return tarballs[0]


def install_tarball(tarball: Path, collections_dir: Path, bin_dir: Path) -> Path:
    """Install the tarball into `collections_dir` (offline) and return the installed collection's root."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_dir))
    run(
        str(bin_dir / "ansible-galaxy"),
        "collection",
        "install",
        "--offline",
        "-p",
        str(collections_dir),
        str(tarball),
        cwd=tarball.parent,
        env=env,
    )
    return collections_dir / "ansible_collections" / "ptero" / "panel"


def extract_tarball(tarball: Path, target: Path) -> Path:
    """The tarball's files unpacked into `target`, exactly as shipped (galaxy.yml is not in it)."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target
