"""The claim catalogues in ``docs/catalogue/`` against the claim modules that audit them.

Every catalogue id is audited by at least one claim module or says why not; every claim
module's id has its parent id in its paper's catalogue and is listed in that id's row; links
into the catalogue resolve; and nothing in the repository points at a catalogue outside it.
Files are read as text (a regex over ``id="..."``), so the test imports no claim module.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from verify.catalogue import NOT_AUDITED, Entry, coverage, parent, read_catalogue

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "catalogue"
PAPERS = ("BL22", "GA23")

_CLAIM_ID = re.compile(r'^\s*id="(?P<id>[^"]+)",', re.MULTILINE)
_LINK = re.compile(r"docs/catalogue/(?P<file>[A-Za-z0-9_]+\.md)(?:#(?P<anchor>[A-Za-z0-9_-]+))?")
# Where the catalogues and the notes on the codebases used to live, outside the repository
# (written split so that this file does not match itself).
_OUTSIDE = ("papers/BL22" + ".md", "papers/GA23" + ".md", "../" + "shared",
            "ECO" + "SYSTEM")
# A catalogue file named without its folder: fine inside docs/catalogue only.
_BARE = re.compile(r"(?<![\w/])(?:BL22|GA23)\.md")
# Generated or third-party trees; reports/ is regenerated from the claim declarations.
_SKIP_DIRS = {".git", ".nox", ".venv", "build", "reports", "__pycache__", ".hypothesis",
              ".pytest_cache", ".ruff_cache"}
_TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml"}


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, '-' for ' '."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    """The anchors of every heading of a Markdown file."""
    return {_slug(line.lstrip("#")) for line in path.read_text().splitlines()
            if line.startswith("#")}


def _table(paper: str) -> dict[str, Entry]:
    """Catalogue id -> its row, from the paper's id table."""
    return read_catalogue(_catalogue(paper))


def _catalogue(paper: str) -> Path:
    return CATALOGUE / f"{paper}.md"


def _claim_ids(paper: str) -> dict[str, str]:
    """Claim id -> module name, over ``tests/claims/<paper>/test_*.py``."""
    ids: dict[str, str] = {}
    for module in sorted((ROOT / "tests" / "claims" / paper.lower()).glob("test_*.py")):
        found = [m["id"] for m in _CLAIM_ID.finditer(module.read_text())]
        assert len(found) == 1, f"{module.name}: expected one Claim id=..., found {found}"
        ids[found[0]] = module.name
    return ids


def _repository_files() -> list[Path]:
    """The repository's text files, without generated or third-party trees."""
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders
                         if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
        files += [Path(folder) / n for n in names if Path(n).suffix in _TEXT_SUFFIXES]
    return files


@pytest.mark.parametrize("paper", PAPERS)
def test_every_id_is_audited_or_explained(paper):
    for cid, entry in _table(paper).items():
        if entry.cell.startswith(NOT_AUDITED):
            assert entry.reason, f"{paper}.md {cid}: 'not audited' needs a reason"
        else:
            assert entry.listed, (
                f"{paper}.md {cid}: the last column must list claim ids in backticks or start "
                f"with one of {NOT_AUDITED}, got {entry.cell!r}")


@pytest.mark.parametrize("paper", PAPERS)
def test_table_lists_exactly_the_claim_modules(paper):
    table = _table(paper)
    claims = _claim_ids(paper)
    orphans = {c: m for c, m in claims.items() if parent(c, table) is None}
    assert not orphans, f"claim ids with no parent id in docs/catalogue/{paper}.md: {orphans}"
    for cid, entry in table.items():
        listed = set(entry.listed)
        audited = {c for c in claims if parent(c, table) == cid}
        assert listed == audited, (
            f"{paper}.md {cid}: listed but no such module {sorted(listed - audited)}; "
            f"module not listed {sorted(audited - listed)}")
        if entry.reason is not None:
            assert not audited, f"{paper}.md {cid} says not audited, but {audited} audit it"


@pytest.mark.parametrize("paper", PAPERS)
def test_every_id_has_its_section(paper):
    anchors = _anchors(_catalogue(paper))
    for entry in _table(paper).values():
        assert entry.anchor == entry.id.lower(), f"{paper}.md: row {entry.id} links #{entry.anchor}"
        assert entry.anchor in anchors, f"{paper}.md: no section '### {entry.id}'"


def test_links_into_the_catalogue_resolve():
    broken = []
    for path in _repository_files():
        for m in _LINK.finditer(path.read_text(errors="replace")):
            target = CATALOGUE / m["file"]
            if not target.is_file() or (m["anchor"] and m["anchor"] not in _anchors(target)):
                broken.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert not broken, "links to missing catalogue files or anchors:\n" + "\n".join(broken)


def test_nothing_points_outside_the_repository():
    hits = []
    for path in _repository_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            hits += [f"{path.relative_to(ROOT)}:{number}: {s}" for s in _OUTSIDE if s in line]
            if CATALOGUE not in path.parents:
                hits += [f"{path.relative_to(ROOT)}:{number}: {m.group(0)} (give its folder)"
                         for m in _BARE.finditer(line)]
    assert not hits, "references to a catalogue outside the repository:\n" + "\n".join(hits)


def test_full_audit_coverage_explains_every_id():
    """What the report prints per paper for the full audit: every catalogue id audited by a
    claim module (its parent id), or not audited with a reason; none missing."""
    claim_ids = [c for paper in PAPERS for c in _claim_ids(paper)]
    papers = coverage(CATALOGUE, claim_ids)
    assert sorted(papers) == sorted(PAPERS)
    for paper, part in papers.items():
        table = _table(paper)
        assert part["missing"] == [], f"{paper}: ids neither audited nor explained"
        explained = set(part["not_audited"]) | set(part["pending"])
        assert set(part["audited"]) | explained == set(table)
        assert not set(part["audited"]) & explained, f"{paper}: audited and explained"
        assert all(table[i].reason for i in explained), f"{paper}: a reason is empty"
        assert part["ids"] == len(table)
