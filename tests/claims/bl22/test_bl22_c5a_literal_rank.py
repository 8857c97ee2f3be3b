"""BL22-C5a: "SimCLR and BarlowTwins strictly enforce rank(Z) = rank(G)", read literally.

G is the paper's own relation (Sec. 2.1): the views graph, zero diagonal. Its only eigenvalues
are V - 1 and -1 (never 0), so rank G = N = V N' for every V >= 2, while a representation
Z in R^{N x K} has rank <= K. Every trained optimum with K < N is therefore a counterexample;
the module measures them rather than asserting the inequality.
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivations.bl22 import rank as sym
from tests.claims.bl22 import _rank_support as rs
from verify import Claim, Measurement

# BarlowTwins' off-diagonal weight of the paper's own snippet
# (docs/catalogue/BL22.md#the-papers-snippet-values).
BT_ALPHA = 0.1

claim = Claim(
    id="BL22-C5a",
    paper="BL22",
    source="Sec. 1 intro keypoint 3 (transcribed); docs/catalogue/BL22.md#bl22-c5",
    statement="Literal: the SimCLR and BarlowTwins free-Z optima have rank(Z*) = rank(G) for the "
              "paper's zero-diagonal views graph G",
    provenance="TEXT",
    paper_asserts="SimCLR and BarlowTwins strictly enforce rank(Z) = rank(G), hinting at a "
                  "possible advantage of VICReg when G is misspecified.",
    tolerance=0.0,
    expected="FAILS",
    notes="Reading audited: literal, with the paper's G (Sec. 2.1: views graph (1 1^T - I)_V kron "
          "I_N', zero diagonal) and rank = numerical rank (singular values above 1e-6 s_max) of "
          "the representation the loss sees (SimCLR: normalize(Z*), row scales are free; "
          "BarlowTwins: Z*). Symbolic: (G - (V-1) I)(G + I) = 0 and the explicit inverse G^-1 = "
          "(G - (V-2) I)/(V-1) (N' in 2..4, V in 2..3), so rank G = N; (G + I)/V is the projector "
          "onto the N' component indicators, so rank(G + I) = N' (the charitable readings, "
          "BL22-C5b-*). Numeric: views graphs N'=4, V=2 (N=8) and N'=3, V=3 (N=9), K swept below, "
          "at and above the component count c = N' (K in c-2..c+1, K >= 2); SimCLR tau = 0.5, "
          "BarlowTwins (paper's uncentred loss, every ordered edge listed) alpha = 0.1; certified "
          "free-Z optima (shared with the C5/K1 modules: _rank_support). error = max over K of "
          "|rank(Z*) - rank(G)|, tolerance 0. rank(G) = N while rank(Z*) <= K < N, so the literal "
          "statement is false for every K < N; we believe the intended rank is that of G + I (= "
          "#components for clique-structured G) or of G's top eigenspace: BL22-C5b-simclr (fails "
          "by one: SimCLR's optimum is centred), BL22-C5b-simclr-centred and BL22-C5b-bt (hold).",
    finding="Literally false: the paper's own views graph G has full rank N, which no K-column "
            "embedding can reach.",
)


@claim.symbolic
def _():
    sizes = ((2, 2), (3, 2), (4, 2), (2, 3), (3, 3))
    return [d for n, v in sizes for d in sym.views_relation_inverse(n, v)
            + sym.views_relation_components(n, v)]


@claim.numeric(trials=2 * len(rs.cases()),
               case=st.sampled_from(rs.cases()),
               loss=st.sampled_from(["simclr", "bt"]))
def _(case: str, loss: str):
    case = rs.Case(case)
    G = rs.relation(case.graph)
    report_g = rs.rank_report(G)
    rank_g = report_g.rank
    hyper = rs.TAU if loss == "simclr" else BT_ALPHA
    reports = {k: rs.rank_report(opt.canonical) for k, opt in rs.sweep(loss, case, hyper)}
    ranks = {k: report.rank for k, report in reports.items()}
    # Each K's comparison flips only if rank(Z*) reaches rank(G) or rank(G) falls to rank(Z*):
    # the nearer crossing decides, G's own rank gap or Z*'s singular value number rank(G)
    # (none when K < rank(G): infinitely far).
    g_decades = rs.rank_decades(report_g, rank_g)
    decades = [min(g_decades, rs.rank_decades(report, rank_g)) for report in reports.values()]
    margin_decades = rs.sweep_decades(decades, [r == rank_g for r in ranks.values()])
    return Measurement(
        error=float(max(abs(r - rank_g) for r in ranks.values())),
        extra={"rank_G": rank_g, "rank_G_plus_I": rs.indicators(G).shape[1],
               "max_rank_Z": max(ranks.values()), "max_K": max(ranks),
               "margin_decades": margin_decades},
        margin=rs.margin_factor(margin_decades),
    )
