"""Running checks in-process: each kind of outcome, and reproducibility."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import strategies as st

from derivations.base import Derivation
from verify import Claim, Measurement, Verdict
from verify.checks import SHRINK_TRIALS, run_numeric, run_symbolic


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    monkeypatch.setenv("SSL_AUDIT_PROFILE", "quick")
    monkeypatch.setenv("SSL_AUDIT_SEED", "0")


def make_claim(**fields) -> Claim:
    return Claim(**{"id": "T-C1", "paper": "T", "source": "Eq. 1", "statement": "s",
                    "provenance": "DERIVED", "paper_asserts": "p", "tolerance": 1e-9,
                    **fields})


def wrong_constant_claim() -> Claim:
    claim = make_claim()

    @claim.numeric(a=st.integers(-10, 10), b=st.integers(-10, 10))
    def _(a, b):
        return float(abs((a + b) ** 2 - (a * a + 3 * a * b + b * b)))

    return claim


def test_true_numeric_claim_holds():
    claim = make_claim()

    @claim.numeric(x=st.floats(-1, 1), n=st.integers(1, 4))
    def _(x, n):
        return Measurement(error=abs(x * n - n * x), extra={"n": n})

    outcome, trials = run_numeric(claim)
    assert outcome.verdict is Verdict.HOLDS
    assert outcome.trials == len(trials) == 10
    assert outcome.worst_error == 0.0
    assert 1 <= outcome.measurements["n"]["min"] <= outcome.measurements["n"]["max"] <= 4


def test_wrong_constant_fails_with_a_shrunk_counterexample_that_replays():
    claim = wrong_constant_claim()
    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.FAILS
    assert outcome.worst_error > claim.tolerance
    # Shrunk to the simplest failing pair: the error ab is nonzero iff a, b are both nonzero.
    assert outcome.counterexample == {"a": 1, "b": 1}
    assert claim.replay(**outcome.counterexample).error > claim.tolerance
    assert "--seed 0" in outcome.reproduce
    assert "claim.replay(a=1, b=1)" in outcome.reproduce


def test_shrinking_is_bounded_and_its_counterexample_was_measured():
    # Every trial "trains" (counted); every x > 0 fails, so hypothesis could shrink for long.
    claim = make_claim()
    calls: list[float] = []

    @claim.numeric(x=st.floats(0.0, 1e6))
    def _(x):
        calls.append(x)
        return x

    outcome, trials = run_numeric(claim)
    assert outcome.verdict is Verdict.FAILS
    first_failure = next(i for i, x in enumerate(calls) if x > claim.tolerance)
    assert len(calls) - (first_failure + 1) <= SHRINK_TRIALS
    assert len(calls) == len(trials)  # replays are answered without evaluating again
    assert outcome.counterexample["x"] in calls
    assert claim.replay(**outcome.counterexample).error > claim.tolerance


def test_a_crash_while_shrinking_only_rejects_that_candidate():
    # Once a failure is known, small candidates crash (as an optimiser that does not converge
    # would): the claim still FAILS with a measured counterexample that replays, instead of
    # hypothesis reporting a flaky ERROR.
    claim = make_claim()
    failures: list[int] = []
    crashed: list[int] = []

    @claim.numeric(n=st.integers(0, 100))
    def _(n):
        if failures and n < failures[0]:
            crashed.append(n)
            raise RuntimeError("does not converge")
        if n >= 1:
            failures.append(n)
        return float(n)

    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.FAILS
    assert crashed  # shrinking did try smaller candidates
    assert outcome.counterexample["n"] not in crashed
    assert outcome.counterexample["n"] >= 1


def test_same_seed_same_outcome_other_seed_other_trials(monkeypatch):
    first, trials1 = run_numeric(wrong_constant_claim())
    second, trials2 = run_numeric(wrong_constant_claim())
    assert (first.verdict, first.worst_error, first.counterexample, first.seed) == (
        second.verdict, second.worst_error, second.counterexample, second.seed)
    assert [t.params for t in trials1] == [t.params for t in trials2]
    monkeypatch.setenv("SSL_AUDIT_SEED", "1")
    third, trials3 = run_numeric(wrong_constant_claim())
    assert third.seed != first.seed
    assert [t.params for t in trials3] != [t.params for t in trials1]


def test_nan_error_fails():
    claim = make_claim()
    claim.numeric(x=st.just(0))(lambda x: float("nan"))
    assert run_numeric(claim)[0].verdict is Verdict.FAILS


def test_raising_check_is_an_error_with_traceback_and_stops_early():
    claim = make_claim()
    calls = []

    @claim.numeric(n=st.integers(0, 100))
    def _(n):
        calls.append(n)
        raise ZeroDivisionError("oops")

    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.ERROR
    assert "ZeroDivisionError: oops" in outcome.message
    assert "test_checks.py" in outcome.message  # the traceback summary points at the check
    assert len(calls) == 1


def test_not_converged_has_its_own_verdict():
    class NotConverged(Exception):
        """Stands for torch_impl.fit.NotConverged (matched by class name)."""

    claim = make_claim()

    @claim.numeric(n=st.integers(0, 3))
    def _(n):
        try:
            raise NotConverged("gradient norm 1e-3 > 1e-8")
        except NotConverged as exc:
            raise RuntimeError("fit failed") from exc

    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.NOT_CONVERGED
    assert "fit failed" in outcome.message


def test_a_real_fit_that_does_not_converge_is_not_converged():
    import torch

    from torch_impl.fit import fit_free

    claim = make_claim()

    @claim.numeric(n=st.integers(2, 4))
    def _(n):
        target = torch.arange(float(n), dtype=torch.float64)
        # one iteration is not enough for the stated criterion: fit says so
        result = fit_free(lambda z: (z - target).pow(4).sum(), (n,), max_iter=1, restarts=1,
                          device="cpu", progress=False)
        result.require_converged()
        return 0.0

    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.NOT_CONVERGED
    assert "NotConverged" in outcome.message


def test_skip_inside_a_check_is_skipped_with_reason():
    claim = make_claim()

    @claim.numeric(n=st.integers(0, 3))
    def _(n):
        pytest.skip("needs CUDA")

    outcome, _ = run_numeric(claim)
    assert (outcome.verdict, outcome.message) == (Verdict.SKIPPED, "needs CUDA")


def test_symbolic_outcomes():
    x = sp.Symbol("x", real=True)
    holds, fails, bad = make_claim(), make_claim(), make_claim()
    holds.symbolic(lambda: [Derivation("a", sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)])
    fails.symbolic(lambda: Derivation("b", (x + 1) ** 2 - x**2 - 1))
    bad.symbolic(lambda: "not a derivation")
    assert run_symbolic(holds).verdict is Verdict.HOLDS
    outcome = run_symbolic(fails)
    assert (outcome.verdict, outcome.residual) == (Verdict.FAILS, "2*x")
    assert set(outcome.counterexample) == {"x"}
    assert run_symbolic(bad).verdict is Verdict.ERROR


def test_figures_are_drawn_from_the_trials(tmp_path):
    claim = make_claim()
    claim.numeric(x=st.integers(0, 3))(lambda x: 0.0)
    seen = []

    @claim.figure(name="errors")
    def _(trials, fig):
        seen.append(len(trials))
        fig.add_subplot().plot([t.params["x"] for t in trials])

    outcome, trials = run_numeric(claim, tmp_path)
    assert outcome.figures == ["T-C1-errors.png"]
    assert (tmp_path / "T-C1-errors.png").stat().st_size > 0
    assert seen == [len(trials)]
