"""docs/awx.md names the files `ansible-builder create` really writes: each `context/...` path of the guide exists in
a context created offline from docs/awx/execution-environment.yml, the scripts listed are the ones written, and the
image definition's name follows podman's presence and --output-filename as the guide says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_execution_environment import EXAMPLE_DEFINITION, builder, builder_env, run

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "awx.md"
CONTEXT_PATH = re.compile(r"`(context/[A-Za-z0-9_./-]*)`")


def create(tmp_path: Path, *options: str) -> Path:
    context = tmp_path / "context"
    run(
        builder(),
        "create",
        "--file",
        str(EXAMPLE_DEFINITION),
        "--context",
        str(context),
        *options,
        cwd=tmp_path,
        env=builder_env(tmp_path),
    )
    return context


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize("definition", ["Containerfile", "Dockerfile"])
def test_the_image_definition_is_named_by_output_filename(tmp_path, definition):
    context = create(tmp_path, "--output-filename", definition)
    assert sorted(path.name for path in context.iterdir() if path.is_file()) == [definition]
    assert f"`context/{definition}`" in guide()


def test_without_options_the_name_depends_on_podman_being_installed(tmp_path):
    context = create(tmp_path)
    expected = "Containerfile" if shutil.which("podman", path=builder_env(tmp_path)["PATH"]) else "Dockerfile"
    assert (context / expected).is_file()
    assert "`context/Containerfile` where `podman` is on the PATH, `context/Dockerfile` otherwise" in guide()


def test_every_context_path_in_the_guide_is_written(tmp_path):
    context = create(tmp_path, "--output-filename", "Containerfile")
    (tmp_path / "docker").mkdir()
    other = create(tmp_path / "docker", "--output-filename", "Dockerfile")
    named = set(CONTEXT_PATH.findall(guide()))
    assert named, "the guide names no file of the build context"
    for relative in sorted(named):
        inside = relative.removeprefix("context/")
        assert (context / inside).exists() or (other / inside).exists(), f"docs/awx.md names {relative}, not written"


def test_the_scripts_listed_are_the_scripts_written(tmp_path):
    context = create(tmp_path)
    written = sorted(path.name for path in (context / "_build" / "scripts").iterdir())
    row = next(line for line in guide().splitlines() if line.startswith("| `context/_build/scripts/`"))
    assert sorted(re.findall(r"`([a-z_.-]+)`", row.split("|")[2])) == written
