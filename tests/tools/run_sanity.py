"""`ansible-test sanity` on a copy of the collection at ansible_collections/ptero/panel, offline-capable."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from collection_tree import copy_collection


def main() -> int:
    subprocess.run([sys.executable, str(Path(__file__).with_name("seed_get_pip.py"))], check=True)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    with tempfile.TemporaryDirectory(prefix="ptero-sanity-") as tmp:
        collection = copy_collection(Path(tmp))
        cmd = [str(bin_dir / "ansible-test"), "sanity", "--venv", "--python", "3.11", "--color", "no", *sys.argv[1:]]
        print("+", " ".join(cmd), flush=True)
        return subprocess.run(cmd, cwd=collection, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
