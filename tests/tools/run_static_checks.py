"""ruff (lint and format) and mypy on the checkout, as configured in pyproject.toml; `make lint` runs it.

mypy needs the collection under its import name `ansible_collections.ptero.panel`, which the checkout's layout
does not have: a symlink tree in a temporary directory provides it (as tests/unit/conftest.py does for pytest),
and is removed afterwards. Paths in mypy's messages are given relative to the checkout.

    run_static_checks.py            # every check
    run_static_checks.py ruff mypy  # only the named ones (ruff = lint and format check)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from collection_tree import ROOT, link_collection

BIN = Path(sys.executable).parent
# The packages mypy checks; how strictly is per package in pyproject.toml.
MYPY_PACKAGES = ("ansible_collections.ptero.panel.plugins", "ptero_emulator")
CHECKS = ("ruff", "mypy")


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, check=False, capture_output=True, text=True)


def ruff() -> int:
    failures = 0
    for cmd in ([str(BIN / "ruff"), "check", "--no-fix", "."], [str(BIN / "ruff"), "format", "--check", "."]):
        done = run(cmd)
        sys.stdout.write(done.stdout + done.stderr)
        failures += done.returncode != 0
    return failures


def mypy() -> int:
    with tempfile.TemporaryDirectory(prefix="ptero-mypy-") as tmp:
        collection = link_collection(Path(tmp))
        env = dict(os.environ, MYPYPATH=os.pathsep.join([tmp, str(ROOT / "emulator")]))
        cmd = [str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml")]
        for package in MYPY_PACKAGES:
            cmd += ["-p", package]
        done = run(cmd, env)
    # mypy names the collection's files by their path in the symlink tree; show them as checkout paths.
    prefix = f"{collection}{os.sep}"
    sys.stdout.write((done.stdout + done.stderr).replace(prefix, ""))
    return int(done.returncode != 0)


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in CHECKS]
    if unknown:
        print(f"unknown check(s) {', '.join(unknown)}; choose from {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    selected = argv or list(CHECKS)
    failures = sum({"ruff": ruff, "mypy": mypy}[name]() for name in selected)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
