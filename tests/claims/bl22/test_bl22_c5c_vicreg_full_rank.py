"""BL22-C5c: VICReg with a small invariance weight is full rank min(K, N-1), beside SimCLR/BT.

The contrast the paper draws (intro keypoint 3): on the same views graph and the same K sweep
as BL22-C5b-*, VICReg's optimum (BL22's pooled loss, gamma below gamma_full(beta)) keeps every
column, using view-difference directions (lambda = V of L) once K exceeds c - 1, while SimCLR
stops at c - 1 and BarlowTwins at c. The figure puts the three rank curves side by side.
"""

from __future__ import annotations

import math

from matplotlib.ticker import MaxNLocator

from derivations.base import lambdify_torch
from derivations.bl22 import rank as sym
from derivations.bl22.vicreg_closed_form import coupled_derivation, full_rank_threshold_derivation
from tests.claims import graphs as graph_families
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from torch_impl.metrics import rank_report
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# BarlowTwins' weight for the comparison curve (the paper's snippet value).
BT_ALPHA = 0.1
_full = lambdify_torch(sym.RANK_FULL, [sym.K, sym.C, sym.N])

# Every family with c >= 2 components, at two small invariance weights; SimCLR and
# BarlowTwins are compared (extras, figure) on the clique-structured graphs at gamma = 0.1,
# whose optima the C5b claims train anyway.
_POINTS = rank.case_points(rank.cases(profile(), run_seed(), families=rank.COMPONENT_FAMILIES),
                           gamma=rank.vicreg_gammas(profile()))

claim = Claim(
    id="BL22-C5c",
    paper="BL22",
    source="Sec. 1 intro keypoint 3 (transcribed); docs/catalogue/BL22.md#bl22-c5, #bl22-c2",
    statement="VICReg's free-Z optimum with a small invariance weight has full rank min(K, N-1) "
              "for K below, at and above #components, where SimCLR and BarlowTwins do not",
    provenance="TEXT",
    paper_asserts="VICReg's Z can be made full rank while learning from G ... whereas SimCLR and "
                  "BarlowTwins strictly enforce rank(Z) = rank(G).",
    tolerance=0.0,
    measures="max over K of |numerical rank of the centred VICReg optimum - min(K, N - 1)|",
    unit="rank",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL,
              "graphs": rank.settings_text(_POINTS),
              "gammas": ", ".join(map(str, rank.vicreg_gammas(profile())))},
    tags=("trains", "exact", "sweep"),
    notes="Formalisation: BL22's pooled VICReg (Sec. 2.2; Cov centred 1/(N-1), hinge on sqrt, "
          "invariance over ordered pairs), alpha = 25, beta = 1, gamma = 0.1 (BL22 naming; gamma "
          "< gamma_full(beta) = `0.95` beta on these graphs, the hinge-regime full-rank condition "
          "of BL22-K3a, whose derivation is the symbolic check here); rank = numerical rank (1e-6 "
          "s_max) of the centred Z* (the mean is free). Optima: the C2 family's certified "
          "training from the hinge-regime closed form and a random start (lowest loss kept). "
          "Graphs: c = 2..4 components from four families (views, labels with unequal classes, "
          "sbm, kNN; N 5..18; settings.graphs), gamma in {0.1, 0.02} (gamma_full is derived for "
          "views graphs only; the other families' ranks are measured), K in c-2..c+1 (K >= 2); "
          "per trial N, c, the certificate and the smallest tangent Hessian eigenvalue. error = "
          "max over K of |rank - min(K, N-1)|, tolerance 0. Extras (views and labels graphs, "
          "gamma 0.1): SimCLR (tau `0.5`) and BarlowTwins (alpha `0.1`) ranks minus VICReg's at "
          "the largest K. Scope: the paper's pooled loss; under the codebases' two-branch losses "
          "VICReg's rank is capped at N'-1 = c-1 like SimCLR's (BL22-C5c-official, "
          "BL22-C2-official). For large gamma (above gamma_full) the rank drops to c-1 by column "
          "correlation (BL22-K3a).",
    finding="With the paper's pooled VICReg and the small invariance weights of the grid, the "
            "optimum is full rank on the grid's relations (views, labels, SBM, kNN), where SimCLR "
            "and BarlowTwins are capped.",
)


@claim.symbolic(scope="lemma",
                why="derives the hinge regime's full-rank threshold gamma_full (BL22-C2-hinge's "
                 "spectrum); that regime's global optimality is first-order only, so the "
                 "optimum's rank is measured")
def _():
    return [full_rank_threshold_derivation()] + coupled_derivation(3) + sym.rank_laws()


@claim.numeric(grid=_POINTS)
def _(graph: str, seed: int, gamma: float):
    ranks = rank.rank_sweep("vicreg", graph, seed, gamma, _full, profile=profile(),
                            device=device())
    extra = ranks.extra
    extra["gamma"] = gamma
    compared = (("vicreg", gamma), ("simclr", rank.TAU), ("bt", BT_ALPHA))
    if gamma != rank.VICREG_GAMMA or graph_families.family(graph) not in rank.CLIQUE_FAMILIES:
        return Measurement(ranks.error, extra, None, margin=ranks.margin)
    curves, spectra = {}, {}
    for loss, hyper in compared:
        optima = rank.sweep(loss, graph, seed, hyper, profile=profile(), device=device())
        curves[loss] = [(k, rank_report(opt.canonical, RANK_RTOL).rank) for k, opt in optima]
        k_top, top = optima[-1]
        spectra[loss] = (k_top, rank_report(top.canonical, RANK_RTOL).singular)
    vicreg_top = curves["vicreg"][-1][1]
    extra.update(simclr_minus_vicreg_at_top_K=curves["simclr"][-1][1] - vicreg_top,
                 bt_minus_vicreg_at_top_K=curves["bt"][-1][1] - vicreg_top)
    return Measurement(ranks.error, extra, (graph, ranks.c, ranks.n, curves, spectra),
                       margin=ranks.margin)


_STYLE = {"vicreg": ("C0", "o", "VICReg (gamma 0.1)"), "simclr": ("C1", "s", "SimCLR (tau 0.5)"),
          "bt": ("C2", "^", "BarlowTwins (alpha 0.1)")}


@claim.figure
def _(trials, fig):
    graphs = {}
    # The compared trials (clique-structured graphs at gamma = 0.1): four panels, the first two
    # graphs of each family.
    compared = [t.measurement.figure_data for t in trials
                if t.measurement.figure_data is not None]
    for family in rank.CLIQUE_FAMILIES:
        for graph, c, n, curves, spectra in [data for data in compared
                                             if graph_families.family(data[0]) == family][:2]:
            graphs[graph] = (c, n, curves, spectra)
    axes = fig.subplots(2, len(graphs), squeeze=False)
    for col, (graph, (c, n, curves, spectra)) in enumerate(graphs.items()):
        ax = axes[0][col]
        ks = [k for k, _ in curves["vicreg"]]
        grid = range(min(ks), max(ks) + 1)
        for loss, points in curves.items():
            color, marker, label = _STYLE[loss]
            offset = {"vicreg": 0.06, "simclr": 0.0, "bt": -0.06}[loss]
            ax.plot([k + offset for k, _ in points], [r for _, r in points], marker=marker,
                    color=color, ls="none", label=label)
        ax.plot(grid, [min(k, n - 1) for k in grid], color="C0", lw=1, ls="--",
                label="min(K, N-1)")
        ax.plot(grid, [min(k, c) for k in grid], color="C2", lw=1, ls=":", label="min(K, c)")
        ax.plot(grid, [min(k, c - 1) for k in grid], color="C1", lw=1, ls="-.",
                label="min(K, c-1)")
        ax.axvline(c, color="gray", lw=0.8)
        ax.text(c, 1.1, " K = c (#components)", color="gray", fontsize=7)
        ax.set(xlabel="K", ylabel="numerical rank of the optimum",
               title=f"{graph} (N = {n}, c = {c})", ylim=(1, max(ks) + 1))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=6)
        ax = axes[1][col]
        for loss, (k_top, singular) in spectra.items():
            color, marker, label = _STYLE[loss]
            ax.semilogy(range(1, len(singular) + 1), [max(s, 1e-17) for s in singular],
                        marker=marker, color=color, label=f"{label}, K = {k_top}")
        ax.axhline(RANK_RTOL, color="k", lw=0.8, ls="--", label=f"rank threshold {RANK_RTOL:g}")
        ax.set(xlabel="index", ylabel="singular value / largest",
               ylim=(1e-17, math.sqrt(10)))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=6)
    fig.suptitle("BL22-C5: rank of the free-Z optimum against K (top), singular values at "
                 "the largest K (bottom)", fontsize=9)
    fig.set_size_inches(5.5 * len(graphs), 8)
