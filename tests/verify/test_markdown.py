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
    assert rows[0] == (f"| [A-C1](#a-c1) | HOLDS | HOLDS | - | 5.00e-01 | 1e-09 | - | "
                       f"1.0e+03 | {'x' * 89}… |")
    assert rows[1] == ("| [A-C2](#a-c2) | **FAILS** | HOLDS | - | 5.00e-01 | 1e-09 | - | "
                       "**?** | a \\| b |")
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


# -- schema 4: the symbolic check's scope ------------------------------------------------------
def _with_symbolic(claim_id: str, scope: str | None, why: str = "") -> dict:
    claim = claim_record(claim_id)
    claim["symbolic"] = {"verdict": "HOLDS", "scope": scope, "why": why, "residual": "0",
                         "message": "doit + expand", "counterexample": None,
                         "reproduce": [], "seconds": 0.0}
    if scope is None:  # a schema-3 record
        del claim["symbolic"]["scope"], claim["symbolic"]["why"]
    return claim


def test_symbolic_scope_shows_in_table_detail_and_summary():
    doc = document(_with_symbolic("A-C1", "claim"),
                   _with_symbolic("A-C2", "lemma", "G's spectrum; the optimum is measured"),
                   _with_symbolic("B-C1", "claim"), claim_record("B-C2"))
    text = markdown.render_markdown(doc)
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert [row.split(" | ")[3] for row in rows] == ["HOLDS", "HOLDS (lemma)", "HOLDS", "-"]
    head = text.split("## Findings")[0]
    assert "| fragile | symbolic checks deriving the claim itself |" in head
    assert "| A | 2 | 2 | 0 | 0 | 2 of 2 | 0 | 1 of 2 (50%) |" in head
    assert "| B | 2 | 2 | 0 | 0 | 2 of 2 | 0 | 1 of 1 (100%) |" in head
    assert "Symbolic checks deriving the claim itself: 2 of 3 (67%)" in head
    section = text.split("### A-C2\n")[1]
    assert "- symbolic: **HOLDS (lemma)** (doit + expand)\n  - lemma: G's spectrum; the " \
           "optimum is measured" in section
    assert "  - lemma:" not in text.split("### A-C1\n")[1].split("### A-C2")[0]


def test_a_schema_3_document_shows_no_scope():
    doc = document(_with_symbolic("A-C1", None))
    doc["schema"] = 3
    for part in (doc["summary"], *doc["summary"]["papers"].values()):
        del part["symbolic_scope"]
    text = markdown.render_markdown(doc)
    assert "| [A-C1](#a-c1) | HOLDS | HOLDS | HOLDS | " in text
    assert "deriving the claim itself" not in text
    assert "(lemma)" not in text


def test_scope_share_counts_only_claims_with_a_symbolic_check():
    assert markdown.scope_share_text({"symbolic_scope": {"checks": 3, "claim": 1,
                                                         "lemma": 2}}) == "1 of 3 (33%)"
    assert markdown.scope_share_text({"symbolic_scope": {"checks": 0, "claim": 0,
                                                         "lemma": 0}}) == "no symbolic check"
    assert markdown.scope_share_text({}) == ""


# -- schema 3: unit, measures, settings, tags, holds_where, grids ---------------------------
def test_table_shows_the_unit_next_to_error_and_tolerance():
    symbolic_only = claim_record("A-C2")
    symbolic_only["numeric"] = None
    text = markdown.render_markdown(document(
        claim_record("A-C1", unit="rad", measures="largest principal angle"), symbolic_only))
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert rows[0].startswith("| [A-C1](#a-c1) | HOLDS | HOLDS | - | 5.00e-01 | 1e-09 | rad | ")
    assert rows[1].startswith("| [A-C2](#a-c2) | HOLDS | HOLDS | - | - | - | - | - | ")
    assert ("| id | verdict | expected | symbolic | worst error | tolerance | unit | margin | "
            "statement |") in text


def test_detail_section_states_what_is_measured_and_how_it_is_decided():
    claim = claim_record("A-C1", "FAILS", "FAILS", unit="rad",
                         measures="largest principal angle between span(Z*) and P",
                         settings={"rank_rtol": 1e-6, "restarts": 2, "loss": "bt",
                                   "centred": False},
                         tags=("trains", "exact"), holds_where="A-C1b",
                         finding="fails as written")
    text = markdown.render_markdown(document(claim))
    section = text.split("### A-C1\n")[1]
    assert "Measures: largest principal angle between span(Z\\*) and P (unit: rad)." in section
    assert ("Settings: `rank_rtol=1e-06`, `restarts=2`, `loss=bt`, `centred=False`."
            in section)
    assert "Tags: `trains`, `exact`." in section
    assert "Expected to fail; holds where: [A-C1b](#a-c1b)." in section
    assert "worst error 5.00e-01 rad vs tolerance 1e-09" in section
    findings = text.split("## Findings")[1].split("## Claims")[0]
    assert ("- [A-C1](#a-c1) **FAILS** (margin 1.0e+03): fails as written (holds where: "
            "[A-C1b](#a-c1b))") in findings


def test_grid_trials_say_so_instead_of_a_seed():
    text = markdown.render_markdown(document(claim_record("A-C1", sampling="grid")))
    assert "3 trials (every point of the declared grid)" in text
    assert "seed None" not in text


def test_a_schema_2_document_still_renders():
    claim = claim_record("A-C1")
    for key in ("measures", "unit", "settings", "tags", "holds_where"):
        del claim[key]
    del claim["numeric"]["sampling"]
    doc = document(claim)
    doc["schema"] = 2
    text = markdown.render_markdown(doc)
    assert "| [A-C1](#a-c1) | HOLDS | HOLDS | - | 5.00e-01 | 1e-09 | - | 1.0e+03 |" in text
    assert "3 trials (seed 7)" in text
    assert "Measures:" not in text
    assert "Tags:" not in text


def test_catalogue_coverage_per_paper_is_printed():
    doc = document()
    doc["summary"]["coverage"] = {"P": {
        "ids": 4, "audited": ["P-C1"], "not_audited": {"P-C2": "a naming"},
        "pending": ["P-C3"], "missing": ["P-C4"]}}
    head = markdown.render_markdown(doc).split("## Findings")[0]
    assert "Catalogue coverage" in head
    assert "| P | 4 | 1 | P-C2 | 1 | P-C4 |" in head


def test_findings_show_their_evidence_and_the_claims_behind_each_direction():
    claim = claim_record("A-C1", finding="holds only on regular graphs")
    claim["directions"] = {"holds on regular graphs": ["A-C1"], "fails off them": ["A-C9"]}
    claim["numeric"].update(coverage={"spec": {"ring": 2, "views": 1}},
                            drawn={"spec": {"values": ["ring(n=6)"], "distinct": 1},
                                   "spec.n": {"min": 3, "max": 8}, "k": {"min": 1, "max": 4},
                                   "seed": {"min": 0, "max": 9}})
    findings = markdown.render_markdown(document(claim)).split("## Findings")[1]
    findings = findings.split("## Claims")[0]
    assert ("  - evidence: numeric HOLDS over 3 trials (hypothesis draws, seed 7); relations: "
            "ring 2, views 1; drawn: spec.n 3..8; k 1..4") in findings
    assert "  - direction: holds on regular graphs: [A-C1](#a-c1) HOLDS" in findings
    assert "  - direction: fails off them: A-C9 (not in this run)" in findings


def test_sub_decisions_each_have_their_own_line_with_the_combining_rule():
    claim = claim_record("A-C1", "FAILS", "FAILS", sampling="grid", finding="half holds")
    claim["numeric"]["decisions"] = {
        "matches": {"verdict": "FAILS", "worst_error": 0.129, "tolerance": 0.05,
                    "margin": 2.58, "trials": 1, "counterexample": {"test": "matches"},
                    "measurements": {"mean_diff": {"min": 1.58, "max": 1.58}}},
        "better": {"verdict": "HOLDS", "worst_error": 0.042, "tolerance": 0.05,
                   "margin": 1.19, "trials": 1, "counterexample": None, "measurements": {}}}
    text = markdown.render_markdown(document(claim))
    section = text.split("### A-C1\n")[1]
    assert "sub-decisions (the check HOLDS iff every one holds on every trial)" in section
    assert ('| matches | FAILS | 1.29e-01 | 0.05 | 2.6e+00 | 1 | `{"test": "matches"}` | '
            "mean_diff 1.58 .. 1.58 |") in section
    assert "| better | HOLDS | 4.20e-02 | 0.05 | 1.2e+00 | 1 | - | - |" in section
    findings = text.split("## Findings")[1].split("## Claims")[0]
    assert "sub-decisions: matches FAILS (0.129), better HOLDS (0.042)" in findings
