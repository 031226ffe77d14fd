"""docs/reference/ is what tests/tools/render_docs.py renders from the plugins today, its links resolve, and
the Ansible markup renderer turns markup into the right Markdown."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import render_docs

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference"
FIX = "run `python tests/tools/render_docs.py` and commit docs/reference/"
MAX_DIFF_LINES = 40
LINK = re.compile(r"\]\(([^)\s]+)\)")
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')


def test_committed_reference_matches_a_fresh_rendering(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "tools" / "render_docs.py"), "--output", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"render_docs.py failed:\n{result.stderr}"
    fresh = {path.name: path.read_bytes().decode("utf-8") for path in tmp_path.glob("*.md")}
    committed = {path.name: path.read_bytes().decode("utf-8") for path in REFERENCE.glob("*.md")}
    problems = [f"missing: {name}" for name in sorted(set(fresh) - set(committed))]
    problems += [f"no longer generated: {name}" for name in sorted(set(committed) - set(fresh))]
    stale = sorted(name for name in set(fresh) & set(committed) if fresh[name] != committed[name])
    problems += [f"stale: {name}" for name in stale]
    if stale:
        diff = difflib.unified_diff(
            committed[stale[0]].splitlines(),
            fresh[stale[0]].splitlines(),
            f"committed/{stale[0]}",
            f"fresh/{stale[0]}",
            lineterm="",
            n=1,
        )
        problems += list(diff)[:MAX_DIFF_LINES]
    assert not problems, f"docs/reference/ is out of date; {FIX}\n" + "\n".join(problems)


def test_reference_has_the_index_the_routes_and_a_page_per_plugin():
    names = {path.name for path in REFERENCE.glob("*.md")}
    assert {render_docs.INDEX_PAGE, render_docs.API_ROUTES_PAGE} <= names, FIX
    for plugin_type in render_docs.PLUGIN_TYPES:
        for fqcn in render_docs.plugin_names(plugin_type):
            assert render_docs.page_name(fqcn, plugin_type) in names, f"no page for {fqcn}; {FIX}"


def test_links_between_reference_pages_resolve():
    pages = {path.name: path.read_text(encoding="utf-8") for path in REFERENCE.glob("*.md")}
    anchors = {name: set(ANCHOR.findall(text)) for name, text in pages.items()}
    broken = []
    for name, text in sorted(pages.items()):
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://")):
                continue
            page, _sep, fragment = target.partition("#")
            page = page or name
            if page not in pages or (fragment and fragment not in anchors[page]):
                broken.append(f"{name}: {target}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_rendered_pages_are_clean_text():
    for path in sorted(REFERENCE.glob("*.md")):
        raw = path.read_bytes()
        assert b"\r" not in raw and b"\t" not in raw, f"carriage return or tab in {path.name}"
        text = raw.decode("utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n"), path.name
        assert not [line for line in text.splitlines() if line != line.rstrip()], f"trailing whitespace in {path.name}"
        assert text.startswith(render_docs.GENERATED_NOTE), path.name


# -- the markup renderer -----------------------------------------------------------------------------------

PAGES = {
    ("ptero.panel.location", "module"): "location_module.md",
    ("ptero.panel.pterodactyl", "inventory"): "pterodactyl_inventory.md",
}


@pytest.fixture
def context() -> render_docs.PageContext:
    return render_docs.PageContext(
        "ptero.panel.location", "module", {"state", "limits", "limits/memory"}, {"location"}, PAGES
    )


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("plain", "plain"),
        ("C(ptla_...) key", "`ptla_...` key"),
        ("V(present) or E(PTERODACTYL_URL)", "`present` or `PTERODACTYL_URL`"),
        ("I(must) and B(never)", "*must* and **never**"),
        ("O(state)", "[`state`](#parameter-state)"),
        ("O(state=absent)", "[`state=absent`](#parameter-state)"),
        ("O(limits.memory)", "[`limits.memory`](#parameter-limits/memory)"),
        ("O(unknown)", "`unknown`"),
        ("RV(location)", "[`location`](#return-location)"),
        ("O(ptero.panel.pterodactyl#inventory:url)", "[`url`](pterodactyl_inventory.md#parameter-url)"),
        ("O(ignore:foo=bar)", "`foo=bar`"),
        ("M(ptero.panel.location)", "[`ptero.panel.location`](location_module.md)"),
        (
            "M(ansible.builtin.uri)",
            "[`ansible.builtin.uri`](https://docs.ansible.com/ansible/latest/collections/ansible/builtin/uri_module.html)",
        ),
        ("P(ptero.panel.pterodactyl#inventory)", "[`ptero.panel.pterodactyl#inventory`](pterodactyl_inventory.md)"),
        (
            "L(the panel, https://pterodactyl.io) and U(https://example.com)",
            "[the panel](https://pterodactyl.io) and <https://example.com>",
        ),
        ("R(Semantic markup, ref_label)", "Semantic markup"),
        ("a HORIZONTALLINE b", "a <hr> b"),
        # Escapes: V() and friends take \) and \\; C() ends at the first ")".
        (r"V(a\)b) C(f(x)) y", "`a)b` `f(x`) y"),
        ("unclosed C(abc", "unclosed C(abc"),
        ("ABC(x) is not markup", "ABC(x) is not markup"),
        ("a * b _c_ [d] <e> | f", r"a \* b \_c\_ \[d\] &lt;e&gt; \| f"),
        ("C(a|b) C(`tick`)", "`a|b` `` `tick` ``"),
        ("C(a\tb)", "`a b`"),
        ("line\n  folded", "line folded"),
    ],
)
def test_markup_becomes_markdown(context, text, markdown):
    assert render_docs.markup(text, context) == markdown


def test_pipes_are_escaped_in_table_cells_even_in_code(context):
    assert render_docs.markup("C(a|b) or c|d", context.in_table()) == r"`a\|b` or c\|d"


def test_plugin_page_lays_out_options_returns_and_examples():
    data = {
        "doc": {
            "short_description": "Manage C(things)",
            "version_added": "0.1.0",
            "description": ["Creates O(name)."],
            "options": {
                "name": {"description": "The name.", "type": "str", "required": True},
                "limits": {
                    "description": ["Limits."],
                    "type": "dict",
                    "suboptions": {"memory": {"description": "MiB.", "type": "int", "default": 0}},
                },
                "mode": {
                    "description": "Mode.",
                    "type": "str",
                    "choices": ["a", "b"],
                    "default": "a",
                    "env": [{"name": "THING_MODE"}],
                },
            },
            "author": ["someone (@someone)"],
        },
        "examples": "\n- name: Example\n  ptero.panel.thing:\n    name: x\n",
        "return": {
            "thing": {
                "description": "The thing.",
                "type": "dict",
                "returned": "always",
                "contains": {
                    "id": {"description": "Id.", "type": "int", "sample": 1},
                    "pem": {"description": "PEM.", "type": "str", "sample": "-----BEGIN\r\nAAA"},
                    "note": {"description": "Note.", "type": "str", "sample": ""},
                },
            }
        },
    }
    page = render_docs.render_plugin_page("ptero.panel.thing", "module", data, ["group/ptero.panel.panel"], {})
    assert page.startswith(render_docs.GENERATED_NOTE + "\n\n# ptero.panel.thing module - Manage `things`\n")
    assert "action groups: `group/ptero.panel.panel`" in page
    assert "- Creates [`name`](#parameter-name)." in page
    assert '| <a id="parameter-name"></a>`name`<br>*required* | str |  | The name. |' in page
    assert '| <a id="parameter-limits/memory"></a>`limits.memory` | int | `0` | MiB. |' in page
    assert "Choices: `a`, `b`<br>Environment variable: `THING_MODE`" in page
    assert "```yaml\n- name: Example\n  ptero.panel.thing:\n    name: x\n```" in page
    assert '| <a id="return-thing/id"></a>`thing.id` | int |  | Id.<br>Sample: `1` |' in page
    # Line breaks would end the table row; an empty code span would not render.
    assert 'PEM.<br>Sample: `"-----BEGIN\\r\\nAAA"` |' in page
    assert 'Note.<br>Sample: `""` |' in page
    assert page.endswith("## Authors\n\n- someone (@someone)\n")
