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
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains", "sweep"),
    notes="Formalisation: subspace, not vectors (G's eigenvalue V-1 has multiplicity N' = c): the "
          "largest principal angle between the numerical range of the centred optimum H Z* (top-r "
          "left singular vectors, r = numerical rank at 1e-6) and span(H P), P the component "
          "indicators (G P = (V-1) P, L P = 0: symbolic), is 0 iff the smaller span lies in the "
          "larger. Centring: VICReg's Cov is centred and its loss shift-invariant, so the "
          "constant direction (inside span P) is dropped; for K >= c - 1 the optimum CONTAINS H P "
          "and its other K - c + 1 directions lie in G's -1 eigenspace (the view-difference "
          "directions, lambda = V of L), for K <= c - 1 it lies inside H P. Loss: BL22's pooled "
          "VICReg, alpha = 25, beta = 1, gamma = 0.1 (the BL22-C5c optima); views graphs N'=4 V=2 "
          "and N'=3 V=3, K in c-2..c+1. error = max over K of that angle, tolerance 1e-4 rad "
          "(eigengap of G between its two eigenspaces: V, extra). Under the codebases' two-branch "
          "losses: BL22-K1a-official-vicreg.",
    finding="VICReg's free optimum and G's top eigenspace are nested: its left singular vectors "
            "are aligned with G, as the paper says.",
)


@claim.symbolic
def _():
    return sym.top_eigenspace(4, 2) + sym.top_eigenspace(3, 3) + sym.views_relation_inverse(4, 2)


@claim.numeric(grid=rank.cases(profile(), run_seed()))
def _(graph: str, seed: int):
    basis = rank.component_basis(rank.relation(graph), centred=True)
    angles = {k: containment_angle(opt.canonical, basis, RANK_RTOL)
              for k, opt in rank.sweep("vicreg", graph, seed, rank.VICREG_GAMMA,
                                       profile=profile(), device=device())}
    c = basis.shape[1] + 1
    extra = {f"angle_at_K=c{k - c:+d}": a for k, a in angles.items()}
    extra["eigengap_G"] = float(rank.GRAPHS[graph][1])
    return Measurement(error=max(angles.values()), extra=extra)
