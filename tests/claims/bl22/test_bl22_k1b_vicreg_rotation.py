"""BL22-K1b-vicreg: VICReg does not constrain the right singular vectors: L(Z R) = L(Z)?

The invariance term tr(Z^T L Z) is rotation invariant, but Cov(Z R) = R^T Cov(Z) R: a rotation
moves variance between columns (the per-column hinges change) and creates off-diagonal
covariance (for Cov = diag(a, d): (a - d)^2 sin^2(2 phi) / 2). So the loss is invariant only
where Cov(Z) is isotropic (BL22-K1b-vicreg-isotropic).
"""

from __future__ import annotations

from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

claim = Claim(
    id="BL22-K1b-vicreg",
    paper="BL22",
    source="Sec. 1 intro keypoint 1 (transcribed); docs/catalogue/BL22.md#bl22-k1 flag (ii), "
           "#bl22-c2 flag (b)",
    statement="L_VICReg(Z R) = L_VICReg(Z) for every Z and every orthogonal R (random Z and "
              "optima)",
    provenance="TEXT",
    paper_asserts="None of the SSL methods constrain the right-singular vectors of Z.",
    tolerance=1e-10,
    expected="FAILS",
    measures="max over K of the worst case over orthogonal R of |L(Z R) - L(Z)| / "
             "max(1, |L(Z)|)",
    unit="relative",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains", "sweep"),
    holds_where="BL22-K1b-vicreg-isotropic",
    notes="Formalisation as BL22-K1b-simclr, with R the worst case over all orthogonal R "
          "(Haar-random starts, then L-BFGS over O(K): protocols.rank.worst_rotation_change; "
          "error = max over K of |L(Z R) - L(Z)| / max(1, |L(Z)|), tolerance 1e-10). Why the "
          "worst case: it depends on Z only through its orbit {Z Q}, and optima reached under two "
          "CPU kernel settings can differ by such a Q, so one random R gave different errors for "
          "VICReg at the same optimum. Loss: BL22's pooled VICReg, alpha = 25, beta = 1, gamma = "
          "`0.1`; Z i.i.d. N(0, 1) or the certified C5c optimum; views graphs (N', V) = (4, 2), "
          "(3, 3), (2, 4), (3, 2), K in c-2..c+1. Symbolic (the mechanism): Cov(Z M) = M^T Cov(Z) "
          "M for every M, and for Cov = diag(a, d) the rotated off-diagonal energy is (a - d)^2 "
          "sin^2(2 phi)/2 > 0 unless a = d; an explicit Z with Cov(Z) = diag(4, 3) (no hinge "
          "active) and R with cos phi = 3/5 change the loss by 288 beta / 625 for every G (the "
          "exact refutation). The loss changes at random Z AND at the trained optima (extras "
          "change_optimum_*): the optima are not isotropic - in the hinge regime the columns are "
          "correlated with unit diagonal (BL22-K3a / C2 hinge form), and below c the null-space "
          "columns may carry variance above 1 at no cost - so Z* R is not optimal and the loss "
          "does select right singular vectors. Condition under which it holds: Cov(Z) = s^2 I "
          "(BL22-K1b-vicreg-isotropic), e.g. the decoupled optimum with every t_k equal (the "
          "alpha, beta -> infinity limit of BL22-C1) or an optimum whitened inside the null space "
          "of L.",
    finding="VICReg's loss changes under Z -> Z R, at its optima too: it does constrain the right "
            "singular vectors, against the paper.",
)


@claim.symbolic(scope="claim")
def _():
    return [sym.covariance_rotation(4, 2), sym.covariance_term_rotation(),
            sym.vicreg_rotation_counterexample()[0]]


@claim.numeric(grid=rank.case_points(rank.cases(profile(), run_seed()),
                                     point=["random", "optimum"]))
def _(graph: str, seed: int, point: str):
    changes = rank.rotation_sweep("vicreg", graph, seed, rank.VICREG_GAMMA, point,
                                  profile=profile(), device=device(), worst=True)
    return Measurement(error=changes.error, extra=changes.extra)
