"""BL22-C5b-simclr: SimCLR's optimum has rank min(K, #components) (charitable reading of C5).

The charitable reading replaces the paper's rank(G) (= N, BL22-C5a) by rank(G + I) = c, the
number of connected components of the clique-structured G. SimCLR's optimum for K >= c - 1 is
the collapsed regular simplex (BL22-C4c), whose c directions sum to zero: it spans c - 1
dimensions, so the reading fails by one at K >= c. BL22-C5b-simclr-centred is the corrected
statement.
"""

from __future__ import annotations

from derivations.base import lambdify_torch
from derivations.bl22 import rank as sym
from derivations.bl22.simclr import simplex_global_bound, simplex_gram_spectrum
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from verify import Claim, Measurement, at_scale, device, profile
from verify import seed as run_seed

_predicted = lambdify_torch(sym.RANK_COMPONENTS, [sym.K, sym.C, sym.N])

# The clique-structured graphs (rank(G + I) = c, the reading's premise); at scale two views
# graphs, where the collapsed simplex is a certified start (BL22-C4c).
_CASES = rank.cases(profile(), run_seed(),
                    families=rank.CLIQUE_FAMILIES if not at_scale() else ("views",),
                    scale=at_scale(), device=device())

claim = Claim(
    id="BL22-C5b-simclr",
    paper="BL22",
    source="Sec. 1 intro keypoint 3 (transcribed); docs/catalogue/BL22.md#bl22-c5 (charitable "
           "reading)",
    statement="Charitable: SimCLR's free-Z optimum has rank min(K, c), c = #components = "
              "rank(G + I), for K below, at and above c",
    provenance="DERIVED",
    paper_asserts="SimCLR and BarlowTwins strictly enforce rank(Z) = rank(G).",
    tolerance=0.0,
    expected="FAILS",
    measures="max over K of |numerical rank of normalize(Z*) - min(K, c)|",
    unit="rank",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL,
              "graphs": rank.settings_text(_CASES),
              "taus": ", ".join(map(str, rank.simclr_taus(profile(), scale=at_scale())))},
    tags=("trains", "exact", "sweep", "scale"),
    holds_where="BL22-C5b-simclr-centred",
    notes="Reading audited: rank(Z*) = min(K, rank(G + I)), rank(G + I) = c = N' for the views "
          "graph (symbolic: (G+I)/V is the projector onto the component indicators). Loss: BL22's "
          "L_simCLR (Sec. 2.3), tau in `{0.5, 0.25, 1}`, free Z; rank = numerical rank (1e-6 "
          "s_max) of normalize(Z*) (the loss is invariant to row scales, so raw Z* carries "
          "arbitrary row norms that do not change the rank). Graphs (settings.graphs): the "
          "clique-structured families, where rank(G + I) = c: views (V = 2..4) and labels with "
          "unequal classes, c = 2..4, N 5..12: 21 sweeps over graphs and tau; per trial N, c, the "
          "certificate and the smallest tangent Hessian eigenvalue (modulo rotations and row "
          "scalings). Scale profile: views graphs with c = 3, N = 1026 and 2049 on the CPU, tau "
          "0.5, K in c-1..c+1, one start at the collapsed simplex (`1e-3` relative noise; SimCLR's "
          "certified global minimum for K >= c - 1, BL22-C4c) and no random start (K >= 2: for K = "
          "1 the cosine is a sign, BL22-C4b-1D). error = max over K of |rank - min(K, c)|, "
          "tolerance 0. Why the rank is c - 1, not c, for K >= c: for unit vectors ||sum u_c||^2 = "
          "c + sum_(c != c') u_c.u_c' (symbolic), so the uniform spread that minimises the loss "
          "(mean cosine -1/(c-1), the regular simplex of BL22-C4c, the unique minimiser for K >= c "
          "- 1 by the symbolic Jensen bound, M^2 = V M and tr M = V(c-1) for its Gram kernel M = H "
          "(G+I) H) has sum u_c = 0: the c directions are linearly dependent. Condition under "
          "which the reading holds: K <= c - 1; the statement that holds for all K is rank = "
          "min(K, c - 1) (BL22-C5b-simclr-centred). Conventions: lightly's NT-Xent averages the "
          "same per-anchor terms over 2N' anchors and solo-learn's -mean log(pos/(pos+neg)) equals "
          "them for two views, so both have the same optima (a positive rescaling of the loss) and "
          "the same rank; no separate module.",
    finding="On the clique-structured relations of the grid (views, labels) SimCLR's optimum has "
            "rank #components - 1, not #components, once K reaches it: the optimum is centred (a "
            "regular simplex).",
)


@claim.symbolic(scope="claim")
def _():
    return (sym.views_relation_components(4, 2) + sym.views_relation_components(3, 3)
            + [sym.simplex_centring(3), sym.simplex_centring(4)]
            + simplex_gram_spectrum(4, 2) + simplex_gram_spectrum(3, 3) + simplex_global_bound())


@claim.numeric(grid=rank.case_points(
    _CASES,
    tau=rank.simclr_taus(profile(), scale=at_scale())))
def _(graph: str, seed: int, tau: float):
    ranks = rank.rank_sweep("simclr", graph, seed, tau, _predicted, profile=profile(),
                            device=device())
    return Measurement(error=ranks.error, extra=ranks.extra, figure_data=ranks.figure_data,
                       margin=ranks.margin)
