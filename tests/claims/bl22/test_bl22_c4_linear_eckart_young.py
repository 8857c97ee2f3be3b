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
from tests.claims import graphs
from tests.claims.bl22.protocols import linear
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.metrics import largest_principal_angle, relative_eigengap, relative_error
from verify import Claim, Measurement, device, profile

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
        "linear closed form (BL22-C4-linear-infonce). Symbolic: with S^2 = X^T X and Y = S W the "
        "loss is ||Y Y^T - S^-1 a S^-1||_F^2 - const (BL22-C4d's Eckart-Young problem), and the "
        "eigenpairs of S^-1 a S^-1 are the pencil's (v = S^-1 u). Fits: fit_linear, gradient "
        "certificate 1e-8, 2 restarts, curvature modulo rotations (extra 'min_tangent_eig'). "
        "Degenerate cut (symmetric graphs, e.g. the complete bipartite K_{3,3}, tie eigenvalues "
        "for every X): only containment in the tied cluster's span is defined, so the angle is "
        "taken to linear.cut_span (V_K plus the eigenvectors tied with the K-th to GAP_RTOL; "
        "extra 'degenerate_cut' = how many). Data: 20 trials (full) over relations from "
        "tests/claims/graphs.py, all eight families (views, labels, knn, random, sbm, path, ring, "
        "regular), N in the profile's size range (full: 6..64), features linear.graph_data "
        "(optional common mean `0.5`), D in [2, 5], K <= the number of positive mu. error = "
        "max(relative error of the K non-zero eigenvalues of Z*^T Z* against max(mu_K, 0), "
        "largest principal angle between span(X W*) and span(X V_K)); extras: relative eigengap "
        "at the cut, the Gram error ||Z* Z*^T - X V diag(mu+) V^T X^T|| / ||.||, certificate."
    ),
    finding="On the relations and inputs drawn, the spectral contrastive relaxation of linear "
            "SimCLR reaches the MDS-like closed form: the top generalized eigenpairs of "
            "(X^T G X, X^T X).",
)

_psd_part = lambdify_torch(c4.PSD_PART, [c4.EIGENVALUE])


@claim.symbolic(scope="claim")
def _():
    return [sym.spectral_linear_reduction(), *sym.spectral_linear_whitening(),
            c4.spectral_stationary_eigenbasis(3, 2),
            *c4.psd_part_cases()]


@claim.numeric(
    trials={"quick": 1, "full": 20},
    seed=st.integers(0, 2**16),
    spec=graphs.relations(n=graphs.size_range(profile())),
    dim=st.integers(2, 5),
    k=st.integers(1, 4),
    shift=st.sampled_from([0.0, 0.5]),
)
def _(seed: int, spec: str, dim: int, k: int, shift: float):
    graph = graphs.build(spec)
    G = graph.G.to(device())
    X = linear.graph_data(seed, G, dim, shift=shift, device=G.device)
    spectrum = linear.spectral_pencil(X, G)
    k = max(1, min(k, dim - 1, int((spectrum.values > 0).sum())))
    pencil = linear.spectral_pencil(X, G, k)
    fit = linear.fit_spectral(X, G, k, seed=seed, grad_tol=claim.settings["grad_tol"])
    kept = _psd_part(pencil.values)
    measured = torch.linalg.eigvalsh(fit.z.T @ fit.z).flip(0)
    spectrum_error = relative_error(measured, kept)
    cut = linear.cut_span(spectrum, k)  # V_K, or the cluster straddling a degenerate cut
    angle = largest_principal_angle(X @ fit.w, X @ cut)
    truncation = X @ pencil.vectors @ torch.diag(kept) @ pencil.vectors.T @ X.T
    return Measurement(
        error=max(spectrum_error, angle),
        extra={"angle": angle, "spectrum_error": spectrum_error,
               "degenerate_cut": cut.shape[1] - k,
               "eigengap": relative_eigengap(spectrum.values, k),
               "gram_error": relative_error(fit.z @ fit.z.T, truncation),
               "certificate": fit.grad_norm, "min_tangent_eig": fit.min_tangent_eig,
               "n": graph.n, "components": graph.n_components},
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
