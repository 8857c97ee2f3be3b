"""BL22-K1b-simclr: SimCLR does not constrain the right singular vectors: L(Z R) = L(Z).

Audited as right-rotation invariance: (Z R)(Z R)^T = Z Z^T for orthogonal R, so row norms and
cosines - everything L_simCLR depends on - are unchanged, at every Z (random and optimal).
"""

from __future__ import annotations

from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# Random points on every family with c >= 2 components; the optima (BL22-C5b-simclr's) on the
# clique-structured graphs at every audited tau.
_POINTS = (rank.case_points(rank.cases(profile(), run_seed(), families=rank.COMPONENT_FAMILIES),
                            point=["random"], tau=[rank.TAU])
           + rank.case_points(rank.cases(profile(), run_seed(), families=rank.CLIQUE_FAMILIES),
                              point=["optimum"], tau=rank.simclr_taus(profile())))

claim = Claim(
    id="BL22-K1b-simclr",
    paper="BL22",
    source="Sec. 1 intro keypoint 1 (transcribed)",
    statement="L_simCLR(Z R) = L_simCLR(Z) for every Z and every orthogonal R (random Z and "
              "optima)",
    provenance="TEXT",
    paper_asserts="None of the SSL methods constrain the right-singular vectors of Z.",
    tolerance=1e-10,
    measures="max over K of |L(Z R) - L(Z)| / max(1, |L(Z)|) for a Haar-random orthogonal R",
    unit="relative",
    settings={"graphs": rank.settings_text(_POINTS), "grad_tol": GRAD_TOL},
    tags=("trains", "sweep"),
    notes="Formalisation: 'no constraint on the right singular vectors' = the loss is invariant "
          "under Z -> Z R (R orthogonal), so with Z = U S W^T any W' gives an equally good Z (the "
          "optimal set is closed under right rotations). Symbolic: a Cayley-parametrised R (K = "
          "2, 3) is orthogonal and (Z R)(Z R)^T = Z Z^T (N = 3, K = 3). Numeric: Haar-random R "
          "(QR of a Gaussian, sign-fixed), Z either i.i.d. N(0, 1) (graphs with c = 2..4 "
          "components from four families: views, labels with unequal classes, sbm, kNN) or the "
          "certified C5 optimum (views and labels graphs, tau in `{0.5, 0.25, 1}`; N 5..18, "
          "settings.graphs), K in c-2..c+1; error = max over K of "
          "|L(Z R) - L(Z)| / max(1, |L(Z)|) (relative for large losses, absolute near 0), "
          "tolerance 1e-10 (float64 rounding).",
    finding="SimCLR leaves the right singular vectors free (its loss is invariant under Z -> Z "
            "R), as the paper says.",
)


@claim.symbolic(scope="claim")
def _():
    return [sym.rotation_orthogonal(2), sym.rotation_orthogonal(3),
            sym.simclr_rotation_invariance(3, 3)]


@claim.numeric(grid=_POINTS)
def _(graph: str, seed: int, point: str, tau: float):
    changes = rank.rotation_sweep("simclr", graph, seed, tau, point, profile=profile(),
                                  device=device())
    return Measurement(error=changes.error, extra=changes.extra)
