"""End-to-end: tiny claim modules audited by ``python -m verify`` / plain pytest in tmp_path."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.verify.helpers import (
    FALSE_BODY,
    NOT_CONVERGED_BODY,
    RAISING_BODY,
    ROOT,
    TRAINED_BODY,
    TRUE_BODY,
    audit,
    by_id,
    claim_source,
)


def test_mixed_run_reports_every_verdict_and_goes_on(tmp_path, claims_dir):
    claims_dir("true", claim_source("T-C1", TRUE_BODY))
    claims_dir("false", claim_source("T-C2", FALSE_BODY))
    claims_dir("raises", claim_source("T-C3", RAISING_BODY))
    claims_dir("fit", claim_source("T-C4", NOT_CONVERGED_BODY))
    claims_dir("known_false", claim_source("T-C5", FALSE_BODY, expected="FAILS"))
    claims_dir("malformed", claim_source("T-C6", TRUE_BODY, provenance="PAPER"))
    code, doc, out = audit(tmp_path)
    assert code == 2, out  # an ERROR (and a module that failed to load)
    claims = by_id(doc)
    assert {k: c["verdict"] for k, c in claims.items()} == {
        "T-C1": "HOLDS", "T-C2": "FAILS", "T-C3": "ERROR", "T-C4": "NOT_CONVERGED",
        "T-C5": "FAILS"}
    assert [c["matches_expected"] for c in claims.values()] == [True, False, False, False, True]
    assert claims["T-C2"]["numeric"]["counterexample"] == {"a": 1, "b": 1}
    assert claims["T-C2"]["symbolic"]["residual"] == "-a*b"
    assert "RuntimeError: boom in the check" in claims["T-C3"]["numeric"]["message"]
    [error] = doc["collection_errors"]
    assert error["module"].endswith("test_malformed.py")
    assert "claim field 'provenance'" in error["message"]
    md = (tmp_path / "report" / "claims.md").read_text()
    assert "| [T-C2](#t-c2) | **FAILS** | HOLDS |" in md
    assert all(f"### {i}\n" in md for i in claims)  # a detail section per claim
    assert "T-C2" in out  # the terminal summary
    assert "differ from expected" in out


def test_exit_status_zero_when_failures_are_expected(tmp_path, claims_dir):
    claims_dir("true", claim_source("T-C1", TRUE_BODY))
    claims_dir("false", claim_source("T-C2", FALSE_BODY))
    claims_dir("known_false", claim_source("T-C5", FALSE_BODY, expected="FAILS"))
    code, doc, out = audit(tmp_path, "-k", "T-C1 or T-C5")
    assert code == 0, out
    assert sorted(by_id(doc)) == ["T-C1", "T-C5"]  # a -k run reports what it ran
    code, _, out = audit(tmp_path, "-k", "nothing-matches")
    assert code == 2
    assert "no claim selected" in out


def _comparable(doc: dict) -> list[dict]:
    """The claims without timings."""
    text = json.dumps(doc["claims"], sort_keys=True)
    return json.loads(re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', text))


def test_same_seed_same_report_with_or_without_workers(tmp_path, claims_dir):
    claims_dir("true", claim_source("T-C1", TRUE_BODY))
    claims_dir("false", claim_source("T-C2", FALSE_BODY))
    _, first, _ = audit(tmp_path, "--seed", "3", report="a")
    code, second, out = audit(tmp_path, "--seed", "3", "--workers", "2", report="b")
    assert code == 1, out  # T-C2 is expected to hold but fails
    assert _comparable(first) == _comparable(second)
    assert first["run"]["seed"] == 3


def test_killed_run_leaves_previous_report_intact(tmp_path, claims_dir):
    claims_dir("true", claim_source("T-C1", TRUE_BODY))
    code, _, out = audit(tmp_path)
    assert code == 0, out
    before = {p.name: p.read_bytes() for p in (tmp_path / "report").glob("claims.*")}
    started = tmp_path / "started"
    claims_dir("slow", claim_source("T-C9", f"""
        import pathlib, time
        @claim.numeric(n=st.integers(0, 3))
        def _(n):
            pathlib.Path({str(started)!r}).touch()
            time.sleep(120)
            return 0.0
        """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "verify", "claims", "--profile", "quick",
                             "--report-dir", "report"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert started.exists()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    after = {p.name: p.read_bytes() for p in (tmp_path / "report").glob("claims.*")}
    assert after == before


def test_plain_pytest_run_collects_claim_items_and_writes_the_report(tmp_path, claims_dir):
    claims_dir("true", claim_source("T-C1", TRUE_BODY))
    claims_dir("two", claim_source("T-C2", TRUE_BODY) + "other = claim\n"
               + "from verify import Claim as _C\nclaim2 = _C(id='T-C3', paper='T', source='s', "
               "statement='s', provenance='TEXT', paper_asserts='p', tolerance=1.0)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "verify.plugin", "-v",
                           "-p", "no:cacheprovider", "--continue-on-collection-errors", "claims",
                           "--report-dir", "out"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "test_true.py::T-C1::symbolic PASSED" in proc.stdout
    assert "test_true.py::T-C1::numeric PASSED" in proc.stdout
    assert "declares 2 claims (T-C2, T-C3)" in proc.stdout
    doc = json.loads((tmp_path / "out" / "claims.json").read_text())
    assert [c["id"] for c in doc["claims"]] == ["T-C1"]
    assert not list((tmp_path / "out").glob(".tmp*"))


def test_readme_example_shows_up_in_the_next_report(tmp_path, claims_dir):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Adding a claim", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    claim_id = re.search(r'id="([^"]+)"', example).group(1)
    claims_dir("readme_example", example)
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    [claim] = doc["claims"]
    assert (claim["id"], claim["verdict"]) == (claim_id, "HOLDS")
    assert (claim["symbolic"]["verdict"], claim["numeric"]["verdict"]) == ("HOLDS", "HOLDS")


# -- which runs write the committed report -------------------------------------------------
def _project(tmp_path: Path, claims_dir) -> Path:
    """A project root in tmp_path: the claims under tests/claims (the default paths) and a
    committed report in reports/ whose files must survive every run but the full audit."""
    (tmp_path / "tests").mkdir()
    os.replace(claims_dir.dir, tmp_path / "tests" / "claims")
    committed = tmp_path / "reports"
    (committed / "figures").mkdir(parents=True)
    for name in ("claims.json", "claims.md", "figures/T-C1.png"):
        (committed / name).write_text("committed")
    return committed


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    """``python -m verify ARGS`` in tmp_path, without --report-dir."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for var in ("SSL_AUDIT_PROFILE", "SSL_AUDIT_SEED", "SSL_AUDIT_DEVICE", "SSL_AUDIT_STAGING"):
        env.pop(var, None)
    proc = subprocess.run([sys.executable, "-m", "verify", "--device", "cpu", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _scratch(tmp_path: Path) -> dict:
    return json.loads((tmp_path / ".ssl-audit" / "report" / "claims.json").read_text())


def test_selected_and_quick_runs_leave_the_committed_report_alone(tmp_path, claims_dir):
    claims_dir("lpp", claim_source("T-C3-lpp", TRUE_BODY))
    claims_dir("lpp_regular", claim_source("T-C3-lpp-regular", TRUE_BODY))
    committed = _project(tmp_path, claims_dir)
    before = _snapshot(committed)
    code, out = _run(tmp_path, "--id", "T-C3-lpp", "--profile", "full")
    assert code == 0, out
    assert ".ssl-audit/report (a scratch report (--id)" in out
    # exact: T-C3-lpp does not select T-C3-lpp-regular
    assert [c["id"] for c in _scratch(tmp_path)["claims"]] == ["T-C3-lpp"]
    for args in (["-k", "regular", "--profile", "full"], ["--profile", "quick"]):
        code, out = _run(tmp_path, *args)
        assert code == 0, out
        assert "scratch report" in out
    assert _snapshot(committed) == before
    assert "a scratch report" in out  # the terminal summary says so too


def test_the_full_unselected_audit_writes_the_committed_report(tmp_path, claims_dir):
    claims_dir("true", claim_source("T-C1", TRUE_BODY))
    committed = _project(tmp_path, claims_dir)
    code, out = _run(tmp_path, "--profile", "full")
    assert code == 0, out
    assert "report -> reports (the committed report" in out
    doc = json.loads((committed / "claims.json").read_text())
    assert [c["id"] for c in doc["claims"]] == ["T-C1"]
    assert doc["summary"]["claims"] == 1
    assert not (tmp_path / ".ssl-audit").exists()


def test_unknown_id_is_a_usage_error_naming_close_ids(tmp_path, claims_dir):
    claims_dir("lpp", claim_source("T-C3-lpp", TRUE_BODY))
    claims_dir("lpp_regular", claim_source("T-C3-lpp-regular", TRUE_BODY))
    claims_dir("other", claim_source("T-C9", TRUE_BODY))
    _project(tmp_path, claims_dir)
    for workers in ("0", "2"):  # under xdist the controller, which collects nothing, says it
        code, out = _run(tmp_path, "--id", "T-C3-lp", "--profile", "quick", "--workers",
                         workers)
        assert code == 2, out
        assert "unknown claim id 'T-C3-lp' (close: T-C3-lpp, T-C3-lpp-regular)" in out
        assert not (tmp_path / ".ssl-audit" / "report" / "claims.json").exists()


def test_plain_pytest_writes_the_scratch_report_and_selects_by_exact_id(tmp_path, claims_dir):
    claims_dir("lpp", claim_source("T-C3-lpp", TRUE_BODY))
    claims_dir("lpp_regular", claim_source("T-C3-lpp-regular", TRUE_BODY))
    committed = _project(tmp_path, claims_dir)
    before = _snapshot(committed)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "verify.plugin",
                           "-p", "no:cacheprovider", "tests/claims", "--claims-id",
                           "T-C3-lpp-regular", "--rootdir", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed, 2 deselected" in proc.stdout
    assert [c["id"] for c in _scratch(tmp_path)["claims"]] == ["T-C3-lpp-regular"]
    assert _snapshot(committed) == before


def test_a_claim_that_stops_converging_keeps_its_committed_figure(tmp_path, claims_dir):
    figure = """
@claim.figure
def _(trials, fig):
    fig.add_subplot().plot([t.error for t in trials])
"""
    path = claims_dir("fit", claim_source("T-C1", TRUE_BODY + figure))
    claims_dir("other", claim_source("T-C2", TRUE_BODY + figure))
    committed = _project(tmp_path, claims_dir)
    (committed / "figures" / "T-C1.png").unlink()
    code, out = _run(tmp_path, "--profile", "full")
    assert code == 0, out
    drawn = _snapshot(committed / "figures")
    assert sorted(drawn) == ["T-C1.png", "T-C2.png"]
    (tmp_path / "tests" / "claims" / path.name).write_text(
        claim_source("T-C1", NOT_CONVERGED_BODY))
    code, out = _run(tmp_path, "--profile", "full", "--", "-q")
    assert code == 2, out  # NOT_CONVERGED; extra pytest arguments make it a scratch run
    assert _snapshot(committed / "figures") == drawn
    doc = _scratch(tmp_path)
    # the scratch report had no figure of T-C1 to keep: it says nothing of one
    assert by_id(doc)["T-C1"]["figures"] == []
    code, out = _run(tmp_path, "--profile", "full")
    assert code == 2, out
    assert _snapshot(committed / "figures") == drawn  # neither figure deleted
    claim = by_id(json.loads((committed / "claims.json").read_text()))["T-C1"]
    assert claim["verdict"] == "NOT_CONVERGED"
    assert (claim["figures"], claim["figures_from_previous_run"]) == (
        ["figures/T-C1.png"], True)
    assert "*Figure from the previous run*" in (committed / "claims.md").read_text()


def test_undecided_symbolic_check_differs_from_expected(tmp_path, claims_dir):
    claims_dir("undecided", claim_source("T-C1", """
@claim.symbolic(scope="claim")
def _():
    a = sp.Symbol("a", real=True)
    return Derivation("not a number anywhere", sp.Function("f")(a))
"""))
    code, doc, out = audit(tmp_path)
    assert code == 1, out
    [claim] = doc["claims"]
    assert (claim["verdict"], claim["matches_expected"]) == ("UNDECIDED", False)
    assert "FAILED claims/test_undecided.py::T-C1::symbolic" in out  # the pytest item fails


# -- schema 3: what the error measures, settings, tags, holds_where, grids --------------------
GRID_BODY = """
@claim.numeric(grid={"n": [0, 1, 2], "k": [1, 2]})
def _(n, k):
    return float(n * (k - 1))
"""


def _declared_claims(claims_dir) -> None:
    """T-C1 (trains, measured in 'relative') and T-C2 (a failing grid that holds at T-C1)."""
    claims_dir("trained", claim_source(
        "T-C1", TRAINED_BODY, tags=("trains",), unit="relative",
        measures="relative difference of the two sides", settings={"floor": 1.0}))
    claims_dir("grid", claim_source("T-C2", GRID_BODY, expected="FAILS", holds_where="T-C1",
                                    tags=("sweep",)))


def test_schema_3_fields_reach_claims_json_and_claims_md(tmp_path, claims_dir):
    from verify import replay

    _declared_claims(claims_dir)
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    assert doc["schema"] == 6
    c1, c2 = by_id(doc)["T-C1"], by_id(doc)["T-C2"]
    assert {k: c1[k] for k in ("measures", "unit", "settings", "tags", "holds_where")} == {
        "measures": "relative difference of the two sides", "unit": "relative",
        "settings": {"floor": 1.0}, "tags": ["trains"], "holds_where": ""}
    assert (c2["tags"], c2["holds_where"], c2["unit"]) == (["sweep"], "T-C1", "absolute")
    numeric = c2["numeric"]
    assert (numeric["sampling"], numeric["seed"], numeric["trials"]) == ("grid", None, 6)
    assert numeric["counterexample"] == {"n": 1, "k": 2}  # the first failing point
    assert c1["numeric"]["sampling"] == "hypothesis"
    md = (tmp_path / "report" / "claims.md").read_text()
    assert "| [T-C1](#t-c1) | HOLDS | HOLDS | " in md
    row = next(line for line in md.splitlines() if line.startswith("| [T-C1]"))
    cells = row.split(" | ")
    assert (cells[3], *cells[5:7]) == ("HOLDS", "1e-09", "relative")
    assert "Measures: relative difference of the two sides (unit: relative)." in md
    assert "Settings: `floor=1`." in md
    assert "Expected to fail; holds where: [T-C1](#t-c1)." in md
    assert "6 trials (every point of the declared grid)" in md
    assert replay("T-C2", numeric["counterexample"], profile="quick",
                  claims_dir=claims_dir.dir).error == 1.0


# -- schema 6: words rendered from the run, sub-decisions, directions --------------------------
_PARTS_BODY = """
@claim.numeric(grid=[{"test": "tost", "n": 2}, {"test": "one-sided", "n": 5}])
def _(test, n):
    p = 0.129 if test == "tost" else 0.042
    return Measurement(p, {"mean_diff": 1.58 if test == "tost" else 0.82}, parts={test: p})
"""


def test_schema_6_words_sub_decisions_and_directions(tmp_path, claims_dir):
    claims_dir("parts", claim_source(
        "T-C3", _PARTS_BODY, expected="FAILS", tolerance=0.05, unit="p-value",
        measures="p-value of each test", settings={"alpha": 0.05},
        finding="the TOST fails (p {{decision.tost.worst_error:.3f}}) while the one-sided test "
                "passes only at level {{setting.alpha}}",
        directions={"one-sided test passes": ("T-C3",)},
        notes="mean difference {{decision.tost.max.mean_diff:.2f}} points; unmeasured "
              "{{max.absent}}"))
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    claim = by_id(doc)["T-C3"]
    assert claim["finding"] == ("the TOST fails (p 0.129) while the one-sided test passes only "
                                "at level 0.05")
    assert claim["notes"] == "mean difference 1.58 points; unmeasured n/a"
    assert claim["directions"] == {"one-sided test passes": ["T-C3"]}
    numeric = claim["numeric"]
    assert numeric["decisions"]["tost"]["verdict"] == "FAILS"
    assert numeric["decisions"]["one-sided"]["verdict"] == "HOLDS"
    assert numeric["decisions"]["tost"]["measurements"] == {"mean_diff": {"min": 1.58,
                                                                          "max": 1.58}}
    assert numeric["measurements"] == {}  # unlike tests are not merged
    assert numeric["drawn"]["n"] == {"min": 2, "max": 5}
    md = (tmp_path / "report" / "claims.md").read_text()
    assert "- [T-C3](#t-c3) **FAILS** (margin **2.6e+00**): the TOST fails (p 0.129)" in md
    assert "  - direction: one-sided test passes: [T-C3](#t-c3) FAILS" in md
    assert "| tost | FAILS | 1.29e-01 | 0.05 |" in md


# -- schema 4: the symbolic check's scope -----------------------------------------------------
def test_symbolic_scope_reaches_claims_json_claims_md_and_the_summary(tmp_path, claims_dir):
    lemma = TRUE_BODY.replace('@claim.symbolic(scope="claim")', '@claim.symbolic(scope="lemma", '
                              'why="the binomial identity; the claim is measured")')
    claims_dir("proves", claim_source("T-C1", TRUE_BODY))
    claims_dir("lemma", claim_source("T-C2", lemma))
    code, doc, out = audit(tmp_path)
    assert code == 0, out
    c1, c2 = by_id(doc)["T-C1"], by_id(doc)["T-C2"]
    assert (c1["symbolic"]["scope"], c1["symbolic"]["why"]) == ("claim", "")
    assert (c2["symbolic"]["scope"], c2["symbolic"]["why"]) == (
        "lemma", "the binomial identity; the claim is measured")
    assert doc["summary"]["symbolic_scope"] == {"checks": 2, "claim": 1, "lemma": 1}
    md = (tmp_path / "report" / "claims.md").read_text()
    assert "| [T-C1](#t-c1) | HOLDS | HOLDS | HOLDS | " in md
    assert "| [T-C2](#t-c2) | HOLDS | HOLDS | HOLDS (lemma) | " in md
    assert "Symbolic checks deriving the claim itself: 1 of 2 (50%)" in md
    assert "- symbolic: **HOLDS (lemma)**" in md
    assert "  - lemma: the binomial identity; the claim is measured" in md
    assert "symbolic checks deriving the claim itself (not a lemma): overall 1 of 2 (50%)" in out


def test_tags_are_markers_that_select_claims(tmp_path, claims_dir):
    _declared_claims(claims_dir)
    committed = _project(tmp_path, claims_dir)
    before = _snapshot(committed)
    code, out = _run(tmp_path, "-m", "trains", "--profile", "full")
    assert code == 0, out
    assert "scratch report (-m)" in out  # a selected run: reports/ stays as it was
    assert [c["id"] for c in _scratch(tmp_path)["claims"]] == ["T-C1"]
    code, out = _run(tmp_path, "--profile", "full", "-m", "not trains")
    assert code == 0, out
    assert [c["id"] for c in _scratch(tmp_path)["claims"]] == ["T-C2"]
    assert _snapshot(committed) == before
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "verify.plugin",
                           "-p", "no:cacheprovider", "tests/claims", "-m", "sweep",
                           "--strict-markers", "--rootdir", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 2 deselected" in proc.stdout  # T-C2's numeric item; T-C1's two items
    assert [c["id"] for c in _scratch(tmp_path)["claims"]] == ["T-C2"]
    assert _snapshot(committed) == before
