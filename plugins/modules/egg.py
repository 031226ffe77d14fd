#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: egg
short_description: Import, update and delete eggs on a Pelican panel
version_added: 1.1.0
description:
  - Import an egg file (YAML or JSON, as the panels export them) into a Pelican panel, update the egg when the file
    changed, or delete it. Pterodactyl's API cannot write eggs; on a Pterodactyl panel the module fails before any
    change, naming the panel. To read eggs on either panel, see M(ptero.panel.egg_info).
  - An egg is identified by its C(uuid). Pelican's import updates the egg with the file's uuid, or creates a new egg
    when there is none, so a file without a uuid would make a new egg on every run. Pterodactyl exports
    (C(PTDL_v2)) carry no uuid; for them set O(uuid) to a UUID of your choosing (keep it, since it is the egg's
    identity from then on). Without it the module fails instead of importing.
  - B(How a change is detected.) The module exports the panel's egg as JSON and compares it with the file, after
    normalising both (a C(startup) string is the C(Default) startup command, configuration written as JSON strings
    is read as data, line endings of scripts, variable C(rules) as a list). Compared where the file has them are
    C(name), C(author), C(description), C(features), C(docker_images), C(file_denylist), C(tags), C(startup),
    C(config) (C(files), C(startup), C(logs), C(stop)), C(scripts.installation) (C(script), C(container),
    C(entrypoint)) and C(variables) (by C(env_variable), each with C(name), C(description), C(default_value),
    C(user_viewable), C(user_editable), C(rules)). Other keys (C(meta), C(exported_at), C(_comment)) are not
    compared. When something differs the whole file is imported again (the panel then also drops variables the
    file does not have).
  - Needs the egg import routes (Pelican beta30 or later).
  - Uses the application API.
options:
  src:
    description:
      - Path of the egg file on the host the module runs on (usually the controller, through a local connection).
      - Mutually exclusive with O(content).
    type: path
  content:
    description:
      - The egg file's content, YAML or JSON (a string; use C(lookup('file', ...)) or C(to_json) to fill it, or
        C(lookup('ansible.builtin.url', ..., split_lines=false)) for an egg published on the web).
      - Mutually exclusive with O(src).
    type: str
  uuid:
    description:
      - The egg's uuid. Required with O(state=absent) when there is no file; injected into a file that has none
        (Pterodactyl exports); a file with another uuid fails.
    type: str
  state:
    description:
      - V(present) imports the file when the panel has no egg with its uuid or the egg differs from it.
      - V(absent) deletes the egg with that uuid; the panel refuses while servers or other eggs use it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.application
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Keep the Paper egg as it is in the repository
  ptero.panel.egg:
    url: https://panel.example.com
    api_key: "{{ pelican_application_key }}"
    src: files/eggs/egg-paper.yaml

- name: Keep an egg as it is published on the web (read by the controller; the module sends its content)
  ptero.panel.egg:
    content: "{{ lookup('ansible.builtin.url', egg_url, split_lines=false) }}"
  vars:
    egg_url: https://eggs.example.com/minecraft/egg-paper.yaml

- name: Import an egg exported from Pterodactyl (it has no uuid)
  ptero.panel.egg:
    src: files/eggs/egg-forge-ptdl.json
    uuid: 5c2d1c50-8a64-4f4e-9a8e-0f6d3b1e7a21

- name: Delete an egg nobody uses any more
  ptero.panel.egg:
    uuid: 5c2d1c50-8a64-4f4e-9a8e-0f6d3b1e7a21
    state: absent
"""

RETURN = r"""
egg:
  description:
    - The egg after the task, as the panel lists it; V(null) when it is absent.
    - In check mode, for an egg that would be imported, the file's compared fields.
  returned: always
  type: dict
  sample: {id: 12, uuid: 5c2d1c50-8a64-4f4e-9a8e-0f6d3b1e7a21, name: Forge, author: support@example.com,
           tags: [minecraft]}
changed_fields:
  description: The compared fields (see the description) that differed and were imported again.
  returned: when an existing egg was updated
  type: list
  elements: str
  sample: [docker_images, variables]
"""

import json
import typing as t
import uuid as uuidlib

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
    HAS_YAML = False

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource, TaskFailure
from ansible_collections.ptero.panel.plugins.module_utils._pelican import require_pelican

Document = dict[str, t.Any]
# Top-level keys compared as they are (after the empty-value rule).
PLAIN_KEYS = ("name", "author", "description", "features", "docker_images", "file_denylist", "tags")
CONFIG_KEYS = ("files", "startup", "logs", "stop")
SCRIPT_KEYS = ("script", "container", "entrypoint")
VARIABLE_KEYS = ("name", "description", "default_value", "user_viewable", "user_editable", "rules")


# -- reading the file ---------------------------------------------------------------------------------------------


def parse_document(text: str, option: str) -> Document:
    """The egg file as data: JSON, else YAML; TaskFailure naming the option when it is neither or not an egg."""
    try:
        document = json.loads(text)
    except ValueError:
        if not HAS_YAML:
            raise TaskFailure(
                f"{option}: not JSON, and reading YAML needs PyYAML on the host running the module"
            ) from None
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise TaskFailure(f"{option}: neither JSON nor YAML ({error})".replace("\n", " ")) from None
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise TaskFailure(f"{option}: not an egg file (an egg is a mapping with at least a name)")
    return document


def read_source(params: t.Mapping[str, t.Any]) -> tuple[str, str]:
    """(the file's text, the option it came from)."""
    if params["content"] is not None:
        return params["content"], "content"
    try:
        with open(params["src"], encoding="utf-8") as handle:
            return handle.read(), "src"
    except (OSError, UnicodeDecodeError) as error:
        raise TaskFailure(f"src: cannot read {params['src']}: {error}") from None


def egg_uuid(document: Document, given: str | None, option: str) -> str:
    """The uuid the egg is identified by: the file's, or the `uuid` option for a file without one."""
    if given is not None:
        try:
            given = str(uuidlib.UUID(given))
        except ValueError:
            raise TaskFailure(f"uuid: '{given}' is not a UUID") from None
    have = document.get("uuid")
    if have and given and str(have).lower() != given:
        raise TaskFailure(
            f"uuid: {given} differs from the uuid in {option} ({have}); leave the option out, or fix the file"
        )
    if have:
        return str(have).lower()
    if given:
        return given
    raise TaskFailure(
        f"{option}: the egg file has no uuid (Pterodactyl PTDL_v2 exports have none), so every import "
        "would add another copy of the egg. Set the uuid option to a UUID of your choosing; it is "
        "written into the import and identifies the egg from then on"
    )


# -- normalising for the comparison -------------------------------------------------------------------------------


def _empty(value: t.Any) -> bool:
    return value in (None, "", [], {})


def _data(value: t.Any) -> t.Any:
    """Configuration the way the panel means it: PTDL files write it as JSON strings."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return None if _empty(value) else value


def _text(value: t.Any) -> t.Any:
    return value.replace("\r\n", "\n") if isinstance(value, str) else (None if _empty(value) else value)


def _startup(document: Document) -> t.Any:
    commands = document.get("startup_commands", document.get("startup"))
    # The importer keeps a single startup command as the one called "Default".
    return {"Default": commands} if isinstance(commands, str) else (None if _empty(commands) else commands)


def _rules(rules: t.Any) -> list[str]:
    if isinstance(rules, str):
        return [rule for rule in rules.split("|") if rule]
    return [str(rule) for rule in rules or []]


def _variables(variables: t.Any) -> dict[str, t.Any]:
    normalised = {}
    for variable in variables or []:
        fields = {key: variable.get(key) for key in VARIABLE_KEYS}
        fields["rules"] = _rules(fields["rules"])
        fields["default_value"] = "" if fields["default_value"] is None else str(fields["default_value"])
        fields["description"] = _text(fields["description"] or "")
        for flag in ("user_viewable", "user_editable"):
            fields[flag] = bool(fields[flag])
        normalised[variable.get("env_variable")] = fields
    return normalised


def egg_fields(document: Document) -> Document:
    """The compared fields of an egg file (or export), normalised; only the keys the document has."""
    fields: Document = {}
    for key in PLAIN_KEYS:
        if key in document:
            value = document[key]
            fields[key] = None if _empty(value) else _text(value)
    if "startup" in document or "startup_commands" in document:
        fields["startup"] = _startup(document)
    if isinstance(document.get("config"), dict):
        fields["config"] = {key: _data(document["config"].get(key)) for key in CONFIG_KEYS}
    scripts = document.get("scripts")
    installation = scripts.get("installation") if isinstance(scripts, dict) else None
    if isinstance(installation, dict):
        fields["scripts"] = {key: _text(installation.get(key)) for key in SCRIPT_KEYS}
    if "variables" in document:
        fields["variables"] = _variables(document["variables"])
    return fields


# -- the resource -------------------------------------------------------------------------------------------------


class Egg(PanelResource):
    result_key = "egg"

    def __init__(self, module: PanelModule, uuid: str, document: Document | None, text: str | None) -> None:
        super().__init__(module)
        self.uuid = uuid
        self.document = document
        self.text = text
        self.wanted = egg_fields(document) if document is not None else {}
        #: The panel's egg, in the compared fields (from its export; set by compare()).
        self.exported: Document = {}

    def describe(self, obj: t.Mapping[str, t.Any] | None = None) -> str:
        name = (obj or {}).get("name") or (self.document or {}).get("name")
        return f"egg '{name}' ({self.uuid})" if name else f"egg {self.uuid}"

    def find(self) -> dict[str, t.Any] | None:
        eggs = self.client.call("application.egg_catalog.list")
        return next((egg for egg in eggs if str(egg.get("uuid", "")).lower() == self.uuid), None)

    def desired(self) -> dict[str, t.Any]:
        return dict(self.wanted)

    def compare(self, current: dict[str, t.Any], desired: dict[str, t.Any]) -> list[str]:
        exported = self.client.call("application.egg_catalog.export", {"egg": current["id"]}, query={"format": "json"})
        try:
            document = json.loads(exported) if isinstance(exported, str) else exported or {}
        except ValueError:
            raise TaskFailure(f"{self.describe(current)}: the panel's JSON export of the egg is not JSON") from None
        self.exported = egg_fields(document)
        return sorted(key for key in desired if self.exported.get(key) != desired[key])

    def view(self, obj: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
        # Diffs show the compared fields: the export's for the egg as found, the file's for what the task makes.
        if not obj:
            return {}
        current = self.current
        if current is None or obj is not current:
            return dict(self.wanted)
        return {key: self.exported.get(key) for key in self.wanted} if self.exported else {"name": current.get("name")}

    def body(self) -> str | Document:
        """What is imported: the file as it is, or as data with the uuid written in when it has none."""
        if self.document is not None and self.document.get("uuid"):
            return self.text or self.document
        return {**(self.document or {}), "uuid": self.uuid}

    def create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        return self.client.call("application.egg_catalog.import", body=self.body())

    def update(self, current: dict[str, t.Any], desired: dict[str, t.Any]) -> dict[str, t.Any]:
        return self.create(desired)

    def predict_update(
        self, current: dict[str, t.Any], desired: dict[str, t.Any], changes: list[str]
    ) -> dict[str, t.Any]:
        return dict(current)

    def predict_create(self, desired: dict[str, t.Any]) -> dict[str, t.Any]:
        return {"uuid": self.uuid, **desired}

    def delete(self, current: dict[str, t.Any]) -> None:
        self.client.call("application.egg_catalog.delete_by_uuid", {"uuid": self.uuid})


def egg_from_options(module: PanelModule) -> Egg:
    """The Egg the options describe; TaskFailure for a missing or unusable file or uuid, before any request."""
    params = module.params
    if params["src"] is None and params["content"] is None:
        if params["state"] == "present":
            raise TaskFailure("state=present needs the egg file: set src or content")
        if params["uuid"] is None:
            raise TaskFailure("state=absent needs the egg's uuid: set uuid, src or content")
        return Egg(module, egg_uuid({}, params["uuid"], "uuid"), None, None)
    text, option = read_source(params)
    document = parse_document(text, option)
    return Egg(module, egg_uuid(document, params["uuid"], option), document, text)


def main() -> None:
    module = PanelModule(
        {
            "src": {"type": "path"},
            "content": {"type": "str"},
            "uuid": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="application",
        mutually_exclusive=[("src", "content")],
    )
    with module.failures_reported():
        egg = egg_from_options(module)
        require_pelican(module.client, "egg", "egg imports")
        outcome = module.ensure(egg, module.params["state"])
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
