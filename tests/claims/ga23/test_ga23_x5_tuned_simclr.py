"""GA23-X5 (proxy): tuned SimCLR matches VICReg, and tuning helps (GA23 Sec. 5: 68.6 vs 68.13;
the original setting 64.7).

Two tests on the shared small-scale proxy (tests/claims/ga23/protocols/proxies.py), both must
hold: TOST of SimCLR (tau 0.15) against VICReg, and a one-sided paired t-test of SimCLR
(tau 0.15) over SimCLR (tau 0.5).
"""

from __future__ import annotations

from tests.claims.ga23.protocols import proxies
from tests.claims.ga23.protocols.proxy_stats import ALPHA, MARGIN_POINTS
from verify import Claim, Measurement, device, points, profile
from verify import seed as run_seed

claim = Claim(
    id="GA23-X5",
    paper="GA23",
    source="Sec. 5; docs/catalogue/GA23.md#ga23-x5",
    statement="Proxy: SimCLR with tau 0.15 matches VICReg within 2 points (TOST) and beats "
              "SimCLR with tau 0.5 (one-sided paired t-test)",
    provenance="TEXT",
    paper_asserts="Tuned SimCLR (tau 0.15, VICReg's projector) reaches 68.6, matching VICReg; "
                  "the original setting gave 64.7.",
    tolerance=ALPHA,
    measures="p-value: TOST of |acc(SimCLR) - acc(VICReg)| < margin; one-sided t-test of "
             "acc(SimCLR tau 0.15) > acc(SimCLR tau 0.5)",
    unit="p-value",
    settings={"alpha": ALPHA, "margin_points": MARGIN_POINTS, **proxies.claim_settings(profile())},
    tags=("trains", "proxy", "downstream"),
    expected="FAILS",
    notes="Tuned SimCLR: `tau = 0.15`; original: `tau = 0.5`. Two sub-decisions, one per grid "
          "point: 'matches' (TOST against VICReg) and 'better' (one-sided test over the "
          "original temperature); each point's extras are reported under its own decision. "
          "Why it may be the proxy: the temperature's effect at ImageNet scale (1000 classes, "
          "4096-sample batches) need not carry over to 8 classes and a 128-sample batch. "
          "Large projector, d = 32; the tuned base learning rate has no analogue (one Adam "
          "learning rate for every method). " + proxies.NOTES,
    finding="Half reproduced on the proxy: the one-sided test finds tuned SimCLR better than "
            "SimCLR at its original temperature (p = {{decision.better.worst_error:.2g}}), but "
            "TOST does not find it equivalent to VICReg within {{setting.margin_points:g}} "
            "points (p = {{decision.matches.worst_error:.2g}}): it is above VICReg by "
            "{{decision.matches.max.mean_diff:.2g}} points, CI up to "
            "{{decision.matches.max.ci_high:.3g}}.",
)


@claim.numeric(grid=points({"test": "matches", "a": "simclr", "b": "vicreg"},
                           {"test": "better", "a": "simclr", "b": "simclr-original"}))
def _(test: str, a: str, b: str):
    result = proxies.decide(proxies.Config(a), proxies.Config(b),
                            profile=profile(), run_seed=run_seed(), device=device())
    error = result.p_equivalent if test == "matches" else result.p_greater
    # One sub-decision per test: the two points are unlike tests (TOST, one-sided t-test), so
    # their extras are grouped per decision, never merged.
    return Measurement(error=error, parts={test: error}, extra=result.as_extra())
