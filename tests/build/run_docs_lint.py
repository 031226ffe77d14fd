"""antsibull-docs on the collection as it ships: the docsite pages generated from docs/ are up to date, and
`antsibull-docs lint-collection-docs --plugin-docs` finds nothing in the installed tarball (plugin and role
documentation, docs/docsite/extra-docs.yml, links.yml and the RST pages, references between them checked).

Run with the release-check virtualenv (`make docs-lint` builds it from requirements-importer.txt):
    .venv-importer/bin/python tests/build/run_docs_lint.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from built_collection import ROOT, build_tarball, install_tarball

LINT_TIMEOUT = 600


def main() -> int:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "antsibull-docs").is_file():
        print(f"{sys.executable} is not the release-check virtualenv; run `make docs-lint`", file=sys.stderr)
        return 2
    fresh = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "build" / "render_docsite.py"), "--check"], check=False
    )
    if fresh.returncode != 0:
        return 1
    with tempfile.TemporaryDirectory(prefix="ptero-docs-lint-") as tmp:
        work = Path(tmp)
        installed = install_tarball(build_tarball(work, bin_dir), work / "collections", bin_dir)
        if not (installed / "docs" / "docsite" / "extra-docs.yml").is_file():
            print("docs/docsite/extra-docs.yml is not in the built collection", file=sys.stderr)
            return 1
        env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            ANSIBLE_COLLECTIONS_PATH=str(work / "collections"),
            HOME=str(work),
        )
        command = [
            str(bin_dir / "antsibull-docs"),
            "lint-collection-docs",
            "--plugin-docs",
            "--check-extra-docs-refs",
            "--validate-collection-refs",
            "all",
            "--disallow-unknown-collection-refs",
            str(installed),
        ]
        print("+", " ".join(command[:-1]), "<installed ptero.panel>", flush=True)
        result = subprocess.run(
            command, cwd=work, env=env, capture_output=True, text=True, timeout=LINT_TIMEOUT, check=False
        )
        findings = [line for line in result.stdout.splitlines() if line.strip()]
        if result.returncode != 0 or findings:
            print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
            print(f"antsibull-docs: {len(findings)} finding(s), rc {result.returncode}", file=sys.stderr)
            return 1
        print("antsibull-docs lint-collection-docs --plugin-docs: clean")
        return 0


if __name__ == "__main__":
    sys.exit(main())
