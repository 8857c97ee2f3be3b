"""verify.catalogue: reading a catalogue's id table, claim -> catalogue id, coverage of a run."""

from __future__ import annotations

import pytest

from verify.catalogue import coverage, parent, read_catalogue

TABLE = """\
# P: a paper

| id | claim | where | provenance | audited by |
|---|---|---|---|---|
| [P-C1](#p-c1) | one | Sec. 1 | TEXT | `P-C1`, `P-C1-literal` |
| [P-C2](#p-c2) | two | Sec. 2 | TEXT | not audited: a naming, nothing to measure |
| [P-C3](#p-c3) | three | Sec. 3 | DERIVED | not yet audited: needs a trained model |
| [P-C4](#p-c4) | four | Sec. 4 | TEXT | `P-C4a` |
"""


@pytest.fixture
def catalogue(tmp_path):
    (tmp_path / "P.md").write_text(TABLE)
    (tmp_path / "README.md").write_text("no table here")
    return tmp_path


def test_parent_mapping():
    ids = {"BL22-C1", "BL22-C2", "BL22-K3"}
    assert parent("BL22-C2-beta", ids) == "BL22-C2"
    assert parent("BL22-C1a", ids) == "BL22-C1"
    assert parent("BL22-K3a", ids) == "BL22-K3"
    assert parent("BL22-C2", ids) == "BL22-C2"
    assert parent("BL22-C20", ids) is None  # a digit continues the id: no parent
    assert parent("BL22-C5b", ids) is None
    # Nested ids: the longest catalogue id that the claim id continues, in any order.
    assert parent("P-C2b-x", {"P-C2", "P-C2b"}) == "P-C2b"
    assert parent("P-C2b-x", ["P-C2b", "P-C2"]) == "P-C2b"


def test_read_catalogue(catalogue):
    entries = read_catalogue(catalogue / "P.md")
    assert list(entries) == ["P-C1", "P-C2", "P-C3", "P-C4"]
    assert entries["P-C1"].listed == ("P-C1", "P-C1-literal")
    assert entries["P-C1"].reason is None
    assert entries["P-C2"].reason == "a naming, nothing to measure"
    assert not entries["P-C2"].pending
    assert entries["P-C3"].pending
    with pytest.raises(ValueError, match="README.md: no id table"):
        read_catalogue(catalogue / "README.md")


def test_coverage_of_a_run(catalogue):
    assert coverage(catalogue, ["P-C1-literal", "Q-C9"]) == {"P": {
        "ids": 4, "audited": ["P-C1"], "not_audited": {"P-C2": "a naming, nothing to measure"},
        "pending": ["P-C3"], "missing": ["P-C4"]}}
    assert coverage(catalogue / "absent", ["P-C1"]) == {}
