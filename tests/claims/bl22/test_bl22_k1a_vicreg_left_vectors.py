"""BL22-K1a-vicreg: the left singular vectors of VICReg's optimum lie in G's top eigenspace.

G's spectrum on the views graph is degenerate (V - 1 with multiplicity N', -1 on the rest), so
"aligned with the top left singular vectors of G" can only mean subspace containment: the span
of the centred optimum and H P (G's top eigenspace without the constant vector, dimension c - 1,
which VICReg's centring removes) - the smaller lies in the larger.
"""

from __future__ import annotations

from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from torch_impl.metrics import containment_angle
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# Every family with c >= 2 components (span H P is L's null space less the constant on any
# graph) at two small invariance weights: the optima of BL22-C5c.
_POINTS = rank.case_points(rank.cases(profile(), run_seed(), families=rank.COMPONENT_FAMILIES),
                           gamma=rank.vicreg_gammas(profile()))

claim = Claim(
    id="BL22-K1a-vicreg",
    paper="BL22",
    source="Sec. 1 intro keypoint 1 (transcribed); Fig. 1 caption [SECONDARY]",
    statement="VICReg's free-Z optimum: span(H Z*) and H span(top eigenspace of G) - the smaller "
              "lies in the larger (K below, at and above #components)",
    provenance="TEXT",
    paper_asserts="All SSL methods' optimal Z have top left singular vectors aligned with the "
                  "ones of G.",
    tolerance=1e-4,
    measures="max over K of the largest principal angle between range(H Z*) and span(H P)",
    unit="rad",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL,
              "graphs": rank.settings_text(_POINTS),
              "gammas": ", ".join(map(str, rank.vicreg_gammas(profile())))},
    tags=("trains", "sweep"),
    notes="Formalisation: subspace, not vectors (G's eigenvalue V-1 has multiplicity N' = c): the "
          "largest principal angle between the numerical range of the centred optimum H Z* (top-r "
          "left singular vectors, r = numerical rank at 1e-6) and span(H P), P the component "
          "indicators (G P = (V-1) P, L P = 0: symbolic), is 0 iff the smaller span lies in the "
          "larger. Centring: VICReg's Cov is centred and its loss shift-invariant, so the "
          "constant direction (inside span P) is dropped; for K >= c - 1 the optimum CONTAINS H P "
          "and its other K - c + 1 directions lie in G's -1 eigenspace (the view-difference "
          "directions, lambda = V of L), for K <= c - 1 it lies inside H P. Loss: BL22's pooled "
          "VICReg, alpha = 25, beta = 1, gamma in {0.1, 0.02} (the BL22-C5c optima); graphs with "
          "c = 2..4 components from four families (views, labels with unequal classes, sbm, kNN; "
          "N 5..18; settings.graphs): on every graph L's null space is span P, so H P is the "
          "bottom of the spectrum VICReg fills first. K in c-2..c+1. error = max over K of that "
          "angle, tolerance 1e-4 rad (extras: G's gap lambda_c - lambda_(c+1), V on a views "
          "graph; N; the smallest tangent Hessian eigenvalue). Under the codebases' two-branch "
          "losses: BL22-K1a-official-vicreg.",
    finding="On the grid's relations (views, labels, SBM, kNN) VICReg's free optimum and G's top "
            "eigenspace are nested: its left singular vectors are aligned with G, as the paper "
            "says.",
)


@claim.symbolic(scope="lemma",
                why="proves G P = (V-1) P, L P = 0 and G's inverse (facts about G); that VICReg's "
                 "optimum span nests with H span P is measured")
def _():
    return sym.top_eigenspace(4, 2) + sym.top_eigenspace(3, 3) + sym.views_relation_inverse(4, 2)


@claim.numeric(grid=_POINTS)
def _(graph: str, seed: int, gamma: float):
    G = rank.relation(graph)
    basis = rank.component_basis(G, centred=True)
    optima = rank.sweep("vicreg", graph, seed, gamma, profile=profile(), device=device())
    angles = {k: containment_angle(opt.canonical, basis, RANK_RTOL) for k, opt in optima}
    c = basis.shape[1] + 1
    extra = {f"angle_at_K=c{k - c:+d}": a for k, a in angles.items()}
    extra.update(eigengap_G=rank.component_gap(G), n=G.n,
                 min_tangent_eig=min(opt.min_tangent_eig for _, opt in optima))
    return Measurement(error=max(angles.values()), extra=extra)
