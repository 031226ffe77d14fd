"""The environment AWX injects for a credential of the custom type in docs/awx/credential_type.yml.

Follows AWX's injection rules (CredentialType.inject_credential): inputs left empty are not in the template
namespace, an unset boolean is false, every env injector is rendered in a sandbox and set on every run."""

from __future__ import annotations

import typing as t
from pathlib import Path

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_TYPE = ROOT / "docs" / "awx" / "credential_type.yml"


def credential_type() -> dict[str, t.Any]:
    return yaml.safe_load(CREDENTIAL_TYPE.read_text(encoding="utf-8"))


def injected_environment(inputs: dict[str, t.Any]) -> dict[str, str]:
    definition = credential_type()
    fields = {field["id"]: field for field in definition["inputs"]["fields"]}
    unknown = set(inputs) - set(fields)
    assert not unknown, f"inputs the credential type does not have: {sorted(unknown)}"
    namespace: dict[str, t.Any] = {
        name: value for name, value in inputs.items() if isinstance(value, bool) or len(value)
    }
    for field_id, field in fields.items():
        if field.get("type", "string") == "boolean" and field_id not in namespace:
            namespace[field_id] = False
    sandbox = ImmutableSandboxedEnvironment()
    return {
        name: sandbox.from_string(template).render(**namespace)
        for name, template in definition["injectors"]["env"].items()
    }
