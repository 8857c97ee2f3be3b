"""BL22-C1b: on an IRREGULAR relation graph, free-Z VICReg spans eigenvectors of L = D - G.

The centred column span of the trained optimum Z* (N, K) is the span of the bottom-r
eigenvectors of the unnormalised Laplacian L orthogonal to 1 (r = rank(H Z*)): VICReg solves
min tr(Z^T L Z) s.t. Z_c^T Z_c fixed, whatever the degrees. Graphs: class graphs with distinct
class sizes (disjoint cliques of unequal degree) and symmetrised kNN graphs.
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivations.bl22.laplacian import eigenmaps_multiplier, subspace_derivations
from tests.claims.bl22.protocols.laplacian import (
    WEIGHTS,
    draw_problems,
    draw_ritz,
    irregular_relation,
    measure_both_problems,
)
from tests.claims.bl22.protocols.settings import GAP_RTOL, GRAD_TOL, RANK_RTOL
from verify import Claim, Measurement, device

claim = Claim(
    id="BL22-C1b",
    paper="BL22",
    source="Abstract / Sec. 3 (VICReg <-> Laplacian Eigenmaps); docs/catalogue/BL22.md#bl22-c1 "
           "flag (b)",
    statement="On an irregular G the centred span of the free-Z VICReg optimum is the bottom-r "
              "eigenspace of the unnormalised L orthogonal to 1 (r = rank Z*)",
    provenance="DERIVED",
    paper_asserts="VICReg recovers Laplacian Eigenmaps on the positive-pair graph G "
                  "(abstract; SECONDARY restatements name kNN and class graphs too).",
    tolerance=1e-4,
    measures="largest principal angle between span(H Z*) and the bottom-r eigenspace of L = D - "
             "G on 1-perp (degeneracy-aware)",
    unit="rad",
    settings={"rank_rtol": RANK_RTOL, "gap_rtol": GAP_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains",),
    notes=(
        "Formalisation: BL22's pooled VICReg (paper snippet), free Z, 2 seeded restarts, "
        "certified optimum (min-norm subgradient <= 1e-8); weights (alpha, beta, gamma) drawn "
        "from decorrelated (1, 25, 1), balanced (2, 5, 1), customary (25, 1, 25). Prediction: "
        "span(H Z*) = bottom-r eigenspace of L on 1-perp (the constant removed by a commuting "
        "rank-one shift, so other null vectors of a disconnected G stay), r = numerical rank "
        "(singular values > 1e-6 s_max); error = degeneracy-aware largest principal angle (class "
        "graphs: eigenvalue m of multiplicity m - 1 on each clique of size m). Why: tr(Z^T L Z) "
        "= (N-1) tr(L P) (L 1 = 0) and VICReg's variance/covariance constrain Z_c^T Z_c, i.e. "
        "the Euclidean metric after centring, not Z^T D Z: the Lagrangian's stationarity is "
        "L z = mu z with the centring multiplier zero (derivations/bl22/laplacian.py). This holds "
        "for every beta (no diagonal-Cov regime is needed for the span; beta decides the rank r). "
        "K = (#components - 1) + offset, offset in [-1, 4]. The extra 'angle_eigenmaps' is the "
        "angle to Laplacian Eigenmaps proper ((L, D), BL22-C1c): ~0 when r <= #components - 1 "
        "(both select the component indicators), O(1) beyond."
    ),
    finding="On any graph VICReg's free optimum spans the bottom eigenvectors of the unnormalised "
            "Laplacian L, whatever the degrees.",
)


@claim.symbolic
def _():
    return subspace_derivations() + [eigenmaps_multiplier(3), eigenmaps_multiplier(4)]


@claim.numeric(
    trials={"quick": 2, "full": 8},
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(["classes", "knn"]),
    sizes=st.lists(st.integers(2, 6), min_size=2, max_size=4, unique=True),
    n_knn=st.integers(10, 18),
    k_nn=st.integers(2, 4),
    offset=st.integers(-1, 4),
    weights=st.sampled_from(list(WEIGHTS)),
)
def _(seed: int, kind: str, sizes: list[int], n_knn: int, k_nn: int, offset: int,
      weights: str):
    G = irregular_relation(kind, tuple(sizes), n_knn, k_nn, seed)
    trial = measure_both_problems(G, offset, weights, seed, device=device())
    return Measurement(error=trial.comparisons["laplacian"].angle, extra=trial.extra("laplacian"),
                       figure_data=trial.figure_data())


@claim.figure(name="problems")
def _(trials, fig):
    draw_problems(trials, fig, tolerance=claim.tolerance,
                  title="BL22-C1b: VICReg optimum vs L and vs (L, D), irregular G")


@claim.figure(name="spectrum")
def _(trials, fig):
    draw_ritz(trials, fig, title="BL22-C1b: Dirichlet energies of span(H Z*) vs bottom of L")
