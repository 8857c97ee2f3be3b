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
    settings={"grad_tol": GRAD_TOL},
    tags=("trains", "sweep"),
    notes="Formalisation: 'no constraint on the right singular vectors' = the loss is invariant "
          "under Z -> Z R (R orthogonal), so with Z = U S W^T any W' gives an equally good Z (the "
          "optimal set is closed under right rotations). Symbolic: a Cayley-parametrised R (K = "
          "2, 3) is orthogonal and (Z R)(Z R)^T = Z Z^T (N = 3, K = 3). Numeric: Haar-random R "
          "(QR of a Gaussian, sign-fixed), Z either i.i.d. N(0, 1) or the certified C5 optimum "
          "(tau = 0.5), views graphs N'=4 V=2 and N'=3 V=3, K in c-2..c+1; error = max over K of "
          "|L(Z R) - L(Z)| / max(1, |L(Z)|) (relative for large losses, absolute near 0), "
          "tolerance 1e-10 (float64 rounding).",
    finding="SimCLR leaves the right singular vectors free (its loss is invariant under Z -> Z "
            "R), as the paper says.",
)


@claim.symbolic
def _():
    return [sym.rotation_orthogonal(2), sym.rotation_orthogonal(3),
            sym.simclr_rotation_invariance(3, 3)]


@claim.numeric(grid=rank.case_points(rank.cases(profile(), run_seed()),
                                     point=["random", "optimum"]))
def _(graph: str, seed: int, point: str):
    changes = rank.rotation_sweep("simclr", graph, seed, rank.TAU, point, profile=profile(),
                                  device=device())
    return Measurement(error=changes.error, extra=changes.extra)
