"""What ships is self-contained: in the built tarball, every relative link of every Markdown file resolves to a file
inside the tarball, and developer material (the tests, the Makefile, `make` targets, none of which ship) is only
mentioned in a section that says it is for developers and links to the repository named in galaxy.yml."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from built_collection import ROOT, build_tarball, extract_tarball

BIN = Path(sys.executable).parent
# [text](target "title") and [text]: target (reference definitions); images too.
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*\b(?:href|src)=["']([^"']+)["']""", re.IGNORECASE)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Sections are cut at level-1 and level-2 headings; a label in a section covers its subsections, and one in the
# page's preface (before its first level-2 heading) covers the whole page.
HEADING = re.compile(r"^#{1,2}\s", re.MULTILINE)
SECTION_HEADING = re.compile(r"^##\s", re.MULTILINE)
# What does not ship (galaxy.yml build_ignore) and must not be presented as if it did.
DEVELOPER_MATERIAL = re.compile(
    r"(?<![\w/.-])(?:tests/|Makefile\b|make (?:demo|test|docs|venv|lint|sanity)\b|"
    r"requirements-dev\.txt)"
)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("shipped")
    return extract_tarball(build_tarball(work, BIN), work / "tarball")


def repository_url() -> str:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["repository"].rstrip("/")


def link_targets(text: str) -> list[str]:
    text = HTML_COMMENT.sub("", text)
    fenced_removed = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    inline = [angled or bare for angled, bare in INLINE_LINK.findall(fenced_removed)]
    return inline + REFERENCE_DEFINITION.findall(fenced_removed) + HTML_LINK.findall(fenced_removed)


def is_relative(target: str) -> bool:
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("#")


def dead_links(markdown: Path, root: Path) -> list[str]:
    dead = []
    for target in link_targets(markdown.read_text(encoding="utf-8")):
        if not is_relative(target):
            continue
        path = unquote(urlsplit(target).path)
        resolved = (root / path.lstrip("/")) if path.startswith("/") else (markdown.parent / path)
        resolved = resolved.resolve()
        if not resolved.is_relative_to(root.resolve()) or not resolved.exists():
            dead.append(target)
    return dead


def sections(text: str) -> list[str]:
    starts = [0, *(match.start() for match in HEADING.finditer(text)), len(text)]
    return [text[begin:end] for begin, end in itertools.pairwise(starts) if text[begin:end].strip()]


def test_the_tarball_has_markdown_to_check(shipped):
    names = {str(path.relative_to(shipped)) for path in shipped.rglob("*.md")}
    assert {"README.md", "docs/awx.md", "docs/reference/index.md"} <= names


def test_developer_requirements_do_not_ship(shipped):
    # requirements.txt is what the collection needs (meta/execution-environment.yml); the others are for developers.
    assert (shipped / "requirements.txt").is_file()
    assert not (shipped / "requirements-dev.txt").exists() and not (shipped / "requirements-importer.txt").exists()


def test_the_labelling_rule_reads_sections_and_prefaces():
    url = repository_url()
    page = "# Guide\n\nIntro.\n\n## Running\n\nRun `make test`.\n\n### Details\n\nSee tests/unit.\n"
    chunks = sections(page)
    assert [chunk.splitlines()[0] for chunk in chunks] == ["# Guide", "## Running"]
    assert not labelled(chunks[1], url)
    assert labelled(f"For developers: {url}.", url) and not labelled(url, url)


def test_the_link_scan_sees_every_kind_of_link():
    text = (
        '[a](docs/a.md) [b](<docs/b c.md>) ![i](img.png "t") <a href="x/y.md">y</a> [ok](https://e.test/x)\n'
        "<!-- [hidden](gone.md) -->\n```\n[code](not-a-link.md)\n```\n[ref]: ../z.md\n"
    )
    assert link_targets(text) == ["docs/a.md", "docs/b c.md", "img.png", "https://e.test/x", "../z.md", "x/y.md"]


def test_every_relative_link_resolves_inside_the_tarball(shipped):
    dead = {}
    for markdown in sorted(shipped.rglob("*.md")):
        found = dead_links(markdown, shipped)
        if found:
            dead[str(markdown.relative_to(shipped))] = found
    assert not dead, f"relative links that lead nowhere in the built collection: {dead}"


def labelled(text: str, url: str) -> bool:
    return url in text and re.search(r"\bdevelop", text, re.IGNORECASE) is not None


def test_developer_material_is_labelled_and_points_at_the_repository(shipped):
    url = repository_url()
    offending = {}
    for markdown in sorted(shipped.rglob("*.md")):
        text = HTML_COMMENT.sub("", markdown.read_text(encoding="utf-8"))
        first_section = SECTION_HEADING.search(text)
        if labelled(text[: first_section.start()] if first_section else text, url):
            continue
        for section in sections(text):
            mentions = sorted(set(DEVELOPER_MATERIAL.findall(section)))
            if mentions and not labelled(section, url):
                title = section.strip().splitlines()[0][:70]
                offending.setdefault(str(markdown.relative_to(shipped)), []).append(f"{title!r}: {mentions}")
    assert not offending, (
        "sections of shipped Markdown that mention files or commands that are not in the collection, without "
        f"saying they are for developers and linking to {url}: {offending}"
    )
