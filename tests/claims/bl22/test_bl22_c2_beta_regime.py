"""BL22-C2-beta: the beta regime in which VICReg's decoupled closed form is the optimum.

The closed form of BL22-C2 assumes Cov(Z*) diagonal. Two columns k, j (lambda_k < lambda_j,
variances a = t_k^2 > b = t_j^2) may tilt towards each other: the invariance gains because the
larger variance moves to the smaller eigenvalue, the covariance pays 2 beta C_kj^2. The Hessian
in the two tilt angles has determinant 4 a b c dl (2 beta (a - b) - c dl), dl = lambda_j -
lambda_k, c = 2 gamma (N-1)/N, so the closed form is a local minimum iff

    beta >= beta* = max_{k, j} c (lambda_j - lambda_k) / (2 (t_k^2 - t_j^2)),

and beta* is infinite when two columns both sit on the hinge (t = 1) with different
eigenvalues: the gain is then first order (pair loss c(l_k + l_j) - c dl |r| + 2 beta r^2).
"""

from __future__ import annotations

import math

import torch
from hypothesis import strategies as st

from derivations.bl22.vicreg_closed_form import (
    equal_std_pair_derivation,
    full_rank_threshold_derivation,
    pair_hessian_derivation,
    pair_threshold_derivation,
)
from tests.claims import graphs
from tests.claims.bl22.protocols import vicreg_closed_form as vs
from tests.claims.bl22.protocols.settings import CLUSTER_TOL, GRAD_TOL, RANK_RTOL
from torch_impl.metrics import relative_difference
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="BL22-C2-beta",
    paper="BL22",
    source="docs/catalogue/BL22.md#bl22-c2, open question (beta regime of the closed form)",
    statement="The decoupled closed form is the free-Z VICReg optimum iff beta >= beta* = "
              "max_{k,j} c (lambda_j - lambda_k) / (2 (t_k^2 - t_j^2)), c = 2 gamma (N-1)/N",
    provenance="DERIVED",
    paper_asserts="(Open question of the catalogue: the paper's closed form is derived with "
                  "Cov(Z*) diagonal, i.e. beta large; the paper states no regime.)",
    tolerance=1e-6,
    measures="max of the tilt Hessian's relative Frobenius error (below and above beta*), the "
             "relative loss gap above beta*, and 1 if no fit beats the closed form below beta*",
    unit="relative",
    settings={"beaten_margin": 1e-6, "cluster_tol": CLUSTER_TOL, "rank_rtol": RANK_RTOL,
              "grad_tol": GRAD_TOL},
    tags=("trains",),
    expected="FAILS",
    notes="Audit's own derivation (derivations/bl22/vicreg_closed_form.py: "
          "pair_threshold_derivation, pair_hessian_derivation, equal_std_pair_derivation). "
          "Conventions as BL22-C2 (paper's VICReg, alpha = 25, free Z). Each trial (20 in the full "
          "profile, 1 quick) draws a relation of tests/claims/graphs.py (every family, N 6..64, "
          "at most 9 components; K = (#components - 1) + offset, offset 1..5, raised until the "
          "bottom K eigenvalues have two levels) and gamma = gamma factor (1.5..20) x the "
          "smallest gamma with beta* finite, then checks three "
          "things: (1) the Hessian of the torch loss along the two tilt angles of the "
          "threshold pair, by autograd at the closed form, equals the derived matrix (relative "
          "Frobenius error) at beta = `0.7` beta* and `1.4` beta*; (2) at beta = `1.4` beta* the "
          "best certified fit (closed-form start + random start) has the closed-form loss "
          "(relative gap; extra min_tangent_eig: the fits' second-order certificate); (3) at beta "
          "= `0.7` beta* the closed form tilted along the measured tilt Hessian's lowest "
          "eigenvector (angles `0.01..0.3` rad, an explicit point, library loss) is below the "
          "closed form by more than the setting beaten_margin, relative (a miss counts as error 1; "
          "the earlier audit trained a random start here, which on kNN graphs of N ~ 40 ends at "
          "saddles the curvature certificate rejects). Error = max of the three, each its own "
          "sub-decision (parts tilt-hessian, gap-above, beaten-below). The fit above beta* starts "
          "at the closed form, at the collapsed start (vicreg_closed_form.collapsed_start: higher "
          "columns folded onto the lowest eigenvalue level) and at a random draw. FAILS (found by "
          "the family trials, 2026-11) on (2), the 'if' half: the views graph N' = 3, V = 2 (N = "
          "6), K = 3, gamma = 5.625, beta = `1.4` beta*: from the collapsed start a certified "
          "point {{max.loss_gap_above:.1%}} below the closed form (rank 3); (1) and (3) hold on "
          "every draw (the tilt Hessian is exact and the closed form is a saddle below beta*). So "
          "beta* is the stability threshold of pair tilts, proved here, not a sufficient condition "
          "for the optimum (BL22-C2: ring C_6, K = 4, `1.25` beta*, a rank-2 point lower). "
          "Consequences: (i) with two hinge columns of different eigenvalues (small gamma on any "
          "graph with distinct eigenvalues) the closed form fails for EVERY finite beta, by a loss "
          "gap c^2 dl^2 / (8 beta) per pair (BL22-C2-hinge gives the optimum there); (ii) at the "
          "customary weights (25, 1, 25) beta = 1 is far below beta* (BL22-C2-customary). "
          "Figure: measured phase diagram over (beta, gamma), alpha = 25, views graph N'=4, "
          "K=5: numerical rank (rtol 1e-6) and closed-form loss gap of the lowest certified "
          "point among {closed form, hinge form, a random-start fit (max_iter 1500)}, with the "
          "derived boundaries beta*(gamma), nu = alpha/2 (hinge regime) and gamma_full(beta) "
          "(rank); full profile only (quick draws the boundaries and the trials).",
    finding="On the graphs drawn the derived pair-tilt Hessian matches autograd at both "
            "sides of beta* (tilt-hessian) and the closed form is beaten by a tilt below "
            "beta* (beaten-below); above beta* it is not the optimum on the views graph N' "
            "= 3, K = 3, where a collapsed start reaches a lower loss (gap-above).",
)


@claim.symbolic(scope="lemma",
                why="proves beta* is where the closed form stops being stable against pair tilts "
                 "(a descent below it); that above beta* it is the global optimum is measured")
def _():
    return [pair_threshold_derivation(), pair_hessian_derivation(), equal_std_pair_derivation()]


def _hessian_error(G, spec, pred, beta, gamma) -> tuple[float, float]:
    """(relative Frobenius error, smallest eigenvalue) of the measured tilt Hessian."""
    measured, predicted = vs.pair_hessian(G, spec, pred, alpha=vs.ALPHA, beta=beta, gamma=gamma)
    error = float(torch.linalg.norm(measured - predicted) / torch.linalg.norm(predicted))
    return error, float(torch.linalg.eigvalsh(measured)[0])


_BELOW, _ABOVE = 0.7, 1.4
# Tilt sizes (radians along the unit lowest eigenvector) tried for the explicit descent.
_TILTS = (0.01, 0.03, 0.1, 0.3)


def _tilt_descent(G, spec, pred, beta, gamma) -> float:
    """Largest loss decrease over the closed form tilted by t v, v the lowest eigenvector of
    the measured tilt Hessian, t in ``_TILTS`` (negative: no decrease)."""
    measured, _ = vs.pair_hessian(G, spec, pred, alpha=vs.ALPHA, beta=beta, gamma=gamma)
    direction = torch.linalg.eigh(measured).eigenvectors[:, 0]
    with torch.no_grad():
        losses = [float(vs.pair_tilt_loss(G, spec, pred, t * direction, alpha=vs.ALPHA,
                                          beta=beta, gamma=gamma)) for t in _TILTS]
    return pred.loss - min(losses)


def _two_level_k(graph: graphs.Graph, offset: int) -> int:
    """K = (#components - 1) + offset, raised until the bottom K eigenvalues have two levels
    (a threshold pair exists), at most N - 1."""
    n = graph.n
    k = min(graph.n_components - 1 + offset, n - 1)
    while k < n - 1:
        lam = vs.laplacian_spectrum(graph.relation, k).lam
        if bool((lam > lam[0] + CLUSTER_TOL).any()):
            break
        k += 1
    return k


@claim.numeric(trials={"quick": 1, "full": 20},
               spec=graphs.relations(n=graphs.size_range(profile()), components=(1, 9)),
               offset=st.integers(1, 5),
               gamma_factor=st.floats(1.5, 20.0),
               seed=st.integers(0, 2**16))
def _(spec: str, offset: int, gamma_factor: float, seed: int):
    graph = graphs.build(spec)
    G, n = graph.relation, graph.n
    k = _two_level_k(graph, offset)
    spectrum = vs.laplacian_spectrum(G, k)
    gamma = gamma_factor * vs.decoupled_regime_gamma(spectrum, n, alpha=vs.ALPHA)
    pred = vs.decoupled(spectrum, n, alpha=vs.ALPHA, gamma=gamma)
    above, below = _ABOVE * pred.beta_star, _BELOW * pred.beta_star
    hess_above, eig_above = _hessian_error(G, spectrum, pred, above, gamma)
    hess_below, eig_below = _hessian_error(G, spectrum, pred, below, gamma)
    closed_form = vs.embedding(spectrum, n, pred.t)
    fit_above = vs.train(G, k, alpha=vs.ALPHA, beta=above, gamma=gamma, seed=seed,
                         starts={"closed form": closed_form,
                                 "collapsed": vs.collapsed_start(spectrum, n, pred.t),
                                 "random": None},
                         device=device())
    # Below beta* the closed form must be beaten: by an explicit point, the closed form
    # tilted along the measured tilt Hessian's lowest eigenvector (no fit to certify).
    beaten_by = _tilt_descent(G, spectrum, pred, below, gamma) / pred.loss
    gap_above = relative_difference(fit_above.loss, pred.loss)
    # The closed form must be beaten below beta* by this relative loss margin.
    miss = 0.0 if beaten_by > claim.settings["beaten_margin"] else 1.0
    # Three sub-decisions, each against the tolerance; the error is their max, as before.
    parts = {"tilt-hessian": max(hess_above, hess_below), "gap-above": gap_above,
             "beaten-below": miss}
    return Measurement(
        error=max(parts.values()),
        parts=parts,
        extra={"hessian_error": max(hess_above, hess_below), "hessian_min_eig_above": eig_above,
               "hessian_min_eig_below": eig_below, "loss_gap_above": gap_above,
               "closed_form_beaten_by_below": beaten_by, "beta_star": pred.beta_star,
               "gamma": gamma, "rank_above": vs.rank(fit_above.z.cpu()), "n": n, "K": k,
               "components": graph.n_components, "certificate": fit_above.certificate,
               "min_tangent_eig": fit_above.min_tangent_eig},
        figure_data=(spec, gamma, pred.beta_star),
    )


# -- the phase diagram (views graph, alpha = 25) ------------------------------------------------
_PHASE_GRAPH = "views4"
_PHASE_SPEC = "views(n=4,v=2)"  # the same relation as a trial's spec
_BETAS = (0.3, 3.0, 30.0, 300.0)
_GAMMAS = (0.3, 3.0, 30.0, 300.0)


def _boundaries(G, k):
    """Derived boundaries on fine grids.

    Returns (gamma, beta*(gamma)) pairs, the (beta, gamma, nu) grid whose nu = alpha/2 contour
    bounds the hinge regime, and (beta, gamma_full(beta)) pairs.
    """
    n = G.shape[0]
    spec = vs.laplacian_spectrum(G, k)
    gammas = torch.logspace(-1.5, 3, 40, dtype=torch.float64).tolist()
    betas = torch.logspace(-1.5, 3, 40, dtype=torch.float64).tolist()
    star = [(g, vs.decoupled(spec, n, alpha=vs.ALPHA, gamma=g).beta_star) for g in gammas]
    nu = [[vs.coupled(spec, n, beta=b, gamma=g).nu for b in betas] for g in gammas]
    hinge = (betas, gammas, nu)
    null = int((spec.lam <= CLUSTER_TOL).sum())
    gamma_full = full_rank_threshold_derivation().closed_form_torch()
    full = [(b, float(gamma_full(*[torch.tensor(float(v), dtype=torch.float64)
                                    for v in (b, k, n, 2, null)]))) for b in betas]
    return star, hinge, full


@claim.figure
def _(trials, fig):
    G, k = vs.graph(_PHASE_GRAPH)
    fig.set_size_inches(11, 4.5)
    rank_ax, err_ax = fig.subplots(1, 2, sharey=True)
    if profile() == "full":
        cells = [vs.phase_cell(G, k, alpha=vs.ALPHA, beta=b, gamma=g, seed=0, device=device())
                 for g in _GAMMAS for b in _BETAS]
        shape = (len(_GAMMAS), len(_BETAS))
        ranks = torch.tensor([c.rank for c in cells], dtype=torch.float64).reshape(shape)
        errors = torch.tensor([max(c.decoupled_error, 1e-16) for c in cells]).reshape(shape)
        edges_b = [b / math.sqrt(10) for b in _BETAS] + [_BETAS[-1] * math.sqrt(10)]
        edges_g = [g / math.sqrt(10) for g in _GAMMAS] + [_GAMMAS[-1] * math.sqrt(10)]
        mesh = rank_ax.pcolormesh(edges_b, edges_g, ranks.numpy(), cmap="viridis",
                                  vmin=0.5, vmax=k + 0.5)
        fig.colorbar(mesh, ax=rank_ax, label="numerical rank (rtol 1e-6)",
                     ticks=list(range(1, k + 1)))
        mesh = err_ax.pcolormesh(edges_b, edges_g, errors.log10().numpy(), cmap="magma_r",
                                 vmin=-16, vmax=1)
        fig.colorbar(mesh, ax=err_ax, label="log10 closed-form loss gap")
        for c in cells:
            if not c.converged:
                rank_ax.text(c.beta, c.gamma, "nc", ha="center", color="w", fontsize=7)
    star, hinge, full = _boundaries(G, k)
    for ax in (rank_ax, err_ax):
        ax.plot([b for _, b in star], [g for g, _ in star], "c-", lw=2,
                label="beta = beta*(gamma): closed form exact to the right")
        ax.contour(*hinge, levels=[vs.ALPHA / 2], colors="lime", linestyles="--", linewidths=1.5)
        ax.plot([], [], "--", color="lime", label="nu = alpha/2: hinge form exact below/left")
        ax.plot([b for b, _ in full], [g for _, g in full], "r:", lw=1.5,
                label="gamma_full(beta): rank K below (hinge regime)")
        pts = [(t.measurement.figure_data[2] * f, t.measurement.figure_data[1])
               for t in trials if t.measurement.figure_data[0] == _PHASE_SPEC
               for f in (_BELOW, _ABOVE)]
        if pts:
            ax.scatter(*zip(*pts, strict=True), marker="x", color="k",
                       label="trials (0.7, 1.4 beta*)")
        ax.set(xscale="log", yscale="log", xlabel="beta (covariance weight)",
               xlim=(10**-1.5, 10**3), ylim=(10**-1.5, 10**3))
    rank_ax.set(ylabel="gamma (invariance weight)", title="numerical rank of the optimum")
    err_ax.set(title="closed-form loss gap")
    err_ax.scatter([vs.CUSTOMARY["beta"]], [vs.CUSTOMARY["gamma"]], marker="*", s=150,
                   color="C1", label="customary (25, 1, 25)")
    err_ax.legend(fontsize=6, loc="lower left")
    fig.suptitle("BL22-C2-beta: VICReg phase diagram, alpha = 25, views graph N'=4, V=2, K=5")
