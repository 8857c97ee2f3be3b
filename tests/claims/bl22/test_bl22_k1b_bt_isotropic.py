"""BL22-K1b-bt-isotropic: BarlowTwins is rotation invariant where Z^T D Z and Z^T G Z are
multiples of I - e.g. a zero-loss optimum with equal column norms.

C depends on Z only through M_G = Z^T G Z and M_D = Z^T D Z (edge listing, BL22-C6a):
C(Z R) = diag(R^T M_D R)^-1/2 R^T M_G R diag(R^T M_D R)^-1/2 = (g/d) I = C(Z) when M_G = g I and
M_D = d I. Since the loss is invariant to each column's scale, every zero-loss optimum
(K <= c) rescaled to equal column norms is such a point: the condition under which
BL22-K1b-bt holds.
"""

from __future__ import annotations

import math

import torch

from derivations.bl22 import barlow_twins as bt
from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import barlow_twins as bt_protocol
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL
from tests.claims.runtime import generator
from torch_impl.relations import Relation, component_indicators
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# The paper snippet's off-diagonal weight.
BT_ALPHA = 0.1

# Random isotropic points need G to act as a multiple of I on span P and on its complement
# (views graphs); the optima with D-normalised columns are isotropic on any graph with K <= c
# (the BL22-C6a optima: clique-structured graphs at every alpha, sbm / kNN at alpha 0.1).
_POINTS = (rank.case_points(rank.cases(profile(), run_seed()), kind=["random"], alpha=[BT_ALPHA])
           + rank.case_points(rank.cases(profile(), run_seed(), families=rank.CLIQUE_FAMILIES),
                              kind=["normalised-optimum"], alpha=bt_protocol.bt_alphas(profile()))
           + (rank.case_points(rank.cases(profile(), run_seed(), families=("sbm", "knn")),
                               kind=["normalised-optimum"], alpha=[BT_ALPHA])
              if profile() == "full" else []))

claim = Claim(
    id="BL22-K1b-bt-isotropic",
    paper="BL22",
    source="Condition found by the audit of BL22-K1b-bt",
    statement="L_BT(Z R) = L_BT(Z) for every orthogonal R whenever Z^T D Z and Z^T G Z are "
              "multiples of I (e.g. zero-loss optima with equal column norms, K <= c)",
    provenance="DERIVED",
    paper_asserts="None of the SSL methods constrain the right-singular vectors of Z.",
    tolerance=1e-10,
    measures="max over K of |L(Z R) - L(Z)| / max(1, |L(Z)|) at isotropic Z, Haar-random R",
    unit="relative",
    settings={"grad_tol": GRAD_TOL, "graphs": rank.settings_text(_POINTS)},
    tags=("trains", "sweep"),
    notes="Symbolic: the edge-listing identities (C is a function of Z^T G Z and Z^T D Z) and R^T "
          "(s I) R = s I (Cayley R). Numeric: BL22's uncentred BarlowTwins, K in c-2..c (only "
          "there is C = I attainable); points: 'random' (views graphs (N', V) = (4, 2), (3, 3), "
          "(2, 4), (3, 2), alpha 0.1) = cos(t) Q_P A + sin(t) Q_perp B with A, B random "
          "orthonormal columns and t random (then Z^T Z = I and Z^T G Z = ((V-1) cos^2 t - sin^2 "
          "t) I) and 'normalised-optimum' = the certified C6a optimum with columns of unit "
          "D-norm, z / sqrt(z^T D z) (still an optimum: the loss ignores column scales; then Z^T "
          "D Z = Z^T G Z = I), on views and labels graphs (unequal classes) at alpha in "
          "`{0.005, 0.1, 1}` and on sbm / kNN graphs at alpha 0.1 (c = 2..4, N 5..18; "
          "settings.graphs); Haar-random R. Extras: N, the isotropy of the test points, the "
          "optima's smallest tangent Hessian eigenvalue. error = max over K of |L(Z R) - L(Z)| / "
          "max(1, |L(Z)|), tolerance 1e-10. For K > c no optimum is of this kind (BL22-C6b: C* has "
          "rank c < K).",
    finding="Measured: the if direction: BarlowTwins' loss is rotation invariant at the "
            "isotropic points drawn (equal-norm zero-loss optima with K <= #components, and "
            "built points; views, labels, SBM, kNN); the converse is not tested "
            "(BL22-K1b-bt shows changes at the non-isotropic points it draws).",
    directions={
        "non-invariance at non-isotropic points drawn": ("BL22-K1b-bt",),
    },
)


@claim.symbolic(scope="claim")
def _():
    return bt.edge_listing_identities() + [sym.isotropic_rotation(2), sym.isotropic_rotation(3)]


def _isotropic(G: Relation, k: int, rng: torch.Generator) -> torch.Tensor:
    """cos(t) Q_P A + sin(t) Q_perp B (N, K): Z^T Z = I and Z^T G Z a multiple of I (views
    graph), Q_P / Q_perp orthonormal bases of span P and its complement, A, B random
    orthonormal columns, t uniform in [0, pi/2]."""
    P = component_indicators(G)
    full = torch.linalg.qr(torch.cat([P, torch.randn(G.n, G.n, generator=rng,
                                                     dtype=torch.float64)], dim=1))[0]
    c = P.shape[1]
    inside, outside = full[:, :c], full[:, c:]
    a = torch.linalg.qr(torch.randn(c, k, generator=rng, dtype=torch.float64))[0]
    b = torch.linalg.qr(torch.randn(outside.shape[1], k, generator=rng,
                                    dtype=torch.float64))[0]
    t = float(torch.rand(1, generator=rng)) * math.pi / 2
    return math.cos(t) * inside @ a + math.sin(t) * outside @ b


@claim.numeric(grid=_POINTS)
def _(graph: str, seed: int, kind: str, alpha: float):
    G = rank.relation(graph)
    gram_g = G.dense()
    c = G.n_components
    changes, isotropy, curvature = [], 0.0, math.inf
    degree = G.dense().sum(dim=1)
    for k in rank.k_grid(c, profile(), above=0):
        rng = generator(1000 * seed + k)
        if kind == "random":
            z = _isotropic(G, k, rng)
        else:
            opt = rank.optimum("bt", graph, k, alpha, seed, device=device())
            curvature = min(curvature, opt.min_tangent_eig)
            z = opt.z / (degree[:, None] * opt.z.square()).sum(dim=0).sqrt()
        for gram in (z.T @ (degree[:, None] * z), z.T @ gram_g @ z):
            scale = float(gram.diagonal().mean())
            isotropy = max(isotropy, float((gram - scale * torch.eye(k, dtype=gram.dtype))
                                           .abs().max()) / abs(scale))
        changes.append(rank.rotation_change("bt", G, z, rank.random_orthogonal(k, rng), alpha))
    # How exactly the test points are isotropic: max |M - mean(diag M) I| / mean(diag M).
    extra = {"gram_isotropy_error": isotropy, "n": G.n}
    if kind != "random":
        extra["min_tangent_eig"] = curvature
    return Measurement(error=max(changes), extra=extra)
