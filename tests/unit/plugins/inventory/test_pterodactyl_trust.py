"""Host variables from the panel: template-looking strings are never templated, other values export plain (no
{"__ansible_unsafe": ...} wrappers in what AWX imports). Runs on ansible-core 2.19 and 2.16."""

from __future__ import annotations

import pytest
from ansible.utils.unsafe_proxy import AnsibleUnsafe

from ansible_collections.ptero.panel.plugins.inventory import pterodactyl as plugin

try:
    from ansible.template import is_trusted_as_template
except ImportError:  # ansible-core < 2.19: everything not marked unsafe may be templated
    is_trusted_as_template = None


def templatable(value: str) -> bool:
    if is_trusted_as_template is not None:
        return is_trusted_as_template(value)
    return not isinstance(value, AnsibleUnsafe)


@pytest.mark.parametrize("text", ["java -jar {{SERVER_JARFILE}}", "{% if x %}", "a {# c #}", "#jinja2:x\n{{ y }}"])
def test_template_looking_strings_are_never_templated(text):
    value = plugin.for_hostvars(text)
    assert value == text and not templatable(value)


@pytest.mark.parametrize("text", ["Survival", "Rust [EU] #1!", "", "50% off {not a template}"])
def test_other_strings_are_plain(text):
    value = plugin.for_hostvars(text)
    assert value == text and templatable(value)
    assert not isinstance(value, AnsibleUnsafe)


def test_nested_values_are_marked_one_by_one():
    data = {
        "limits": {"memory": 1024, "name": "x"},
        "startup": "run {{JAR}}",
        "ports": ["25565", "{{P}}"],
        "suspended": False,
    }
    marked = plugin.for_hostvars(data)
    assert marked == data
    assert templatable(marked["limits"]["name"]) and not templatable(marked["startup"])
    assert templatable(marked["ports"][0]) and not templatable(marked["ports"][1])
    assert marked["limits"]["memory"] == 1024 and marked["suspended"] is False


def test_remembered_marks_are_the_same_marks():
    """populate() shares one mark per distinct string across hosts: the remembered form must be what a fresh call
    gives, template-looking strings included."""
    remembered: dict = {}
    for _round in range(2):
        marked = plugin.for_hostvars(
            {"a": "node1.example.com", "b": "run {{JAR}}", "c": ["node1.example.com"]}, remembered
        )
        assert templatable(marked["a"]) and templatable(marked["c"][0]) and not templatable(marked["b"])
    assert set(remembered) == {"node1.example.com", "run {{JAR}}"}
