"""BL22-C5b-bt-any-graph: the component rank law of BarlowTwins read for any relation G.

BL22-C5b-bt audits rank(Z*) = min(K, c) on clique-structured relations (views, labels), where
c = #components = rank(G + I). This claim drops that premise: any binary symmetric G, c its
number of connected components. Where a component's normalised adjacency has eigenvalues near
1, a column spent inside it costs less than a share of the component-constant span, so the
optimum can exceed rank c (and at c = 1 reach rank K).
"""

from __future__ import annotations

from derivations.base import lambdify_torch
from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from verify import Claim, Measurement, device, points, profile

_predicted = lambdify_torch(sym.RANK_COMPONENTS, [sym.K, sym.C, sym.N])

# Non-clique relations, the first a counterexample found while widening BL22-C5b-bt's trials.
_POINTS = [{"graph": "sbm(sizes=5-7,p=0.4,seed=2)", "seed": 0, "alpha": 0.005},
           {"graph": "path(n=8)", "seed": 0, "alpha": 0.005},
           {"graph": "knn(n=16,k=2,seed=0)", "seed": 0, "alpha": 0.1}]

claim = Claim(
    id="BL22-C5b-bt-any-graph",
    paper="BL22",
    source="Sec. 1 intro keypoint 3 (transcribed); docs/catalogue/BL22.md#bl22-c5",
    statement="BarlowTwins' free-Z optimum (paper's uncentred C) has rank min(K, c) for every "
              "relation G, c its number of connected components",
    provenance="DERIVED",
    paper_asserts="SimCLR and BarlowTwins strictly enforce rank(Z) = rank(G).",
    tolerance=0.0,
    expected="FAILS",
    holds_where="BL22-C5b-bt",
    measures="max over K of |numerical rank of the optimum - min(K, c)|",
    unit="rank",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains", "exact", "sweep"),
    notes="Same loss, fits, rank threshold and K sweep as BL22-C5b-bt (see its notes), on "
          "relations whose components are not cliques: a two-block stochastic block model "
          "(c = 2), a path and a kNN graph (c = 1 and 2 for these specs). Grid evaluated in order; "
          "the first failing point is the counterexample. The BL22-C5b-bt law holds on the "
          "clique-structured relations (views, labels), where rank(G + I) = c; this claim "
          "records that the premise matters.",
    finding="On the SBM, path and kNN relations of the grid BarlowTwins' optimum has rank c "
            "at K = c but exceeds min(K, c) at K = c + 1: the component rank law measured on "
            "clique-structured relations (BL22-C5b-bt) does not carry over to them.",
    directions={
        "the rank law on clique-structured relations": ("BL22-C5b-bt",),
    },
)


@claim.numeric(grid=points(*(_POINTS if profile() == "full" else _POINTS[:1])))
def _(graph: str, seed: int, alpha: float):
    ranks = rank.rank_sweep("bt", graph, seed, alpha, _predicted, profile=profile(),
                            device=device())
    return Measurement(error=ranks.error, extra=ranks.extra, margin=ranks.margin)
