"""BL22-C4a: SimCLR's loss is bounded below by the Gibbs bound sum_i d_i log d_i.

Row i of L_simCLR = -sum_ij G_ij log Ghat(Z)_ij is d_i times the cross-entropy of the uniform
law on i's positives against the row Ghat(Z)_i, so Gibbs' inequality gives, for every Z, every
tau > 0 and every relation G (degrees d_i),

    L_simCLR(Z) - sum_i d_i log d_i
        = sum_i [ sum_{j in P(i)} phi(d_i Ghat_ij) + d_i sum_{k not in P(i), k != i} Ghat_ik ] >= 0,

phi(u) = u - 1 - log u >= 0, with equality iff Ghat(Z) = D^{-1} G. The bound is the minimum of the
cross-entropy over all right-stochastic zero-diagonal matrices
(docs/catalogue/BL22.md#bl22-c4, DERIVED).
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from derivations.bl22 import simclr as sym
from tests.claims import graphs
from tests.claims.bl22.protocols import simclr
from tests.claims.bl22.protocols.settings import GRAD_TOL
from tests.claims.runtime import generator
from torch_impl.losses import simclr_loss
from torch_impl.relations import degree
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="BL22-C4a",
    paper="BL22",
    source="Sec. 2.3 (SimCLR: right-stochastic Ghat(Z), cross-entropy between G and Ghat)",
    statement="For every Z, tau > 0 and G: L_simCLR(Z) >= sum_i d_i log d_i, "
              "with equality iff Ghat(Z) = D^{-1} G",
    provenance="DERIVED",
    paper_asserts="SimCLR first estimates a right-stochastic relation Ghat(Z) from the "
                  "embedding, then minimises the cross-entropy -sum_ij G_ij log Ghat(Z)_ij "
                  "between the matrices G and Ghat(Z) (Sec. 2.3).",
    tolerance=1e-10,
    measures="max over random Z and the trained optimum of the bound's violation, the "
             "identity's residual, the Pinsker violation, and |CE(D^-1 G) - B|, relative",
    unit="relative",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains",),
    notes="Relaxation audited: none - the exact loss of BL22 Sec. 2.3 (cosine similarity, "
          "temperature tau, sum over ordered positive pairs, denominator over k != i), as "
          "torch_impl.losses.simclr_loss. The bound is the minimum of the cross-entropy over "
          "ALL right-stochastic zero-diagonal matrices, attained only at D^{-1} G, i.e. with zero "
          "mass on non-positives; Ghat(Z) has positive entries for finite similarities, so the "
          "inequality is STRICT for every Z and tau (the certificate's last term is > 0 "
          "whenever some node has a non-positive): the bound is an infimum, approached only as "
          "tau -> 0 (BL22-C4b). Symbolic: the row identity L_i - d_i log d_i = certificate for "
          "explicit rows (1-3 positives, 1-3 non-positives, symbolic similarities) and a path "
          "graph with unequal degrees, the general step -log u = phi(u) - (u - 1), and "
          "phi >= 0 (sympy's global minimum over u > 0 is 0) with its unique zero at u = 1. "
          "Numeric: both halves are gated. error = the largest of (a) the bound: max(0, B - L) "
          "/ max(1, B); (b) the identity: |L - B - certificate(Z)| / max(1, L), with the "
          "paper's Ghat; (c) 'only if', quantitatively: row i's gap is d_i KL(u_i || Ghat_i) "
          "(u_i uniform on i's positives), so Pinsker with d_i >= 1 gives L - B >= 1/2 sum_i "
          "||Ghat_i - (D^-1 G)_i||_1^2 (simclr.pinsker_gap), and its violation max(0, "
          "pinsker_gap - (L - B)) / max(1, B) is gated: equality forces Ghat = D^-1 G; (d) "
          "'if': |CE(D^-1 G) - B| + certificate(D^-1 G), relative, at the target matrix itself "
          "(no Z reaches it at finite tau). Points: three random Z (scales 0.1, 1, 10; at the "
          "trial's tau and at tau = `0.02`) and the trained optimum at tau (fit_free, 2 "
          "restarts, certificate 1e-8, curvature modulo rotations and row scalings: extra "
          "'min_tangent_eig'), except on rings: SimCLR's landscape on a ring has near-flat "
          "plateaus (development, ring N = 60, K = 5, tau = `0.5`: a tiny relative tangent "
          "curvature and certificate, short of the fit's 100x margin), so rings are audited at "
          "random Z only. Trials: relations from tests/claims/graphs.py, all eight families "
          "(views, labels, knn, random, sbm, path, ring, regular), N in the profile's size range "
          "(full: 6..64), K in 2..8, tau in `{0.1, 0.2, 0.5, 1, 3}`; extras 'n', 'components' and "
          "each gated term. Nodes of degree 0 would contribute 0 to both sides; the families have "
          "none.",
    finding="SimCLR's loss stayed above the Gibbs bound sum_i d_i log d_i on the random and "
            "trained embeddings drawn, at the temperatures drawn: the row-normalised G was "
            "not reached by any of them.",
    directions={
        "not reached by any embedding drawn": ("BL22-C4a",),
    },
)


@claim.symbolic(scope="claim")
def _():
    rows = [sym.gibbs_row_identity(p, m) for p, m in ((1, 1), (2, 1), (2, 3), (3, 2))]
    return [*rows, sym.gibbs_graph_identity(), sym.gibbs_term_identity(),
            sym.phi_nonnegative(), *sym.phi_vanishes_only_at_one()]


# Random Z are also evaluated at this small tau, where the loss of a good Z nears the bound.
_SHARP_TAU = 0.02


@claim.numeric(
    trials={"quick": 1, "full": 20},
    spec=graphs.relations(n=graphs.size_range(profile())),
    seed=st.integers(0, 2**16),
    k=st.integers(2, 8),
    tau=st.sampled_from([0.2, 0.5, 1.0, 3.0, 0.1]),
)
def _(spec: str, seed: int, k: int, tau: float):
    graph = graphs.build(spec)
    G = graph.G.to(device())
    rng = generator(seed)
    bound = simclr.gibbs_bound(G)
    scale = max(1.0, abs(bound))
    points = [(s * torch.randn(graph.n, k, generator=rng, dtype=simclr.DTYPE).to(G.device), t)
              for s in (0.1, 1.0, 10.0) for t in (tau, _SHARP_TAU)]
    fit = None
    if graph.family != "ring":
        # SimCLR on a ring has near-flat plateaus (relative tangent curvature ~1e-8) on which
        # the fit stalls short of its certificate's margin: rings are audited at random Z only.
        fit = simclr.fit_simclr(G, k, tau, seed=seed, grad_tol=claim.settings["grad_tol"])
        points.append((fit.z, tau))
    below, gaps, identity, pinsker = [], [], [], []
    for Z, t in points:
        q = simclr.ghat(Z, t)
        loss = float(simclr_loss(Z, G, tau=t))
        below.append(max(0.0, bound - loss) / scale)
        gaps.append((loss - bound) / scale)
        identity.append(abs(loss - bound - simclr.certificate_of(q, G)) / max(1.0, loss))
        pinsker.append(max(0.0, simclr.pinsker_gap(q, G) - (loss - bound)) / scale)
    # The equality half: at q = D^{-1} G the cross-entropy is B with a zero certificate ("if");
    # everywhere else L - B >= pinsker_gap > 0 ("only if", gated through `pinsker`).
    target = G / degree(G)[:, None]
    attained = (abs(simclr.cross_entropy(target, G) - bound)
                + simclr.certificate_of(target, G)) / scale
    extra = {"bound_violation": max(below), "certificate_identity": max(identity),
             "pinsker_violation": max(pinsker), "equality_at_target": attained,
             "relative_gap_min": min(gaps), "bound": bound, "n": graph.n,
             "components": graph.n_components}
    if fit is not None:
        extra |= {"relative_gap_trained": gaps[-1], "min_tangent_eig": fit.min_tangent_eig}
    return Measurement(error=max(max(below), max(identity), max(pinsker), attained),
                       extra=extra)
