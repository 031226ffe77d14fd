"""The AWX credential type in docs/awx/credential_type.yml: valid for AWX, and it injects exactly the environment
variables the plugins read (found in the plugins' code and documentation, not listed here), with values the
modules and the inventory plugin accept."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.testing import patch_module_args
from jinja2 import StrictUndefined, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_TYPE = ROOT / "docs" / "awx" / "credential_type.yml"
# The collection's own environment variables; Ansible's (ANSIBLE_*) are configuration, not credentials.
ENV_PREFIX = "PTERODACTYL_"
ENV_NAME = re.compile(rf"^{ENV_PREFIX}[A-Z0-9_]+$")
ENV_MARKUP = re.compile(rf"\bE\(({ENV_PREFIX}[A-Z0-9_]+)\)")
INVENTORY = "ptero.panel.pterodactyl"
CONNECTION_OPTIONS = ("url", "api_key", "validate_certs", "timeout")

# What AWX accepts in a custom credential type (CredentialTypeInputField / CredentialTypeInjectorField).
AWX_FIELD_KEYS = {
    "id",
    "label",
    "type",
    "help_text",
    "secret",
    "multiline",
    "format",
    "choices",
    "ask_at_runtime",
    "default",
}
AWX_STRING_ONLY_KEYS = {"secret", "multiline", "format", "choices"}
AWX_IDENTIFIER = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
AWX_CUSTOM_KINDS = {"cloud", "net"}

# Fake keys of the panel's shape (prefix, 16-character identifier, secret); never real credentials.
APPLICATION_KEY = "ptla_" + "a" * 16 + "b" * 32
CLIENT_KEY = "ptlc_" + "c" * 16 + "d" * 32
PANEL_URL = "https://panel.example.test"


@pytest.fixture(scope="module")
def credential_type() -> dict[str, t.Any]:
    return yaml.safe_load(CREDENTIAL_TYPE.read_text(encoding="utf-8"))


def fields(credential_type: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    return {field["id"]: field for field in credential_type["inputs"]["fields"]}


def awx_environment(credential_type: dict[str, t.Any], inputs: dict[str, t.Any]) -> dict[str, str]:
    """The environment AWX injects for a credential with `inputs`, following AWX's inject_credential():
    empty strings are left out of the template namespace, unset booleans are false, every env injector is set."""
    namespace: dict[str, t.Any] = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    for field_id, field in fields(credential_type).items():
        if field.get("type", "string") == "boolean" and field_id not in inputs:
            namespace[field_id] = False
    sandbox = ImmutableSandboxedEnvironment()
    return {
        name: sandbox.from_string(template).render(**namespace)
        for name, template in credential_type["injectors"]["env"].items()
    }


# -- what the plugins read ---------------------------------------------------------------------------


def env_names_in_code() -> set[str]:
    """Every string constant in the plugins' code that is exactly one of the collection's variable names."""
    names: set[str] = set()
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names.update(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and ENV_NAME.match(node.value)
        )
    return names


def _option_entries(options: dict[str, t.Any] | None) -> t.Iterator[dict[str, t.Any]]:
    for option in (options or {}).values():
        yield option
        yield from _option_entries(option.get("suboptions"))


def env_names_in_docs(plugin_docs: dict[str, dict[str, dict]]) -> set[str]:
    """The variables the documentation says are read: E() markup in options, and config `env` entries."""
    names: set[str] = set()
    for plugins in plugin_docs.values():
        for data in plugins.values():
            for option in _option_entries(data["doc"].get("options")):
                descriptions = option.get("description") or []
                for line in [descriptions] if isinstance(descriptions, str) else descriptions:
                    names.update(ENV_MARKUP.findall(line))
                names.update(entry["name"] for entry in option.get("env") or [] if ENV_NAME.match(entry["name"]))
    return names


def inventory_env_names(plugin_docs: dict[str, dict[str, dict]]) -> set[str]:
    options = plugin_docs["inventory"][INVENTORY]["doc"]["options"]
    return {
        entry["name"]
        for option in options.values()
        for entry in option.get("env") or []
        if ENV_NAME.match(entry["name"])
    }


# -- the credential type is valid for AWX --------------------------------------------------------------


def test_inputs_are_a_valid_awx_custom_credential_type(credential_type):
    assert credential_type["name"] and credential_type["kind"] in AWX_CUSTOM_KINDS
    assert set(credential_type["inputs"]) <= {"fields", "required"}
    seen: set[str] = set()
    for field in credential_type["inputs"]["fields"]:
        assert set(field) <= AWX_FIELD_KEYS, field
        assert {"id", "label"} <= set(field), field
        assert AWX_IDENTIFIER.match(field["id"]) and field["id"] not in {"tower", "awx"}, field["id"]
        assert field["id"] not in seen, f"duplicate field id {field['id']}"
        seen.add(field["id"])
        field_type = field.get("type", "string")
        assert field_type in {"string", "boolean"}, field
        if field_type != "string":
            assert not set(field) & AWX_STRING_ONLY_KEYS, field
        if "default" in field:
            assert isinstance(field["default"], {"string": str, "boolean": bool}[field_type]), field
    assert set(credential_type["inputs"].get("required", [])) <= seen


def test_injectors_are_valid_awx_templates(credential_type):
    injectors = credential_type["injectors"]
    assert set(injectors) == {"env"}, "env only: AWX gives extra_vars to jobs but not to inventory updates"
    field_ids = set(fields(credential_type))
    # AWX validates each template against a namespace where every field is set, failing on undefined names.
    validation_namespace = dict.fromkeys(field_ids, "EXAMPLE")
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for name, template in injectors["env"].items():
        assert AWX_IDENTIFIER.match(name) and not name.startswith("ANSIBLE_"), name
        assert isinstance(template, str) and template.isascii(), name
        assert meta.find_undeclared_variables(strict.parse(template)) <= field_ids, name
        strict.from_string(template).render(**validation_namespace)


def test_keys_are_secret_inputs(credential_type):
    by_id = fields(credential_type)
    sandbox = ImmutableSandboxedEnvironment()
    for name, template in credential_type["injectors"]["env"].items():
        if "KEY" in name:
            used = meta.find_undeclared_variables(sandbox.parse(template))
            assert used and all(by_id[field_id].get("secret") is True for field_id in used), name


# -- it injects what the plugins read ------------------------------------------------------------------


def test_code_and_documentation_name_the_same_variables(plugin_docs):
    assert env_names_in_code() == env_names_in_docs(plugin_docs)


def test_injects_exactly_the_variables_the_plugins_read(credential_type, plugin_docs):
    read = env_names_in_code() | env_names_in_docs(plugin_docs)
    injected = set(credential_type["injectors"]["env"])
    assert injected == read, f"not injected: {sorted(read - injected)}; read by no plugin: {sorted(injected - read)}"
    assert inventory_env_names(plugin_docs) <= injected


# -- and the values work ---------------------------------------------------------------------------------

SCENARIOS = {
    "application key only": (
        {"url": PANEL_URL, "api_key": APPLICATION_KEY},
        {"application": APPLICATION_KEY, "client": APPLICATION_KEY, "inventory": APPLICATION_KEY},
    ),
    "client key only": (
        {"url": PANEL_URL, "api_key": CLIENT_KEY, "client_api_key": ""},
        {"application": CLIENT_KEY, "client": CLIENT_KEY, "inventory": CLIENT_KEY},
    ),
    "both keys": (
        {"url": PANEL_URL, "api_key": APPLICATION_KEY, "client_api_key": CLIENT_KEY, "timeout": "12.5"},
        {"application": APPLICATION_KEY, "client": CLIENT_KEY, "inventory": APPLICATION_KEY},
    ),
    "self-signed panel": (
        {"url": PANEL_URL, "api_key": APPLICATION_KEY, "skip_tls_verify": True, "timeout": ""},
        {"application": APPLICATION_KEY, "client": APPLICATION_KEY, "inventory": APPLICATION_KEY},
    ),
}


def documented_default(plugin_docs: dict[str, dict[str, dict]], option: str) -> t.Any:
    """The default of a connection option, which every module and the inventory plugin must agree on."""
    defaults = {
        json.dumps(data["doc"]["options"][option].get("default"))
        for plugins in plugin_docs.values()
        for data in plugins.values()
        if option in data["doc"].get("options", {})
    }
    assert len(defaults) == 1, f"plugins document different defaults for {option}: {sorted(defaults)}"
    return json.loads(defaults.pop())


def expected_connection(plugin_docs, inputs: dict[str, t.Any], key: str) -> dict[str, t.Any]:
    """The connection options a plugin should end up with: the inputs given, the plugins' defaults otherwise."""
    skip_tls_verify = inputs.get("skip_tls_verify")
    return {
        "url": inputs["url"],
        "api_key": key,
        "validate_certs": documented_default(plugin_docs, "validate_certs")
        if skip_tls_verify is None
        else not skip_tls_verify,
        "timeout": float(inputs["timeout"])
        if inputs.get("timeout")
        else float(documented_default(plugin_docs, "timeout")),
    }


def module_params(api: str, environment: dict[str, str], monkeypatch) -> dict[str, t.Any]:
    """The connection options a module of `api` ends up with when the task sets none and AWX set `environment`."""
    from ansible_collections.ptero.panel.plugins.module_utils._module import connection_argument_spec

    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with patch_module_args({}):
        module = AnsibleModule(argument_spec=connection_argument_spec(api))
    return {name: module.params[name] for name in CONNECTION_OPTIONS}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("api", ["application", "client"])
def test_modules_connect_with_the_injected_environment(credential_type, plugin_docs, scenario, api, monkeypatch):
    inputs, keys = SCENARIOS[scenario]
    environment = awx_environment(credential_type, inputs)
    assert module_params(api, environment, monkeypatch) == expected_connection(plugin_docs, inputs, keys[api])


# Resolves the inventory plugin's options from the environment, the way `ansible-inventory` does, per scenario.
INVENTORY_OPTIONS_SCRIPT = f"""
import json, os, sys
from ansible.plugins.loader import init_plugin_loader, inventory_loader
init_plugin_loader([sys.argv[1]])
plugin = inventory_loader.get({INVENTORY!r})
results = []
for environment in json.load(sys.stdin):
    for name in [name for name in os.environ if name.startswith({ENV_PREFIX!r})]:
        del os.environ[name]
    os.environ.update(environment)
    plugin.set_options(direct={{"plugin": {INVENTORY!r}}})
    results.append({{name: plugin.get_option(name) for name in {CONNECTION_OPTIONS!r}}})
print(json.dumps(results))
"""


def test_inventory_connects_with_the_injected_environment(credential_type, plugin_docs, collections_dir):
    names = sorted(SCENARIOS)
    environments = [awx_environment(credential_type, SCENARIOS[name][0]) for name in names]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", ENV_PREFIX))}
    result = subprocess.run(
        [sys.executable, "-c", INVENTORY_OPTIONS_SCRIPT, str(collections_dir)],
        input=json.dumps(environments),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    resolved = dict(zip(names, json.loads(result.stdout), strict=True))
    for name in names:
        inputs, keys = SCENARIOS[name]
        assert resolved[name] == expected_connection(plugin_docs, inputs, keys["inventory"]), name


def test_unset_optional_inputs_give_the_documented_defaults(credential_type, plugin_docs):
    environment = awx_environment(credential_type, {"url": PANEL_URL, "api_key": APPLICATION_KEY})
    tls_variable = next(name for name in environment if "CERTS" in name)
    timeout_variable = next(name for name in environment if "TIMEOUT" in name)
    assert boolean(environment[tls_variable]) is documented_default(plugin_docs, "validate_certs") is True
    assert float(environment[timeout_variable]) == float(documented_default(plugin_docs, "timeout"))
    assert all(environment.values()), "AWX sets every injected variable; none may be empty"
