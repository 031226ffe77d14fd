"""The changelog fragments and changelogs/changelog.yaml pass `antsibull-changelog lint`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_antsibull_changelog_lint_passes():
    command = [str(Path(sys.executable).parent / "antsibull-changelog"), "lint"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), (
        f"antsibull-changelog lint:\n{result.stdout}{result.stderr}"
    )
