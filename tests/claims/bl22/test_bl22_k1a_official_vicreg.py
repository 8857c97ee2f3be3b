"""BL22-K1a-official-vicreg: left singular vectors under the codebases' VICReg.

Under the official (= lightly) and solo-learn losses the optimum has z_a = z_b (BL22-C2-official)
and each branch centred, so the stacked representation is constant on components and centred:
its span lies in H span P (dimension c - 1) and, for K >= c - 1, equals it.
"""

from __future__ import annotations

import sympy as sp

from derivations.bl22 import laplacian as lp
from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from torch_impl.metrics import containment_angle
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# Every V = 2 views graph of the family (the two-branch losses take no other relation), two fit
# seeds, both conventions: 20 sweeps in the full profile.
_POINTS = rank.case_points(rank.convention_cases(profile(), run_seed(),
                                                 n_graphs=len(rank.TWO_VIEW_SPECS)),
                           convention=rank.conventions(profile()))

claim = Claim(
    id="BL22-K1a-official-vicreg",
    paper="BL22",
    source="BL22-K1a-vicreg, official / lightly / solo-learn VICReg "
           "(docs/catalogue/BL22.md#codebase-conventions)",
    statement="Under the official (= lightly) and solo-learn VICReg losses, the span of the "
              "stacked centred optimum and H span P (G's top eigenspace) are nested",
    provenance="DERIVED",
    paper_asserts="All SSL methods' optimal Z have top left singular vectors aligned with the "
                  "ones of G.",
    tolerance=1e-4,
    measures="max over K of the largest principal angle between the optimum's range and "
             "span(H P)",
    unit="rad",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL,
              "graphs": rank.settings_text(_POINTS)},
    tags=("trains", "sweep", "convention"),
    families=("views",),
    families_why="the two-branch loss takes each sample's two views: V = 2 views graphs only",
    notes="Re-run of BL22-K1a-vicreg with vicreg_loss_convention (weights 25/25/1; lightly = "
          "official), branches = the two views of a V = 2 views graph, N' in 2..6 "
          "(settings.graphs; the two-branch losses take no other relation, so views is the one "
          "family), fit seeds 2s and 2s+1, both conventions: 20 sweeps; K in c-2..c+1; per trial "
          "N and the smallest tangent Hessian eigenvalue. Representation: the two branches each "
          "centred and stacked (what the per-branch variance/covariance and the MSE see). error = "
          "max over K of the largest principal angle between its numerical range (1e-6) and "
          "span(H P), tolerance 1e-4 rad; eigengap of G: V = 2. Why it holds (symbolic, explicit "
          "sizes): per-branch statistics make every optimum view-invariant, [z; z] lies in the "
          "null space of L (= span P) and each centred branch sums to 0, so the span lies inside "
          "H span P (equal to it for K >= c-1). Contrast: the paper's pooled VICReg also holds "
          "(BL22-K1a-vicreg) but uses G's -1 eigenspace beyond c - 1 directions; the codebases' "
          "optimum never leaves H span P.",
    finding="Under the codebases' two-branch VICReg, on the two-view views graphs drawn, the "
            "optimum stays inside G's centred top eigenspace: it is view-invariant.",
)


@claim.symbolic(scope="claim")
def _():
    # Every optimum is view-invariant (per-branch statistics), [z; z] lies in the null space of
    # L = span P (G's top eigenspace), and each centred branch sums to 0: inside H span P.
    return ([lp.view_invariant_optimum(n, 2, s) for n in (2, 3)
             for s in (sp.Rational(1, 2), sp.Integer(1))]
            + [lp.view_invariant_null(4, 2), lp.centred_branch_rank(4, 2)]
            + sym.top_eigenspace(4, 2))


@claim.numeric(grid=_POINTS)
def _(graph: str, seed: int, convention: str):
    basis = rank.component_basis(rank.relation(graph), centred=True)
    optima = rank.sweep(f"vicreg-{convention}", graph, seed, rank.CONVENTION_WEIGHTS["sim"],
                        profile=profile(), device=device())
    angles = [containment_angle(opt.canonical, basis, RANK_RTOL) for _, opt in optima]
    return Measurement(error=max(angles),
                       extra={"eigengap_G": 2.0, "n": basis.shape[0],
                              "min_tangent_eig": min(opt.min_tangent_eig for _, opt in optima)})
