"""ansible-builder picks up ptero.panel's Python requirements: `meta/execution-environment.yml`, the example
execution environment definition in docs/awx/, and the introspection step of the generated build context run
against the built and installed collection (what the container build does, without a container runtime)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLE_DEFINITION = ROOT / "docs" / "awx" / "execution-environment.yml"
COMMAND_TIMEOUT = 120


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed (rc {result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def requirement_lines(text: str) -> list[str]:
    """The requirement specifiers of a pip requirements file, without comments and blank lines."""
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def normalized(lines: list[str]) -> list[str]:
    return sorted(str(Requirement(line)) for line in lines)


def builder() -> str:
    path = BIN / "ansible-builder"
    assert path.is_file(), (
        "ansible-builder is not installed in this virtualenv (requirements-dev.txt: ansible-builder==3.2.0)"
    )
    return str(path)


def builder_env(tmp_path: Path) -> dict[str, str]:
    # Only this virtualenv and the basic system tools on PATH: `create` must not need podman or docker.
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(PATH=f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin", HOME=str(tmp_path))
    return env


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    """`ansible-builder create` of the example definition, offline and without a container runtime."""
    tmp = tmp_path_factory.mktemp("ee")
    context = tmp / "context"
    run(
        builder(),
        "create",
        "--file",
        str(EXAMPLE_DEFINITION),
        "--context",
        str(context),
        "--output-filename",
        "Containerfile",
        cwd=tmp,
        env=builder_env(tmp),
    )
    return context


@pytest.fixture(scope="module")
def installed_collections(tmp_path_factory) -> Path:
    """The collection built with ansible-galaxy and installed from the tarball, as an EE build installs it."""
    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    from collection_tree import copy_collection

    tmp = tmp_path_factory.mktemp("galaxy")
    source = copy_collection(tmp / "src")
    galaxy = str(BIN / "ansible-galaxy")
    run(galaxy, "collection", "build", "--output-path", str(tmp / "dist"), cwd=source)
    tarball = next((tmp / "dist").glob("ptero-panel-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    for needed in ("meta/execution-environment.yml", "requirements.txt"):
        assert needed in names, f"{needed} is missing from the collection tarball (galaxy.yml build_ignore?)"
    installed = tmp / "collections"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed))
    run(galaxy, "collection", "install", "--offline", "-p", str(installed), str(tarball), cwd=tmp, env=env)
    return installed


def test_collection_metadata_names_the_requirements_files():
    metadata = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert metadata["version"] == 1
    dependencies = metadata["dependencies"]
    assert set(dependencies) <= {"python", "system"}, "a collection may only declare python and system dependencies"
    assert dependencies["python"] == "requirements.txt"
    for relative in dependencies.values():
        assert not Path(relative).is_absolute(), "ansible-builder rejects absolute paths in collection metadata"
        assert (ROOT / relative).is_file(), relative
    assert requirement_lines((ROOT / "requirements.txt").read_text(encoding="utf-8")), "requirements.txt lists nothing"


def test_builder_create_writes_a_context_that_installs_the_collection(build_context):
    containerfile = (build_context / "Containerfile").read_text(encoding="utf-8")
    galaxy_requirements = yaml.safe_load((build_context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in galaxy_requirements["collections"]] == ["ptero.panel"]
    assert "ansible-galaxy collection install" in containerfile
    # The builder stage asks every installed collection for its requirements; the final stage installs them.
    assert "/output/scripts/introspect.py introspect" in containerfile
    assert (build_context / "_build" / "scripts" / "introspect.py").is_file()


def test_context_introspection_lists_our_python_requirements(build_context, installed_collections, tmp_path):
    pip_file = tmp_path / "requirements.txt"
    bindep_file = tmp_path / "bindep.txt"
    output = run(
        sys.executable,
        str(build_context / "_build" / "scripts" / "introspect.py"),
        "introspect",
        str(installed_collections),
        "--write-pip",
        str(pip_file),
        "--write-bindep",
        str(bindep_file),
        cwd=tmp_path,
    )
    assert pip_file.is_file(), f"introspection found no Python requirements:\n{output}"
    introspected = pip_file.read_text(encoding="utf-8")
    assert all(line.endswith("# from collection ptero.panel") for line in introspected.splitlines() if line)
    ours = requirement_lines((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    assert normalized(requirement_lines(introspected)) == normalized(ours)
    # requests and websocket-client are pure Python: the image needs no system packages for ptero.panel.
    assert not bindep_file.exists()
