"""BL22-K1b-vicreg-isotropic: VICReg is rotation invariant at every Z with isotropic Cov(Z).

The condition under which BL22-K1b-vicreg holds: Cov(Z R) = R^T (s^2 I) R = s^2 I, so the
variance hinges and the covariance term are unchanged, and the invariance term is always
rotation invariant.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from derivations.bl22 import rank as sym
from tests.claims.bl22 import _rank_support as rs
from verify import Claim, Measurement

claim = Claim(
    id="BL22-K1b-vicreg-isotropic",
    paper="BL22",
    source="Condition found by the audit of BL22-K1b-vicreg",
    statement="L_VICReg(Z R) = L_VICReg(Z) for every orthogonal R whenever Cov(Z) = s^2 I",
    provenance="DERIVED",
    paper_asserts="None of the SSL methods constrain the right-singular vectors of Z.",
    tolerance=1e-10,
    notes="Symbolic: Cov(Z M) = M^T Cov(Z) M and R^T (s I) R = s I (Cayley R). Numeric: BL22's "
          "pooled VICReg (alpha 25, beta 1, gamma 0.1); isotropic points of two kinds: 'random' = "
          "a whitened Gaussian (Cov = s^2 I exactly, plus a random mean) and 'whitened-optimum' = "
          "the certified C5c optimum re-whitened, H Z* Cov^-1/2 s + mean (for K <= c-1 this is "
          "again an optimum, loss ~0, extra: its columns stay in the null space of L); s in {0.5 "
          "(hinge active), 1 (on the kink), 2 (inactive)}; views graphs N'=4 V=2 and N'=3 V=3, K "
          "in c-2..c+1; Haar-random R. error = max over K of |L(Z R) - L(Z)| / max(1, |L(Z)|), "
          "tolerance 1e-10.",
    finding="VICReg is rotation invariant only where Cov(Z) is a multiple of the identity.",
)


@claim.symbolic
def _():
    return [sym.covariance_rotation(4, 3), sym.isotropic_rotation(2), sym.isotropic_rotation(3)]


def _whiten(z: torch.Tensor, scale: float, generator: torch.Generator) -> torch.Tensor:
    zc = z - z.mean(dim=0)
    cov = zc.T @ zc / (z.shape[0] - 1)
    evals, evecs = torch.linalg.eigh(cov)
    mean = torch.randn(1, z.shape[1], generator=generator, dtype=torch.float64)
    return scale * zc @ evecs @ torch.diag(evals.rsqrt()) @ evecs.T + mean


@claim.numeric(trials=6 * len(rs.cases()),
               case=st.sampled_from(rs.cases()),
               kind=st.sampled_from(["random", "whitened-optimum"]),
               scale=st.sampled_from([0.5, 1.0, 2.0]))
def _(case: str, kind: str, scale: float):
    case = rs.Case(case)
    G = rs.relation(case.graph)
    c = rs.indicators(G).shape[1]
    changes, zero_losses, isotropy = [], [], 0.0
    for k in rs.k_grid(c):
        generator = torch.Generator().manual_seed(1000 * case.seed + k)
        if kind == "random":
            z = rs.isotropic_random(G.shape[0], k, scale, generator)
        else:
            opt = rs.optimum("vicreg", case.graph, k, rs.VICREG_GAMMA, case.seed)
            z = _whiten(opt.z, scale, generator)
            if k <= c - 1 and scale >= 1:
                zero_losses.append(float(rs.loss_value("vicreg", G, z, rs.VICREG_GAMMA)))
        cov = torch.cov(z.T).reshape(k, k)
        isotropy = max(isotropy, float((cov - scale**2 * torch.eye(k, dtype=cov.dtype)).abs()
                                       .max()) / scale**2)
        changes.append(rs.rotation_change("vicreg", G, z, rs.random_orthogonal(k, generator),
                                          rs.VICREG_GAMMA))
    # How exactly the test points are isotropic: |Cov - s^2 I|_max / s^2.
    extra = {"scale": scale, "cov_isotropy_error": isotropy}
    if zero_losses:
        extra["whitened_optimum_loss_K_le_c-1"] = max(zero_losses)
    return Measurement(error=max(changes), extra=extra)

