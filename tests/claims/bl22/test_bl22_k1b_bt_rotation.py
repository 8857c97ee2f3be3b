"""BL22-K1b-bt: BarlowTwins does not constrain the right singular vectors: L(Z R) = L(Z)?

C(Z R) is the correlation matrix of R^T (Z^T G Z) R normalised by diag(R^T (Z^T D Z) R): a
rotation mixes columns of unequal norm. At a zero-loss optimum Z* = P A diag(n) the columns are
orthogonal with free norms n_k; rotating two of unequal norm gives C_12 = (n_2 - n_1) sin cos /
sqrt(...) != 0, so Z* R is not optimal: the optimum's right singular vectors are the coordinate
axes (columns decorrelated) unless the norms coincide.
"""

from __future__ import annotations

from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# The paper snippet's off-diagonal weight.
BT_ALPHA = 0.1

claim = Claim(
    id="BL22-K1b-bt",
    paper="BL22",
    source="Sec. 1 intro keypoint 1 (transcribed); docs/catalogue/BL22.md#bl22-k1 flag (ii)",
    statement="L_BT(Z R) = L_BT(Z) for every Z and every orthogonal R (random Z and optima)",
    provenance="TEXT",
    paper_asserts="None of the SSL methods constrain the right-singular vectors of Z.",
    tolerance=1e-10,
    expected="FAILS",
    measures="max over K of the worst case over orthogonal R of |L(Z R) - L(Z)| / "
             "max(1, |L(Z)|)",
    unit="relative",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains", "sweep"),
    holds_where="BL22-K1b-bt-isotropic",
    notes="Formalisation as BL22-K1b-simclr, with R the worst case over all orthogonal R "
          "(Haar-random starts, then L-BFGS over O(K): protocols.rank.worst_rotation_change; "
          "error = max over K of |L(Z R) - L(Z)| / max(1, |L(Z)|), tolerance 1e-10). Why the "
          "worst case: it depends on Z only through its orbit {Z Q}, and optima reached under two "
          "CPU kernel settings can differ by such a Q, so one random R gave different errors for "
          "VICReg at the same optimum. Loss: BL22's uncentred BarlowTwins, every ordered edge "
          "listed, alpha = 0.1; Z i.i.d. N(0, 1) or the certified C5 optimum; views graphs (N', V) "
          "= (4, 2), (3, 3), (2, 4), (3, 2), K in c-2..c+1. Symbolic (the mechanism): at a "
          "zero-loss optimum with Z^T G Z = Z^T D Z = diag(n_1, n_2), C(Z R)_12 = (n_2 - n_1) "
          "sin(phi) cos(phi) / sqrt((n_1 c^2 + n_2 s^2)(n_1 s^2 + n_2 c^2)), so the rotated point "
          "costs 2 alpha C_12^2 > 0. The loss changes at random Z and at the trained optima "
          "(extras change_optimum_*): the trained column norms are unequal, the loss being "
          "invariant to each column's scale. Condition under which it holds: Z^T D Z and Z^T G Z "
          "both multiples of I, e.g. a zero-loss optimum with equal column norms "
          "(BL22-K1b-bt-isotropic); for K > c no optimum is isotropic (C* = (lambda K/c) Pi has "
          "rank c < K, BL22-C6b).",
    finding="BarlowTwins' loss changes under Z -> Z R, at its optima too: it does constrain the "
            "right singular vectors, against the paper.",
)


@claim.symbolic(scope="claim")
def _():
    return [sym.rotation_orthogonal(2), sym.bt_rotation_at_optimum()]


@claim.numeric(grid=rank.case_points(rank.cases(profile(), run_seed()),
                                     point=["random", "optimum"]))
def _(graph: str, seed: int, point: str):
    changes = rank.rotation_sweep("bt", graph, seed, BT_ALPHA, point, profile=profile(),
                                  device=device(), worst=True)
    return Measurement(error=changes.error, extra=changes.extra)
