"""BL22-K1b-official: right-rotation invariance re-run under the codebases' VICReg / BarlowTwins.

Per-branch covariances (VICReg) and per-column BatchNorm (BarlowTwins) both single out the
coordinate axes: Cov(z R) = R^T Cov(z) R and BN(z R) != BN(z) R, so neither loss is invariant
under Z -> Z R at a generic Z, nor at their (anisotropic) optima.
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivations.bl22 import rank as sym
from tests.claims.bl22 import _rank_support as rs
from verify import Claim

# Hyper-parameter of each loss for rs.optimum (VICReg: sim_coeff; BT: its default lambd).
_HYPER = {f"{family}-{convention}": rs.CONVENTION_WEIGHTS["sim"] if family == "vicreg" else 0.0
          for family in ("vicreg", "bt") for convention in rs.conventions()}

claim = Claim(
    id="BL22-K1b-official",
    paper="BL22",
    source="BL22-K1b-vicreg / -bt under ECOSYSTEM Sec. 1e (official / lightly / solo-learn)",
    statement="Under the official (= lightly) and solo-learn VICReg and the official and "
              "solo-learn BarlowTwins losses, L(Z R) = L(Z) for every Z and orthogonal R",
    provenance="DERIVED",
    paper_asserts="None of the SSL methods constrain the right-singular vectors of Z.",
    tolerance=1e-10,
    expected="FAILS",
    notes="Re-run of BL22-K1b-vicreg / -bt with vicreg_loss_convention (25/25/1) and "
          "barlow_twins_loss_convention (default lambd), branches = the two views of the views "
          "graph N'=4, V=2, K in c-2..c+1; Z i.i.d. N(0, 1) or the certified optimum; "
          "Haar-random R. error = max over K of |L(Z R) - L(Z)| / max(1, |L(Z)|), tolerance "
          "1e-10. Result: fails for all four losses at random Z and at optima with K >= c "
          "(extras per point kind); at K <= c - 1 the optima are zero-loss and can be "
          "anisotropic too. Symbolic (mechanism): Cov(Z M) = M^T Cov(Z) M (per branch). "
          "SimCLR's codebase variants (lightly / solo NT-Xent) are rescalings of the same "
          "per-anchor cosine terms and stay exactly invariant (BL22-K1b-simclr).",
)


@claim.symbolic
def _():
    return [sym.covariance_rotation(4, 2), sym.covariance_term_rotation()]


@claim.numeric(trials=2 * len(_HYPER) * len(rs.convention_cases()),
               case=st.sampled_from(rs.convention_cases()),
               loss=st.sampled_from(list(_HYPER)),
               point=st.sampled_from(["random", "optimum"]))
def _(case: str, loss: str, point: str):
    return rs.rotation_sweep(loss, case, _HYPER[loss], point)
