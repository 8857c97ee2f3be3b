"""BL22-K1a-official-vicreg: left singular vectors under the codebases' VICReg.

Under the official (= lightly) and solo-learn losses the optimum has z_a = z_b (BL22-C2-official)
and each branch centred, so the stacked representation is constant on components and centred:
its span lies in H span P (dimension c - 1) and, for K >= c - 1, equals it.
"""

from __future__ import annotations

from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from torch_impl.metrics import containment_angle
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

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
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains", "sweep", "convention"),
    notes="Re-run of BL22-K1a-vicreg with vicreg_loss_convention (weights 25/25/1; lightly = "
          "official), branches = the two views of the views graph N'=4, V=2, K in c-2..c+1. "
          "Representation: the two branches each centred and stacked (what the per-branch "
          "variance/covariance and the MSE see). error = max over K of the largest principal "
          "angle between its numerical range (1e-6) and span(H P), tolerance 1e-4 rad; eigengap "
          "of G: V = 2. Why it holds: the optimum is view-invariant, its span is H span P for K "
          ">= c-1. Contrast: the paper's pooled VICReg also holds (BL22-K1a-vicreg) but uses G's "
          "-1 eigenspace beyond c - 1 directions; the codebases' optimum never leaves H span P.",
    finding="Under the codebases' two-branch VICReg the optimum stays inside G's centred top "
            "eigenspace: it is view-invariant.",
)


@claim.symbolic
def _():
    return sym.top_eigenspace(4, 2)


@claim.numeric(grid=rank.case_points(rank.convention_cases(profile(), run_seed()),
                                     convention=rank.conventions(profile())))
def _(graph: str, seed: int, convention: str):
    basis = rank.component_basis(rank.relation(graph), centred=True)
    angles = [containment_angle(opt.canonical, basis, RANK_RTOL)
              for _, opt in rank.sweep(f"vicreg-{convention}", graph, seed,
                                       rank.CONVENTION_WEIGHTS["sim"], profile=profile(),
                                       device=device())]
    return Measurement(error=max(angles), extra={"eigengap_G": 2.0})
