"""claims.md: summary, findings, a narrow table, one detail section per claim."""

from __future__ import annotations

import math

import pytest

from tests.verify.test_report import claim_record, document
from verify import markdown


@pytest.mark.parametrize(("value", "text"), [
    (3.2e3, "3.2e+03"), (math.inf, "inf"), ("inf", "inf"), (None, "?"), ("nan", "?"),
    (1.0, "1.0e+00"),
])
def test_margins_are_short(value, text):
    assert markdown.fmt_margin(value) == text


def test_anchor_is_githubs_heading_slug():
    assert markdown.anchor("BL22-C3-lpp-regular") == "#bl22-c3-lpp-regular"
    assert markdown.anchor("GA23-T1.2") == "#ga23-t12"


def test_opens_with_a_summary_per_paper_and_the_run():
    text = markdown.render_markdown(document(
        claim_record("A-C1"), claim_record("A-C2", "FAILS", fragile=True, margin=2.0),
        claim_record("B-C1", "NOT_CONVERGED", margin=None)))
    head = text.split("## Findings")[0]
    assert "seed 0" in head
    assert "commit `abc`" in head
    assert "device `cpu`" in head
    assert "| A | 2 | 1 | 1 | 0 | 1 of 2 | 1 |" in head
    assert "| B | 1 | 0 | 0 | 1 NOT_CONVERGED | 0 of 1 | 0 |" in head
    assert "Differ from expected: [A-C2](#a-c2) (FAILS, expected HOLDS), [B-C1](#b-c1)" in head
    assert "Fragile (margin below 10" in head
    assert "[A-C2](#a-c2) (2.0e+00)" in head


def test_findings_come_from_the_declarations_grouped_by_paper():
    text = markdown.render_markdown(document(
        claim_record("A-C1", finding="holds as stated"),
        claim_record("A-C2", "FAILS", "FAILS"),
        claim_record("B-C1", "FAILS", "FAILS", margin=math.inf,
                     finding="fails at the customary weights")))
    findings = text.split("## Findings")[1].split("## Claims")[0]
    assert "### A\n\n- [A-C1](#a-c1) **HOLDS** (margin 1.0e+03): holds as stated" in findings
    assert "A-C2" not in findings  # no finding declared
    assert "### B\n\n- [B-C1](#b-c1) **FAILS** (margin inf): fails at the customary" in findings
    none = markdown.render_markdown(document())
    assert "No claim of this run declares a finding." in none


def test_table_is_narrow_and_links_every_claim_to_its_section():
    long = "x" * 120
    text = markdown.render_markdown(document(
        claim_record("A-C1", statement=long), claim_record("A-C2", "FAILS", margin=None,
                                                           fragile=True)))
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert rows[0] == f"| [A-C1](#a-c1) | HOLDS | HOLDS | 1.0e+03 | {'x' * 89}… |"
    assert rows[1] == "| [A-C2](#a-c2) | **FAILS** | HOLDS | **?** | a \\| b |"
    assert all(len(line) <= 200 for line in text.splitlines() if line.startswith("|"))
    # the whole statement in the detail section
    assert f"*{long}*" in text


def test_every_claim_has_a_detail_section_with_its_figure_inline():
    text = markdown.render_markdown(document(
        claim_record("A-C1", figures=["figures/A-C1.png", "figures/A-C1-spectrum.png"]),
        claim_record("A-C2", "FAILS")))
    details = text.split("## Details")[1]
    assert "### A-C1\n" in details
    assert "### A-C2\n" in details
    section = details.split("### A-C1\n")[1].split("### A-C2")[0]
    assert "![A-C1](figures/A-C1.png)" in section
    assert "![A-C1-spectrum](figures/A-C1-spectrum.png)" in section
    assert "worst error 5.00e-01 vs tolerance 1e-09, margin 1.0e+03, 3 trials (seed 7)" in section
    assert "measurements (min .. max): gap 0.1 .. 2" in section
    assert "Figure from the previous run" not in section


def test_reproduce_commands_are_one_per_line():
    text = markdown.render_markdown(document(claim_record("A-C1", "FAILS")))
    lines = text.splitlines()
    at = lines.index("    ssl-audit --id T-C1 --profile quick --seed 0")
    assert lines[at + 1] == "    python -c 'replay'"
    assert " | " not in "\n".join(line for line in lines if "ssl-audit --id" in line)


def test_declared_stars_are_literal_not_emphasis():
    text = markdown.render_markdown(document(claim_record(statement="Z* = W* X")))
    assert "*Z\\* = W\\* X*" in text
    assert "| Z\\* = W\\* X |" in text


def test_long_notes_are_cut_at_a_sentence_end():
    claim = claim_record()
    claim["notes"] = "First sentence is short. " + "word " * 60
    text = markdown.render_markdown(document(claim))
    assert "Notes: First sentence is short. … (continued in the module)" in text


def test_symbolic_failure_shows_residual_and_witness_and_a_traceback_as_a_block():
    claim = claim_record("A-C1", "FAILS", numeric_verdict="HOLDS")
    claim["symbolic"] = {"verdict": "FAILS", "residual": "-a*b", "message": "binomial",
                         "counterexample": {"a": "1"}, "reproduce": [], "seconds": 0.0}
    claim["numeric"]["message"] = "Traceback\n  line 1"
    text = markdown.render_markdown(document(claim))
    assert "  - residual: `-a*b`" in text
    assert '  - witness: `{"a": "1"}`' in text
    assert "  - message: `binomial`" in text
    assert "margin -," in text  # decided by the symbolic check: no numeric margin
    assert "Traceback" not in text  # the numeric check held: its message is not shown
