"""`ansible-galaxy collection build` leaves tests and caches out, and the tarball installs and documents."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*cmd: str, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_build_excludes_dev_files_and_installs(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    from collection_tree import copy_collection

    source = copy_collection(tmp_path / "src")
    # Files a developer's checkout has but git ignores must not reach the tarball either.
    (source / ".venv" / "bin").mkdir(parents=True)
    (source / ".venv" / "bin" / "python").write_text("")
    run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path / "dist"), cwd=source)
    tarball = next((tmp_path / "dist").glob("ptero-panel-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    assert "plugins/module_utils/_client.py" in names
    for banned in ("tests", ".venv", ".ci", "Makefile", "pyproject.toml", "changelogs/fragments", "__pycache__"):
        assert not [n for n in names if n == banned or n.startswith(banned + "/") or f"/{banned}/" in f"/{n}"], banned

    install_dir = tmp_path / "installed"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(install_dir))
    run(
        str(BIN / "ansible-galaxy"),
        "collection",
        "install",
        "--offline",
        "-p",
        str(install_dir),
        str(tarball),
        cwd=tmp_path,
        env=env,
    )
    listing = run(
        str(BIN / "ansible-galaxy"), "collection", "list", "ptero.panel", "-p", str(install_dir), cwd=tmp_path, env=env
    )
    assert "ptero.panel" in listing
    assert (install_dir / "ansible_collections" / "ptero" / "panel" / "meta" / "runtime.yml").is_file()
