"""Seed ansible-test's pip bootstrap cache so `ansible-test sanity --venv` works offline.

ansible-test downloads `get-pip-<ver>.py` from a host this machine cannot reach. It caches the file at
`~/.ansible/test/cache/get_pip_<ver>.py` and runs it with pip's install arguments. Our stand-in bootstraps pip
from the interpreter's own `ensurepip` and then installs what was asked for from the package index.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

STANDIN = '''"""Stand-in for get-pip.py, written by ptero.panel's tests/tools/seed_get_pip.py."""
import ensurepip
import subprocess
import sys

ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
cert = "/etc/ssl/certs/ca-certificates.crt"
extra = ["--cert", cert] if __import__("os").path.exists(cert) else []
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *extra, *args]))
'''


def pip_versions(ansible_test_dir: Path) -> set[str]:
    source = (ansible_test_dir / "_internal" / "python_requirements.py").read_text()
    return set(re.findall(r"pip='([0-9.]+)'", source))


def main() -> int:
    import ansible_test

    versions = pip_versions(Path(ansible_test.__file__).parent)
    if not versions:
        print("seed_get_pip: could not find ansible-test's pip version", file=sys.stderr)
        return 1
    cache = Path(os.path.expanduser("~/.ansible/test/cache"))
    cache.mkdir(parents=True, exist_ok=True)
    for version in sorted(versions):
        (cache / f"get_pip_{version.replace('.', '_')}.py").write_text(STANDIN)
    print(f"seed_get_pip: seeded pip {', '.join(sorted(versions))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
