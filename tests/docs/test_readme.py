"""README's "What the audit finds" is generated from the committed report (verify.readme): a
new report without a regenerated README, or a hand edit of the section, fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from verify import readme

ROOT = Path(__file__).resolve().parents[2]


def test_readme_findings_are_the_committed_reports(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert readme.main(["--check"]) == 0, "run `python -m verify.readme` and commit README.md"


def test_a_stale_section_is_caught(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    stale = (ROOT / "README.md").read_text().replace(" HOLDS: ", " FAILS: ", 1)
    (tmp_path / "README.md").write_text(stale)
    assert readme.main(["--check", "--readme", str(tmp_path / "README.md")]) == 1
    assert readme.main(["--readme", str(tmp_path / "README.md")]) == 0
    assert (tmp_path / "README.md").read_text() == (ROOT / "README.md").read_text()


def test_markers_are_required():
    with pytest.raises(ValueError, match="markers"):
        readme.updated("no section here", readme.findings_section.__doc__ or "")
