"""BL22-K2-neurips: the NeurIPS 2022 abstract's recommendations, measured on synthetic data.

"(i) if the pairwise relation is aligned with the downstream task, any SSL method can be employed
successfully and will recover the supervised method, but in the low data regime, SimCLR or VICReg
with high invariance hyper-parameter should be preferred; (ii) if the pairwise relation is
misaligned with the downstream task, BarlowTwins or VICReg with small invariance hyper-parameter
should be preferred." Protocol (fixed before any accuracy was computed): tests/claims/bl22/
_downstream_support.py; the inequalities are its NEURIPS list.
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivations.bl22 import downstream as sym
from tests.claims.bl22 import _downstream_support as sup
from verify import Claim

claim = Claim(
    id="BL22-K2-neurips",
    paper="BL22",
    source="NeurIPS 2022 proceedings abstract (Adv. NeurIPS 35:26671-26685), (i), (ii); BL22.md "
           "Sec. 2",
    statement="Linear network, Gaussian mixture: aligned G -> every SSL method recovers the "
              "supervised probe; low data -> SimCLR and high-gamma VICReg beat BarlowTwins and "
              "low-gamma VICReg; misaligned G -> BarlowTwins and small-gamma VICReg beat SimCLR "
              "and high-gamma VICReg",
    provenance="TEXT",
    paper_asserts="NeurIPS: aligned -> any SSL method recovers the supervised method, but in "
                  "the low data regime SimCLR or VICReg with high invariance hyper-parameter "
                  "should be preferred; misaligned -> BarlowTwins or VICReg with small invariance "
                  "hyper-parameter should be preferred.",
    tolerance=0.0,
    expected="FAILS",
    notes=(
        "Protocol (pre-registered in _downstream_support.py before any accuracy was computed): "
        "C = 3 Gaussian classes in D = 6 (means 2 e_c, nuisance std 1.5), SSL pool n = 10 per "
        "class (low data: n = 3), test 200 per class, G = class cliques + a fraction p of "
        "cross-class edges (aligned p = 0, misaligned p = 0.3), Z = X W with K = 3 trained to a "
        "certified optimum for VICReg (alpha, beta) = (25, 25) with gamma = 1 (small) or 25 "
        "(large), BarlowTwins alpha = 0.1, SimCLR = its spectral contrastive relaxation "
        "(BL22-C4-linear; the cosine InfoNCE has no certified linear optimum), least-squares "
        "probe on [Z 1], accuracies averaged over 3 seeds (1 in quick), margin M = 0.02. "
        "'Preferred over' = mean accuracy higher by >= M; 'recovers the supervised method' = "
        "within M of the same probe on [X 1]. error = the largest violation (accuracy units), "
        "tolerance 0; extras: every mean accuracy (setting.method) and rank, violation_i in "
        "the order of the version's list, and acc(BarlowTwins) - acc(small-gamma VICReg) under "
        "misalignment. Measured (full profile, run seed 0): aligned: small-gamma VICReg, "
        "SimCLR and supervised 0.796 (identical: their spans contain the supervised "
        "least-squares fit, derivations probe_recovers_supervised / clique_laplacian), "
        "BarlowTwins 0.760 (its optimum lost a column in one seed: rank 2 of 3), large-gamma "
        "VICReg 0.678 (its optimum collapses to rank 1: at gamma = 25 BL22-C2's pair "
        "thresholds are 2.5e3..7e4, far above beta = 25; extras 'aligned.rank.*' are mean "
        "ranks of H Z); low data: "
        "all five 0.693, identical in every seed (consistent with every method's span "
        "containing the supervised fit there: no method and no gamma can be preferred); "
        "misaligned: SimCLR 0.816, supervised 0.813, "
        "small-gamma VICReg 0.811, large-gamma VICReg 0.749, BarlowTwins 0.717. "
        "Verdict for this version: FAILS on (i) aligned recovery (violation 0.098, as for "
        "arXiv), (i) low data (violation 0.020: SimCLR and high-gamma VICReg tie BarlowTwins and "
        "low-gamma VICReg exactly) and (ii) (violation 0.118: BarlowTwins is the WORST method "
        "under misalignment, 0.098 below SimCLR, which this version does not recommend). Where "
        "the two versions conflict (BarlowTwins under misalignment) the measurements support "
        "arXiv's, not this one: acc(BarlowTwins) - acc(small-gamma VICReg) = -0.093."
    ),
)


@claim.symbolic
def _():
    return [*sym.probe_span_invariance(), sym.probe_recovers_supervised(), sym.clique_laplacian()]


@claim.numeric(trials=1, run=st.just(0))
def _(run: int):
    return sup.audit(sup.NEURIPS)


@claim.figure
def _(trials, fig):
    sup.draw_accuracy_vs_p(fig, "BL22-K2 (NeurIPS reading): test accuracy vs misalignment")
