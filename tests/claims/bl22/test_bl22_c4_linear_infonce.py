"""BL22-C4-linear-infonce: literal reading, the cosine InfoNCE's linear optimum is linear MDS.

If some optimum W of the cosine InfoNCE with Z = X W had span(X W) = span(X V_K) (BL22-C4-linear's
closed form), then W = V_K M for the best M, and the full gradient with respect to W would vanish
there. The check minimises the loss over M (the restricted problem, Z = (X V_K) M, certified) and
measures the full gradient at W = V_K M*.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from derivations.bl22 import linear as sym
from tests.claims.bl22 import _linear_support as sup
from torch_impl.fit import fit_linear, optimality_certificate
from torch_impl.losses import simclr_loss
from verify import Claim, Measurement, profile

claim = Claim(
    id="BL22-C4-linear-infonce",
    paper="BL22",
    source="Abstract ('SimCLR ... Multidimensional Scaling', closed-form linear parameters); "
           "Sec. 2.3 loss (cosine, temperature)",
    statement="The cosine InfoNCE of Z = X W (BL22 Sec. 2.3) is stationary on the linear MDS "
              "span span(X V_K) of BL22-C4-linear (K = 2, tau in {0.1, 0.5, 2})",
    provenance="DERIVED",
    paper_asserts="SimCLR corresponds to (linear) MDS in the linear regime, with closed-form "
                  "optimal parameters.",
    tolerance=1e-6,
    expected="FAILS",
    notes=(
        "Loss: simclr_loss (paper snippet: cosine / tau, sum over ordered positive pairs, "
        "denominator over k != i). Restricted fit: fit_linear on the features X V_K (N, K), 2 "
        "restarts, certificate 1e-8. Measure: the scale-free stationarity ||grad_W L|| ||W|| / "
        "max(1, L) at W = V_K M* (cosine_scale_invariance: L(c W) = L(W), so grad is orthogonal to "
        "W and scales as 1/c); it would be ~1e-8 at a stationary point. When the restricted "
        "optimum itself collapses (sigma_2(M*) / sigma_1(M*) < 1e-6: all rows of Z on one line, "
        "cosines +-1, a stationary point of every direction), the optimum does not span the "
        "K-dimensional MDS span at all and the error is 1 (the spectral projector distance between "
        "spans of different dimensions). FAILS both ways: scale-free gradients 0.01..6 where M* "
        "has full rank (larger for small tau), and rank-1 collapse at tau = 2 (7 of 16 development "
        "configurations; the audited case (0, 8, 3, 2.0) is one). So the linear closed form is a "
        "property of the relaxation (BL22-C4-linear), not of the cosine loss. Why no direct "
        "comparison with a trained optimum: in development the unrestricted cosine InfoNCE of X W "
        "mostly did not converge (certificates 1e0..1e3 after 2000 L-BFGS iterations on views and "
        "class graphs, K = 2, 3): its infimum is approached as W degenerates, so there is no "
        "attained linear optimum to compare. K = 2: K = 1 is degenerate (the cosine of scalars is "
        "a sign). No condition under which it holds was found. Extras: the scale-free gradient, "
        "sigma_2 / sigma_1 of M*, the restricted certificate."
    ),
    finding="SimCLR's cosine loss has no linear MDS closed form: it is not stationary on the MDS "
            "span or collapses; the closed form belongs to the relaxation only.",
)


_COLLAPSED = 1e-6
"""sigma_2 / sigma_1 of M* below which the restricted optimum is rank-deficient (collapsed)."""


@claim.symbolic
def _():
    return [sym.cosine_scale_invariance(), sym.spectral_linear_reduction()]


# (seed, N', D, tau): a fixed short list, so that hypothesis's shrinking of the (expected)
# counterexample costs at most a few fits (the quick profile runs the first only).
_CASES = ((0, 8, 3, 0.5), (1, 10, 4, 0.1), (0, 8, 3, 2.0), (2, 12, 5, 0.5))


@claim.numeric(trials={"quick": 1, "full": 4},
               case=st.sampled_from(_CASES if profile() == "full" else _CASES[:1]))
def _(case: tuple[int, int, int, float]):
    seed, n_orig, dim, tau = case
    X, G = sup.views_data(seed, n_orig, dim)
    k = 2
    pencil = sup.spectral_pencil(X, G, k)
    features = X @ pencil.vectors
    restricted = fit_linear(lambda Z: simclr_loss(Z, G, tau=tau), features, k, seed=seed,
                            restarts=sup.RESTARTS, max_iter=2000, device=sup.DEVICE,
                            progress=False).require_converged()
    W = pencil.vectors @ restricted.w
    loss, certificate, _ = optimality_certificate(lambda w: simclr_loss(X @ w, G, tau=tau), W)
    scale_free = certificate * float(W.norm())
    singular = torch.linalg.svdvals(restricted.w)
    ratio = float(singular[-1] / singular[0])
    return Measurement(
        error=scale_free if ratio >= _COLLAPSED else 1.0,
        extra={"scale_free_gradient": scale_free, "sigma_ratio": ratio,
               "restricted_certificate": restricted.grad_norm, "tau": tau},
    )
