"""BL22-C4-linear: the linear MDS form of SimCLR, for its spectral contrastive relaxation.

Relaxation audited (BL22-C4d's, imported): L(Z) = -2 tr(Z^T G Z) + ||Z^T Z||_F^2 =
||Z Z^T - G||_F^2 - ||G||_F^2. For Z = X W it depends on X only through a = X^T G X and
B = X^T X (derivation spectral_linear_reduction); with B = I coordinates it is BL22-C4d's loss
with G -> B^(-1/2) a B^(-1/2), so (Eckart-Young restricted to span(X)) W* = V_K diag(max(mu_K,
0))^(1/2) R, a V = B V diag(mu), V^T B V = I: Z* Z*^T = X V_K diag(mu_K^+) V_K^T X^T, the best
rank-K PSD approximation of G among Gram matrices of span(X) (kernel PCA / MDS of G seen through
the linear features).
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from derivations.base import lambdify_torch
from derivations.bl22 import linear as sym
from derivations.bl22 import simclr as c4
from tests.claims.bl22.protocols import linear
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.metrics import largest_principal_angle, relative_eigengap, relative_error
from verify import Claim, Measurement, device

claim = Claim(
    id="BL22-C4-linear",
    paper="BL22",
    source="Abstract item (ii) and 'SimCLR ... Multidimensional Scaling'; "
           "docs/catalogue/BL22.md#bl22-c4 (SECONDARY: linear regime SimCLR <-> MDS); relaxation "
           "of BL22-C4d",
    statement="Spectral contrastive relaxation of SimCLR with Z = X W: Z* Z*^T = X V_K "
              "diag(max(mu_K, 0)) V_K^T X^T, (mu, V) the top-K generalized eigenpairs of "
              "(X^T G X, X^T X)",
    provenance="DERIVED",
    paper_asserts="SimCLR's optimal linear parameters are given in closed form and correspond "
                  "to (linear) MDS (abstract; SECONDARY restatements).",
    tolerance=1e-4,
    measures="max(relative error of the eigenvalues of Z*^T Z* against max(mu_K, 0), largest "
             "principal angle between span(X W*) and span(X V_K))",
    unit="rad|relative",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains", "linear"),
    notes=(
        "Relaxation: BL22-C4d's spectral contrastive loss (HaoChen et al. 2021 with BL22's G, all "
        "ordered pairs, i = j included: torch_impl.losses.spectral_contrastive_loss) and its "
        "PSD_PART = max(lambda, 0), lambdified, not retyped. The cosine InfoNCE itself has no "
        "linear closed form (BL22-C4-linear-infonce). Fits: fit_linear, gradient certificate 1e-8, "
        "2 restarts, views graph data (two noisy views, optional common mean 0.5), N' in [6, 12], "
        "D in [2, 5], K <= the number of positive mu. error = max(relative error of the K non-zero "
        "eigenvalues of Z*^T Z* against max(mu_K, 0), largest principal angle between span(X W*) "
        "and span(X V_K)); extras: relative eigengap at the cut, the Gram error ||Z* Z*^T - X V "
        "diag(mu+) V^T X^T|| / ||.||, certificate."
    ),
    finding="The spectral contrastive relaxation of linear SimCLR has the MDS-like closed form: "
            "the top generalized eigenpairs of (X^T G X, X^T X).",
)

_psd_part = lambdify_torch(c4.PSD_PART, [c4.EIGENVALUE])


@claim.symbolic
def _():
    return [sym.spectral_linear_reduction(), c4.spectral_stationary_eigenbasis(3, 2),
            *c4.psd_part_cases()]


@claim.numeric(
    trials={"quick": 1, "full": 5},
    seed=st.integers(0, 2**16),
    n_orig=st.integers(6, 12),
    dim=st.integers(2, 5),
    k=st.integers(1, 4),
    shift=st.sampled_from([0.0, 0.5]),
)
def _(seed: int, n_orig: int, dim: int, k: int, shift: float):
    X, G = linear.views_data(seed, n_orig, dim, shift=shift, device=device())
    spectrum = linear.spectral_pencil(X, G)
    k = max(1, min(k, dim - 1, int((spectrum.values > 0).sum())))
    pencil = linear.spectral_pencil(X, G, k)
    fit = linear.fit_spectral(X, G, k, seed=seed, grad_tol=claim.settings["grad_tol"])
    kept = _psd_part(pencil.values)
    measured = torch.linalg.eigvalsh(fit.z.T @ fit.z).flip(0)
    spectrum_error = relative_error(measured, kept)
    angle = largest_principal_angle(X @ fit.w, X @ pencil.vectors)
    truncation = X @ pencil.vectors @ torch.diag(kept) @ pencil.vectors.T @ X.T
    return Measurement(
        error=max(spectrum_error, angle),
        extra={"angle": angle, "spectrum_error": spectrum_error,
               "eigengap": relative_eigengap(spectrum.values, k),
               "gram_error": relative_error(fit.z @ fit.z.T, truncation),
               "certificate": fit.grad_norm},
        figure_data=(measured.tolist(), kept.tolist()),
    )


@claim.figure(name="angles")
def _(trials, fig):
    extras = [t.measurement.extra for t in trials]
    linear.draw_angle_vs_gap(fig, [e["eigengap"] for e in extras], [e["angle"] for e in extras],
                             tolerance=claim.tolerance,
                             title="BL22-C4-linear: span(X W*) vs top-K of (X^T G X, X^T X)")


@claim.figure(name="spectrum")
def _(trials, fig):
    ax = fig.add_subplot()
    for trial in trials:
        measured, predicted = trial.measurement.figure_data
        ax.plot(predicted, measured, "o", ms=4)
    top = max(max(t.measurement.figure_data[1]) for t in trials)
    ax.plot([0, top], [0, top], "k--", lw=1, label="measured = max(mu_k, 0)")
    ax.set(xlabel="predicted eigenvalue max(mu_k, 0)", ylabel="eigenvalue of Z*^T Z*",
           title="BL22-C4-linear: spectrum of the optimum against the Eckart-Young form")
    ax.legend()
