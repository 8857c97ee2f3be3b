"""BL22-C4b: as tau -> 0, SimCLR's optimum attains the Gibbs bound on the views graph (K >= 2).

For the views graph (N' samples, V views each, degrees V - 1, B = N' V (V-1) log(V-1)) and any
K >= 2, the N' components can be given pairwise distinct unit directions, so

    0 <= min_Z L_tau - B <= GAP_BOUND(delta, tau)
                          = N' V (V-1) log(1 + V (N'-1)/(V-1) e^{-delta/tau})

with delta = N'/(N'-1) (regular simplex, K >= N'-1; then equality) or 1 - cos(2 pi/N') (circle,
K >= 2), and GAP_BOUND -> 0 as tau -> 0: the infimum of the cross-entropy, D^{-1} G, is
approached (docs/catalogue/BL22.md#bl22-c4, DERIVED: reached only as tau -> 0).
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivations.bl22 import simclr as sym
from tests.claims import graphs
from tests.claims.bl22.protocols import simclr
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.losses import simclr_loss
from verify import Claim, Measurement, device

claim = Claim(
    id="BL22-C4b",
    paper="BL22",
    source="Sec. 2.3 (SimCLR, temperature tau) / Sec. 3-4 (SimCLR <-> global spectral methods)",
    statement="Views graph, K >= 2: B <= min_Z L_tau <= B + GAP_BOUND(tau) -> 0 as tau -> 0 "
              "(the Gibbs bound is attained in the limit)",
    provenance="DERIVED",
    paper_asserts="SimCLR's Ghat(Z) is a right-stochastic estimate of G (Sec. 2.3); the "
                  "cross-entropy between G and Ghat(Z) is minimised at the row-normalised G, "
                  "which our catalogue derived is reachable only as tau -> 0, with positives at "
                  "cosine 1 and every non-positive strictly lower.",
    tolerance=1e-9,
    measures="max over tau of max(0, L(trained) - L(explicit configuration)) / max(1, B): the "
             "trained gap must lie under the explicit gap",
    unit="relative",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains",),
    families=("views",),
    families_why="the Gibbs bound's attainment and GAP_BOUND are the views graph's (the collapsed "
                  "regular simplex)",
    notes="Relaxation audited: the tau -> 0 limit of the exact cosine loss (no other change). "
          "Symbolic: the loss of the collapsed regular simplex minus B equals GAP_BOUND with "
          "delta = N'/(N'-1) for every tau (general V, N' per row, and from the loss formula for "
          "N'=3, V=2); collapsed components at any cosines c_m give the row gap (V-1) log(1 + "
          "V/(V-1) sum_m e^{-(1-c_m)/tau}) <= GAP_BOUND(min_m (1 - c_m)); lim_{tau->0+} GAP_BOUND "
          "= 0 for delta > 0. With C4a (L >= B) this proves the limit; the numeric check measures "
          "what SimCLR training reaches. Numeric: 20 trials (full) on views graphs "
          "(tests/claims/graphs.py specs, V in 2..4, N = N' V in 6..24; the claim and its closed "
          "form are the views graph's, so no other family applies), K in 2..7; tau sweep "
          "`1, 0.4, 0.2, 0.1`; at each tau the certified free-Z optimum (fit_free, certificate "
          "1e-8; tau = 1 from 2 random starts, each smaller tau annealed: from the previous "
          "optimum perturbed by `1e-3` (a start stuck above the explicit configuration would show "
          "in the error); extra 'min_tangent_eig' = the smallest curvature over the sweep) is "
          "compared with the explicit configuration (simplex if K >= N'-1, else equally spaced "
          "circle): error = max over tau of max(0, L_trained - L_config) / max(1, B), i.e. the "
          "trained gap must lie under the explicit gap, which -> 0. Extras: the trained relative "
          "gap at tau = `0.1`, the slack GAP_BOUND - (L_config - B) >= 0, and for K >= N'-1 "
          "|L_trained - B - GAP_BOUND| / max(1, B) (the optimum IS the simplex, see BL22-C4c). The "
          "sweep stops at tau = `0.1`: below it the repulsion between components is "
          "e^{-N'/((N'-1) tau)} < `1e-5` of the loss scale and the certificate no longer resolves "
          "the arrangement (extra 'relative_gap_at_tau_min' shows how small the gap already is at "
          "tau = `0.1`). Condition found: K >= 2 (or N' <= 2); with K = 1 and N' >= 3 the limit "
          "gap is > 0 (BL22-C4b-1D). The limit does NOT need positives to coincide (the "
          "catalogue's first derivation, cosine 1 on every positive pair, is too strong): it "
          "needs, for every i, equal cosines to all its positives and strictly smaller ones to "
          "every non-positive (e.g. a ring graph on an equally spaced circle: a gap that shrinks "
          "from tau = `0.1` to `0.02` in development), though on the views graph the optimum does "
          "collapse positives at every tau.",
    finding="With K >= 2 on the views graphs drawn SimCLR's certified minimum stays within "
            "the derived gap above the Gibbs bound over the tau sweep, the gap shrinking "
            "with tau; the limiting configuration has equal (not unit) positive cosines.",
)

_TAUS = (1.0, 0.4, 0.2, 0.1)


@claim.symbolic(scope="claim")
def _():
    return [sym.simplex_row_gap(), sym.simplex_loss_explicit(),
            *(sym.collapsed_row_gap(n) for n in (3, 4)), sym.gap_bound_limit()]


@claim.numeric(
    trials={"quick": 1, "full": 22},
    seed=st.integers(0, 2**16),
    spec=graphs.relations(n=(6, 24), families=("views",)),
    k=st.integers(2, 7),
)
def _(seed: int, spec: str, k: int):
    graph = graphs.build(spec)
    G = graph.G.to(device())
    n_orig, n_views = graph.n_components, graph.n // graph.n_components
    bound = simclr.gibbs_bound(G)
    scale = max(1.0, abs(bound))
    simplex = k >= n_orig - 1
    config = simclr.collapsed_configuration(n_orig, n_views, k, simplex=simplex, device=G.device)
    excess, trained_gaps, config_gaps, slack, to_closed_form, curvature = [], [], [], [], [], []
    previous = None
    for tau in _TAUS:
        # Annealing: each smaller tau starts from the previous optimum (perturbed); the first
        # tau from two random draws. A start stuck above the configuration shows in the error.
        fit = simclr.fit_simclr(G, k, tau, seed=seed, grad_tol=claim.settings["grad_tol"],
                                restarts=2 if previous is None else 1,
                                inits=[] if previous is None else [previous])
        previous, trained = fit.z, fit.loss
        curvature.append(fit.min_tangent_eig)
        at_config = float(simclr_loss(config, G, tau=tau))
        closed = simclr.gap_bound(n_orig, n_views, tau, simplex=simplex)
        excess.append(max(0.0, trained - at_config) / scale)
        trained_gaps.append(trained - bound)
        config_gaps.append(at_config - bound)
        slack.append((closed - (at_config - bound)) / scale)
        to_closed_form.append(abs(trained - bound - closed) / scale)
    extra = {"relative_gap_at_tau_min": trained_gaps[-1] / scale,
             "closed_form_slack_min": min(slack), "min_tangent_eig": min(curvature),
             "n": graph.n, "n_views": n_views}
    if simplex:
        extra["simplex_closed_form_error"] = max(to_closed_form)
    return Measurement(error=max(excess), extra=extra,
                       figure_data=(n_orig, n_views, k, trained_gaps, config_gaps))


@claim.figure
def _(trials, fig):
    ax = fig.add_subplot()
    inverse = [1 / t for t in _TAUS]
    for trial in trials:
        n_orig, n_views, k, trained, config = trial.measurement.figure_data
        line, = ax.plot(inverse, [max(g, 1e-300) for g in trained], "o",
                        label=f"N'={n_orig}, V={n_views}, K={k}")
        ax.plot(inverse, [max(g, 1e-300) for g in config], "-", color=line.get_color(), lw=1)
    ax.set(yscale="log", xlabel="1 / tau",
           ylabel="L - sum_i d_i log d_i",
           title="BL22-C4b: gap to the Gibbs bound vs 1/tau")
    ax.text(0.98, 0.98, "dots: trained optimum\nlines: explicit configuration",
            transform=ax.transAxes, ha="right", va="top", fontsize=7)
    ax.legend(fontsize=7)
