"""The link rules of tests/build/render_docsite.py (the pandoc conversion itself runs in `make docsite` and is
checked by `make docs-lint`): links between guides and to plugin pages become docsite references, anything else in
the repository a link to it on the repository's site."""

from __future__ import annotations

import render_docsite as docsite

REPO = docsite.repository_url()


def raw(node) -> str:
    assert node["t"] == "RawInline" and node["c"][0] == "rst", node
    return node["c"][1]


def test_a_guide_links_to_another_guide_by_its_docsite_label():
    node = docsite.link_replacement("docs/reliability.md", "awx.md", "the AWX guide")
    assert raw(node) == ":ref:`the AWX guide <ansible_collections.ptero.panel.docsite.awx>`"
    node = docsite.link_replacement("docs/awx.md", "reference/api-routes.md", "routes")
    assert raw(node) == ":ref:`routes <ansible_collections.ptero.panel.docsite.api_routes>`"


def test_reference_pages_become_the_plugin_pages_antsibull_docs_writes():
    node = docsite.link_replacement("docs/awx.md", "reference/pterodactyl_inventory.md", "inventory")
    assert raw(node) == ":ref:`inventory <ansible_collections.ptero.panel.pterodactyl_inventory>`"
    node = docsite.link_replacement("docs/compatibility.md", "reference/power_module.md", "power")
    assert raw(node) == ":ref:`power <ansible_collections.ptero.panel.power_module>`"
    node = docsite.link_replacement("docs/awx.md", "reference/index.md", "reference")
    assert raw(node) == ":ref:`reference <plugins_in_ptero.panel>`"


def test_other_files_link_to_the_repository():
    assert (
        docsite.link_replacement("docs/awx.md", "../meta/execution-environment.yml", "x")
        == f"{REPO}/blob/main/meta/execution-environment.yml"
    )
    assert (
        docsite.link_replacement("docs/reliability.md", "../tests/reliability/", "x")
        == f"{REPO}/tree/main/tests/reliability"
    )
    assert (
        docsite.link_replacement("docs/awx.md", "awx/credential_type.yml#L3", "x")
        == f"{REPO}/blob/main/docs/awx/credential_type.yml#L3"
    )


def test_absolute_links_and_anchors_are_kept():
    assert docsite.link_replacement("docs/awx.md", "https://pterodactyl.io/", "x") is None
    assert docsite.link_replacement("docs/awx.md", "#checking-the-setup", "x") is None


def test_every_page_is_in_the_extra_docs_index():
    index = docsite.extra_docs()
    for page, _section in docsite.PAGES.values():
        assert f"      - {page}\n" in index
