"""ansible-lint (production profile) on the collection, laid out at ansible_collections/ptero/panel."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from collection_tree import copy_collection


def main() -> int:
    bin_dir = Path(sys.executable).parent
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        ANSIBLE_LINT_SKIP_SCHEMA_UPDATE="1",
        ANSIBLE_LINT_NODEPS="0",
    )
    with tempfile.TemporaryDirectory(prefix="ptero-lint-") as tmp:
        collection = copy_collection(Path(tmp))
        env["ANSIBLE_COLLECTIONS_PATH"] = tmp
        cmd = [str(bin_dir / "ansible-lint"), "--profile", "production", "--offline", *sys.argv[1:]]
        print("+", " ".join(cmd), flush=True)
        return subprocess.run(cmd, cwd=collection, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
