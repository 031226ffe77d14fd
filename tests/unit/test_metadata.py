"""The collection's metadata agrees with its plugins: action groups, versions, shared options."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
RUNTIME = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
CONNECTION_OPTIONS = {"url", "api_key", "validate_certs", "timeout", "retries", "backoff_factor", "extra_retry_codes"}


def test_panel_group_lists_every_module_exactly_once():
    panel = RUNTIME["action_groups"]["panel"]
    assert sorted(panel) == MODULES
    assert len(panel) == len(set(panel))


def test_application_and_client_groups_split_the_modules():
    application = RUNTIME["action_groups"]["application"]
    client = RUNTIME["action_groups"]["client"]
    assert not set(application) & set(client)
    assert sorted(application + client) == MODULES


def test_requires_ansible_is_216_or_newer():
    assert RUNTIME["requires_ansible"] == ">=2.16.0"


def test_user_agent_version_matches_galaxy():
    source = (ROOT / "plugins" / "module_utils" / "_version.py").read_text()
    assert re.search(r'COLLECTION_VERSION\s*=\s*"([^"]+)"', source).group(1) == GALAXY["version"]


def test_runtime_requirements_are_listed_once():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    names = [re.split(r"[<>=!~ ]", line)[0].lower() for line in lines if line]
    assert sorted(names) == ["requests", "websocket-client"]


def _module_sources():
    return {name: (ROOT / "plugins" / "modules" / f"{name}.py").read_text() for name in MODULES}


def test_modules_take_connection_options_from_module_utils_only():
    for name, source in _module_sources().items():
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                assert not keys & CONNECTION_OPTIONS, f"{name} declares connection options itself"


def test_modules_use_the_shared_doc_fragments():
    for name, source in _module_sources().items():
        group = "application" if name in RUNTIME["action_groups"]["application"] else "client"
        assert "ptero.panel.connection\n" in source, name
        assert f"ptero.panel.connection.{group}" in source, f"{name} must document the {group} key"
        assert "ptero.panel.attributes" in source, name


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(text).split("."))


def test_nothing_claims_a_version_after_the_collection_s():
    """A build from main carries galaxy.yml's version: a module or option added "in" a later version, or a version
    already released (listed in the changelog) with new content, would ship under a wrong number."""
    collection = _version(GALAXY["version"])
    added: dict[str, str] = {}
    for path in sorted((ROOT / "plugins").glob("*/*.py")):
        for found in re.findall(r"^\s*version_added:\s*['\"]?([0-9.]+)", path.read_text(), flags=re.MULTILINE):
            added[f"{path.parent.name}/{path.name}: {found}"] = found
    late = [where for where, version in added.items() if _version(version) > collection]
    assert late == [], f"version_added after galaxy.yml's {GALAXY['version']}"
    released = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text())["releases"]
    fragments = list((ROOT / "changelogs" / "fragments").glob("*.yml"))
    if fragments:
        assert GALAXY["version"] not in released, (
            f"galaxy.yml's version {GALAXY['version']} is already released; the changes in changelogs/fragments "
            "need the next version"
        )
