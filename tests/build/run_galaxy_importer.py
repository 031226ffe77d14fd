"""galaxy-importer on the built tarball with Automation Hub's settings (tests/build/galaxy-importer.cfg): the
import must succeed with no warning and no error (flake8, ansible-doc, ansible-lint, metadata, changelog, tags).

Run with the importer's own virtualenv (`make galaxy-importer` builds it from requirements-importer.txt), so the
importer's pins never touch the main virtualenv's ansible-core:
    .venv-importer/bin/python tests/build/run_galaxy_importer.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from built_collection import ROOT, build_tarball

CONFIG = ROOT / "tests" / "build" / "galaxy-importer.cfg"
SUCCESS_LINE = "Importer processing completed successfully"
FINDING_PREFIXES = ("WARNING:", "ERROR:", "CRITICAL:")
IMPORT_TIMEOUT = 600


def importer_env(bin_dir: Path, home: Path) -> dict[str, str]:
    # The importer calls flake8, ansible-doc and ansible-lint by name: this virtualenv's, nobody else's.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "GALAXY_IMPORTER_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        GALAXY_IMPORTER_CONFIG=str(CONFIG),
        HOME=str(home),
        ANSIBLE_LINT_SKIP_SCHEMA_UPDATE="1",
    )
    return env


def findings(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(FINDING_PREFIXES)]


def check_result(result: dict) -> list[str]:
    """What the import recorded: the version and the content Automation Hub would list."""
    problems = []
    metadata = result.get("metadata") or {}
    major = str(metadata.get("version", "0")).split(".", 1)[0]
    if not major.isdigit() or int(major) < 1:
        problems.append(f"version {metadata.get('version')!r} is below 1.0.0, which Automation Hub refuses")
    content_types = {entry.get("content_type") for entry in result.get("contents") or []}
    for wanted in ("module", "inventory", "role"):
        if wanted not in content_types:
            problems.append(f"the import lists no {wanted} content (found {sorted(content_types)})")
    return problems


def main() -> int:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "flake8").is_file() or not (bin_dir / "ansible-lint").is_file():
        print(f"{sys.executable} is not the importer's virtualenv; run `make galaxy-importer`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ptero-importer-") as tmp:
        work = Path(tmp)
        tarball = build_tarball(work, bin_dir)
        print(f"+ galaxy-importer {tarball.name} (settings: {CONFIG.relative_to(ROOT)})", flush=True)
        completed = subprocess.run(
            [sys.executable, "-m", "galaxy_importer.main", str(tarball)],
            cwd=work,
            env=importer_env(bin_dir, work),
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT,
            check=False,
        )
        # The per-file progress lines ("Loading ...", "Linting ...") are left out; everything else is shown.
        print(
            "\n".join(line for line in completed.stdout.splitlines() if not line.startswith(("Loading ", "Linting ")))
        )
        found = findings(completed.stdout)
        result_file = work / "importer_result.json"
        problems = check_result(json.loads(result_file.read_text(encoding="utf-8"))) if result_file.is_file() else []
        if completed.returncode != 0 or SUCCESS_LINE not in completed.stdout or not result_file.is_file():
            print(completed.stderr, file=sys.stderr)
            print(f"galaxy-importer did not import the collection (rc {completed.returncode})", file=sys.stderr)
            return 1
        if found or problems:
            print(
                f"galaxy-importer: {len(found)} finding(s), {len(problems)} problem(s) in the result:",
                *found,
                *problems,
                sep="\n  ",
                file=sys.stderr,
            )
            return 1
        print("galaxy-importer: clean (no warning, no error)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
