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
    assert outcome.reproduce[:2] == [
        "ssl-audit --id T-C1 --profile quick --seed 0",
        """python -c "import verify; print(verify.replay('T-C1', {'a': 1, 'b': 1}, """
        """profile='quick', seed=0))\"""",
    ]
    # The worst trial (largest error) replays as well.
    assert outcome.worst_trial == {"a": 7, "b": 10}
    assert outcome.reproduce[2:] == [
        """python -c "import verify; print(verify.replay('T-C1', {'a': 7, 'b': 10}, """
        """profile='quick', seed=0))\""""]


@pytest.mark.parametrize(("strategy", "error"), [
    (st.floats(0.0, 1e6), lambda x: x),  # every x > 0 fails
    # Fails from 1000 on: unbounded, hypothesis would evaluate some 35 candidates to find 1000.
    (st.integers(0, 10**6), lambda x: float(x >= 1000)),
])
def test_shrinking_is_bounded_and_its_counterexample_was_measured(strategy, error):
    # Every trial "trains" (counted), so shrinking must stop after SHRINK_TRIALS candidates.
    claim = make_claim()
    calls: list[float] = []

    @claim.numeric(x=strategy)
    def _(x):
        calls.append(x)
        return error(x)

    outcome, trials = run_numeric(claim)
    assert outcome.verdict is Verdict.FAILS
    first_failure = next(i for i, x in enumerate(calls) if error(x) > claim.tolerance)
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


def test_the_trials_of_a_failing_claim_do_not_depend_on_the_clock(monkeypatch):
    # Trials that train are slow: a run where every clock reading is 5 s later than the last
    # (hypothesis would stop hunting further failures 10 s after the first) draws the same
    # trials as a fast one.
    from hypothesis.internal.conjecture import engine

    fast, fast_trials = run_numeric(wrong_constant_claim())
    now = [0.0]

    def slow_clock() -> float:
        now[0] += 5.0
        return now[0]

    monkeypatch.setattr(engine.time, "monotonic", slow_clock)
    slow, slow_trials = run_numeric(wrong_constant_claim())
    assert [t.params for t in slow_trials] == [t.params for t in fast_trials]
    assert slow.counterexample == fast.counterexample


@pytest.mark.parametrize(("error", "message"), [
    (float("nan"), "the check is broken: non-finite error nan"),
    (float("inf"), "the check is broken: non-finite error inf"),
    (float("-inf"), "the check is broken: non-finite error -inf"),
    (-1.0, "error must be a non-negative float, got -1.0"),
    (-1e-300, "error must be a non-negative float"),
])
def test_invalid_error_is_an_error_with_its_trial(error, message):
    # A signed difference, the log of a zero error, a NaN: never HOLDS, never FAILS.
    claim = make_claim(expected="FAILS")
    claim.numeric(n=st.integers(3, 9))(lambda n: error)
    outcome, trials = run_numeric(claim)
    assert outcome.verdict is Verdict.ERROR
    assert message in outcome.message
    assert trials == []
    assert set(outcome.counterexample) == {"n"}
    assert outcome.reproduce[0] == "ssl-audit --id T-C1 --profile quick --seed 0"
    assert f"'n': {outcome.counterexample['n']}" in outcome.reproduce[1]


@pytest.mark.parametrize("margin", [float("nan"), float("-inf"), -2.0])
def test_invalid_margin_is_an_error(margin):
    claim = make_claim()
    claim.numeric(n=st.integers(0, 3))(lambda n: Measurement(0.0, margin=margin))
    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.ERROR
    assert "margin must be a non-negative float (inf allowed)" in outcome.message


def test_infinite_margin_is_an_exact_decision():
    claim = make_claim(tolerance=0)
    claim.numeric(n=st.integers(0, 3))(lambda n: Measurement(0.0, margin=float("inf")))
    outcome, _ = run_numeric(claim)
    assert (outcome.verdict, outcome.margin) == (Verdict.HOLDS, float("inf"))


def test_invalid_error_while_shrinking_is_an_error():
    # A crash while shrinking is forgiven (see above); a broken measurement never is.
    claim = make_claim()
    failures: list[int] = []

    @claim.numeric(n=st.integers(0, 100))
    def _(n):
        if failures and n < failures[0]:
            return float("nan")
        if n >= 1:
            failures.append(n)
        return float(n)

    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.ERROR
    assert "non-finite error nan" in outcome.message
    assert outcome.counterexample["n"] < failures[0]


def test_margins_default_and_given():
    claim = make_claim(tolerance=1e-6)

    @claim.numeric(n=st.integers(1, 3))
    def _(n):
        return 1e-8 * n

    outcome, trials = run_numeric(claim)
    assert [t.margin for t in trials] == [1e-6 / t.error for t in trials]
    assert outcome.margin == min(t.margin for t in trials)
    assert outcome.margin == pytest.approx(1e-6 / (1e-8 * max(t.params["n"] for t in trials)))
    exact = make_claim(tolerance=0)
    exact.numeric(n=st.integers(0, 3))(lambda n: 0.0)
    assert run_numeric(exact)[0].margin is None  # unknown: the report flags it
    given = make_claim(tolerance=0)
    given.numeric(n=st.integers(0, 3))(lambda n: Measurement(0.0, margin=10.0 ** (n + 2)))
    outcome, trials = run_numeric(given)
    assert outcome.margin == min(t.margin for t in trials) == 10.0 ** (
        min(t.params["n"] for t in trials) + 2)


def test_failing_margin_is_the_largest_over_failing_trials_and_replays_agree():
    claim = wrong_constant_claim()
    outcome, trials = run_numeric(claim)
    bad = [t for t in trials if t.error > claim.tolerance]
    assert outcome.margin == max(t.error / claim.tolerance for t in bad)
    assert all(t.margin == t.error / claim.tolerance for t in bad)
    # A trial that holds while the check fails does not count.
    assert outcome.margin == max(t.margin for t in bad)


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
    assert outcome.counterexample == {"n": calls[0]}  # the crashing trial, to replay
    assert f"{{'n': {calls[0]}}}" in outcome.reproduce[1]


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


x = sp.Symbol("x", real=True)
TRUE = Derivation("true", sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
FALSE = Derivation("false", (x + 1) ** 2 - x**2 - 1)
UNDECIDED = Derivation("undecided", sp.Function("f")(x))  # not a number at any point
BROKEN = Derivation("broken", x / (x - x))  # zoo


def symbolic_verdict(*derivations: Derivation) -> Verdict:
    claim = make_claim()
    claim.symbolic(scope="claim")(lambda: list(derivations))
    return run_symbolic(claim).verdict


def test_symbolic_outcomes():
    holds, fails, bad = make_claim(), make_claim(), make_claim()
    holds.symbolic(scope="claim")(lambda: [TRUE])
    fails.symbolic(scope="claim")(lambda: FALSE)
    bad.symbolic(scope="claim")(lambda: "not a derivation")
    assert run_symbolic(holds).verdict is Verdict.HOLDS
    outcome = run_symbolic(fails)
    assert (outcome.verdict, outcome.residual) == (Verdict.FAILS, "2*x")
    assert set(outcome.counterexample) == {"x"}
    assert run_symbolic(bad).verdict is Verdict.ERROR


def test_symbolic_verdict_over_derivations():
    assert symbolic_verdict(TRUE, TRUE) is Verdict.HOLDS
    assert symbolic_verdict(TRUE, UNDECIDED) is Verdict.UNDECIDED
    assert symbolic_verdict(UNDECIDED, FALSE) is Verdict.FAILS
    assert symbolic_verdict(FALSE, BROKEN) is Verdict.ERROR


def test_undecided_symbolic_check_records_residual_and_method():
    claim = make_claim()
    claim.symbolic(scope="claim")(lambda: [TRUE, UNDECIDED])
    outcome = run_symbolic(claim)
    assert outcome.verdict is Verdict.UNDECIDED
    assert outcome.residual == "f(x)"
    assert outcome.message == "undecided: not simplified to 0; not a number at 3 random points"
    assert outcome.counterexample is None


def test_non_finite_residual_is_an_error_not_a_failure():
    claim = make_claim(expected="FAILS")
    claim.symbolic(scope="claim")(lambda: Derivation("nan", sp.nan * x))
    outcome = run_symbolic(claim)
    assert outcome.verdict is Verdict.ERROR
    assert outcome.message.startswith("the check is broken: non-finite residual; nan: ")


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


# -- declared grids: every point once, in order, no hypothesis --------------------------------
def grid_claim(fn, declared, **fields) -> Claim:
    claim = make_claim(**fields)
    claim.numeric(grid=declared)(fn)
    return claim


def test_grid_evaluates_every_point_once_in_order():
    calls = []

    def trial(graph, seed):
        calls.append((graph, seed))
        return Measurement(error=0.0, extra={"seed": seed})

    declared = {"graph": ["g1", "g2", "g3"], "seed": [0, 1, 2, 3]}
    outcome, trials = run_numeric(grid_claim(trial, declared))
    expected = [(g, s) for g in ("g1", "g2", "g3") for s in range(4)]
    assert calls == expected  # 12 points: more than the quick profile's 10 examples
    assert [tuple(t.params.values()) for t in trials] == expected
    assert (outcome.verdict, outcome.trials, outcome.sampling, outcome.seed) == (
        Verdict.HOLDS, 12, "grid", None)
    assert outcome.measurements == {"seed": {"min": 0.0, "max": 3.0}}
    assert outcome.margin == float("inf")


def test_failing_grid_reports_its_first_failing_point_and_evaluates_the_rest():
    calls = []

    def trial(n, scale):
        calls.append((n, scale))
        return float(n * scale)  # fails whenever both are nonzero

    declared = [{"n": 0, "scale": 1.0}, {"n": 3, "scale": 1.0}, {"n": 1, "scale": 1.0},
                {"n": 2, "scale": 0.0}]
    claim = grid_claim(trial, declared)
    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.FAILS
    assert len(calls) == 4  # no shrinking, no stop at the failure
    assert outcome.counterexample == {"n": 3, "scale": 1.0}  # first in order, not smallest
    assert outcome.worst_error == 3.0
    assert outcome.margin == 3.0 / claim.tolerance
    assert outcome.message.endswith("at n=3, scale=1.0 (the first failing grid point)")
    assert outcome.reproduce[1] == (
        """python -c "import verify; print(verify.replay('T-C1', {'n': 3, 'scale': 1.0}, """
        """profile='quick', seed=0))\"""")
    assert claim.replay(**outcome.counterexample).error == 3.0


def test_crash_in_a_grid_point_is_an_error_with_its_params():
    calls = []

    def trial(n):
        calls.append(n)
        if n == 2:
            raise RuntimeError("boom at two")
        return 0.0

    outcome, trials = run_numeric(grid_claim(trial, {"n": [0, 1, 2, 3]}))
    assert outcome.verdict is Verdict.ERROR
    assert calls == [0, 1, 2]  # the remaining points cannot all be judged
    assert outcome.counterexample == {"n": 2}
    assert "RuntimeError: boom at two" in outcome.message
    assert "{'n': 2}" in outcome.reproduce[1]
    assert (outcome.trials, len(trials), outcome.sampling) == (2, 2, "grid")


def test_a_crash_after_a_failing_grid_point_is_still_an_error():
    def trial(n):
        if n == 1:
            raise RuntimeError("boom")
        return 1.0

    outcome, _ = run_numeric(grid_claim(trial, {"n": [0, 1]}))
    assert (outcome.verdict, outcome.counterexample) == (Verdict.ERROR, {"n": 1})


@pytest.mark.parametrize(("body", "verdict", "message"), [
    ("not_converged", Verdict.NOT_CONVERGED, "no descent"),
    ("skip", Verdict.SKIPPED, "needs CUDA"),
    ("negative", Verdict.ERROR, "error must be a non-negative float"),
    ("nan", Verdict.ERROR, "non-finite error nan"),
])
def test_grid_points_share_the_trial_handling(body, verdict, message):
    class NotConverged(Exception):
        pass

    def trial(n):
        if n == 0:
            return 0.0
        if body == "not_converged":
            raise NotConverged("no descent")
        if body == "skip":
            pytest.skip("needs CUDA")
        return -1.0 if body == "negative" else float("nan")

    outcome, _ = run_numeric(grid_claim(trial, {"n": [0, 1, 2]}))
    assert outcome.verdict is verdict
    assert message in outcome.message
    if verdict is not Verdict.SKIPPED:
        assert outcome.counterexample == {"n": 1}


def test_grid_outcome_does_not_depend_on_the_run_seed(monkeypatch):
    claim = grid_claim(lambda n: float(n) * 1e-12, {"n": [1, 2]})
    first, _ = run_numeric(claim)
    monkeypatch.setenv("SSL_AUDIT_SEED", "5")
    second, _ = run_numeric(claim)
    assert (first.worst_error, first.trials, first.margin) == (
        second.worst_error, second.trials, second.margin)


def test_hypothesis_outcomes_record_their_sampling():
    outcome, _ = run_numeric(wrong_constant_claim())
    assert (outcome.sampling, outcome.seed is not None) == ("hypothesis", True)


def test_sub_decisions_are_judged_and_ranged_apart():
    claim = make_claim(tolerance=0.05)

    # Two unlike tests as grid points (a TOST and a one-sided test), and one trial deciding
    # two parts at once: each part gets its own verdict, counterexample and ranges.
    @claim.numeric(grid=[{"test": "matches"}, {"test": "better"}, {"test": "both"}])
    def _(test):
        if test == "matches":
            return Measurement(0.129, {"mean_diff": 1.58}, parts={"matches": 0.129})
        if test == "better":
            return Measurement(0.042, {"mean_diff": 0.82}, parts={"better": 0.042})
        return Measurement(0.04, {"shared": 1.0}, parts={"matches": 0.01, "better": 0.04})

    outcome, _ = run_numeric(claim)
    assert outcome.verdict is Verdict.FAILS
    assert outcome.counterexample == {"test": "matches"}
    matches, better = outcome.decisions["matches"], outcome.decisions["better"]
    assert (matches["verdict"], matches["worst_error"], matches["trials"]) == ("FAILS", 0.129, 2)
    assert matches["counterexample"] == {"test": "matches"}
    assert matches["measurements"] == {"mean_diff": {"min": 1.58, "max": 1.58}}
    assert (better["verdict"], better["worst_error"], better["counterexample"]) == (
        "HOLDS", 0.042, None)
    assert better["measurements"] == {"mean_diff": {"min": 0.82, "max": 0.82}}
    assert better["margin"] == pytest.approx(0.05 / 0.042)
    # Single-part trials' extras are not merged into the check's ranges; shared ones are.
    assert outcome.measurements == {"shared": {"min": 1.0, "max": 1.0}}


def test_drawn_ranges_params_and_spec_sizes():
    claim = make_claim()

    @claim.numeric(grid={"graph": ["views(n=3,v=2)", "ring(n=8)"], "k": [1, 4],
                         "tau": [0.5], "seed": [0]})
    def _(graph, k, tau, seed):
        return 0.0

    outcome, _ = run_numeric(claim)
    assert outcome.drawn["k"] == {"min": 1, "max": 4}
    assert outcome.drawn["tau"] == {"min": 0.5, "max": 0.5}
    assert outcome.drawn["graph.n"] == {"min": 3, "max": 8}
    assert outcome.drawn["graph.v"] == {"min": 2, "max": 2}
    assert outcome.drawn["graph"] == {"values": ["views(n=3,v=2)", "ring(n=8)"], "distinct": 2}


def test_a_part_may_state_its_own_margin():
    claim = make_claim(tolerance=5.0)

    @claim.numeric(grid={"z": [1.0, 2.0]})
    def _(z):
        return Measurement(z, parts={"mean": z, "variance": z / 2},
                           part_margins={"mean": 1e3 / z})

    outcome, _ = run_numeric(claim)
    assert outcome.decisions["mean"]["margin"] == 500.0  # the smallest stated one
    assert outcome.decisions["variance"]["margin"] == 5.0  # the default, tolerance / error
    bad = make_claim()

    @bad.numeric(grid={"z": [1.0]})
    def _(z):
        return Measurement(0.0, parts={"mean": 0.0}, part_margins={"variance": 2.0})

    assert run_numeric(bad)[0].verdict is Verdict.ERROR
