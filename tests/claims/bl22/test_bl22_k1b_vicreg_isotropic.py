"""BL22-K1b-vicreg-isotropic: VICReg is rotation invariant at every Z with isotropic Cov(Z).

The condition under which BL22-K1b-vicreg holds: Cov(Z R) = R^T (s^2 I) R = s^2 I, so the
variance hinges and the covariance term are unchanged, and the invariance term is always
rotation invariant.
"""

from __future__ import annotations

import math

import torch

from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL
from tests.claims.runtime import generator
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# Every family with c >= 2 components (the loss's rotation invariance at Cov = s^2 I does not
# depend on G); the optima are BL22-C5c's at gamma = 0.1.
_POINTS = rank.case_points(rank.cases(profile(), run_seed(), families=rank.COMPONENT_FAMILIES),
                           kind=["random", "whitened-optimum"], scale=[0.5, 1.0, 2.0])

claim = Claim(
    id="BL22-K1b-vicreg-isotropic",
    paper="BL22",
    source="Condition found by the audit of BL22-K1b-vicreg",
    statement="L_VICReg(Z R) = L_VICReg(Z) for every orthogonal R whenever Cov(Z) = s^2 I",
    provenance="DERIVED",
    paper_asserts="None of the SSL methods constrain the right-singular vectors of Z.",
    tolerance=1e-10,
    measures="max over K of |L(Z R) - L(Z)| / max(1, |L(Z)|) at Cov(Z) = s^2 I, Haar-random R",
    unit="relative",
    settings={"grad_tol": GRAD_TOL, "graphs": rank.settings_text(_POINTS)},
    tags=("trains", "sweep"),
    notes="Symbolic: Cov(Z M) = M^T Cov(Z) M and R^T (s I) R = s I (Cayley R). Numeric: BL22's "
          "pooled VICReg (alpha 25, beta 1, gamma `0.1`); isotropic points of two kinds: 'random' "
          "= a whitened Gaussian (Cov = s^2 I exactly, plus a random mean) and 'whitened-optimum' "
          "= the certified C5c optimum re-whitened, H Z* Cov^-1/2 s + mean (for K <= c-1 this is "
          "again an optimum, loss ~0, extra: its columns stay in the null space of L); s in {0.5 "
          "(hinge active), 1 (on the kink), 2 (inactive)}; graphs with c = 2..4 components from "
          "four families (views, labels with unequal classes, sbm, kNN; N 5..18; "
          "settings.graphs), K in c-2..c+1; Haar-random R. error = max over K of |L(Z R) - L(Z)| "
          "/ max(1, |L(Z)|), tolerance 1e-10.",
    finding="Measured: the if direction: VICReg's loss is rotation invariant at the points "
            "drawn with Cov(Z) a multiple of the identity; the converse is not tested "
            "(BL22-K1b-vicreg shows changes at the non-isotropic points it draws).",
    directions={
        "non-invariance at non-isotropic points drawn": ("BL22-K1b-vicreg",),
    },
)


@claim.symbolic(scope="claim")
def _():
    return [sym.covariance_rotation(4, 3), sym.isotropic_rotation(2), sym.isotropic_rotation(3)]


def _whiten(z: torch.Tensor, scale: float, rng: torch.Generator) -> torch.Tensor:
    """H Z Cov(Z)^-1/2 s + 1 m^T (N, K): Cov = s^2 I exactly, m a Gaussian mean row."""
    zc = z - z.mean(dim=0)
    cov = zc.T @ zc / (z.shape[0] - 1)
    evals, evecs = torch.linalg.eigh(cov)
    mean = torch.randn(1, z.shape[1], generator=rng, dtype=torch.float64)
    return scale * zc @ evecs @ torch.diag(evals.rsqrt()) @ evecs.T + mean


@claim.numeric(grid=_POINTS)
def _(graph: str, seed: int, kind: str, scale: float):
    G = rank.relation(graph)
    c = G.n_components
    changes, zero_losses, isotropy, curvature = [], [], 0.0, math.inf
    for k in rank.k_grid(c, profile()):
        rng = generator(1000 * seed + k)
        if kind == "random":
            z = rank.isotropic_random(G.n, k, scale, rng)
        else:
            opt = rank.optimum("vicreg", graph, k, rank.VICREG_GAMMA, seed, device=device())
            curvature = min(curvature, opt.min_tangent_eig)
            z = _whiten(opt.z, scale, rng)
            if k <= c - 1 and scale >= 1:
                zero_losses.append(float(rank.loss_value("vicreg", G, z, rank.VICREG_GAMMA)))
        cov = torch.cov(z.T).reshape(k, k)
        isotropy = max(isotropy, float((cov - scale**2 * torch.eye(k, dtype=cov.dtype)).abs()
                                       .max()) / scale**2)
        changes.append(rank.rotation_change("vicreg", G, z, rank.random_orthogonal(k, rng),
                                            rank.VICREG_GAMMA))
    # How exactly the test points are isotropic: |Cov - s^2 I|_max / s^2.
    extra = {"scale": scale, "cov_isotropy_error": isotropy, "n": G.n}
    if kind != "random":
        extra["min_tangent_eig"] = curvature
    if zero_losses:
        extra["whitened_optimum_loss_K_le_c-1"] = max(zero_losses)
    return Measurement(error=max(changes), extra=extra)
