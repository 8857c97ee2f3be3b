"""BL22-C5b-simclr-centred: SimCLR's optimum has rank min(K, #components - 1).

The corrected form of the charitable reading (BL22-C5b-simclr): the optimum is constant on
components and centred (the simplex's directions sum to zero), so its rank is that of the
centred component indicators H P, c - 1, whenever K >= c - 1; below, the c directions spread
over all K dimensions.
"""

from __future__ import annotations

from derivations.base import lambdify_torch
from derivations.bl22 import rank as sym
from derivations.bl22.simclr import simplex_gram_spectrum, simplex_stationary_general
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

_predicted = lambdify_torch(sym.RANK_CENTRED, [sym.K, sym.C, sym.N])

claim = Claim(
    id="BL22-C5b-simclr-centred",
    paper="BL22",
    source="docs/catalogue/BL22.md#bl22-c5 (corrected charitable reading, found by the audit)",
    statement="SimCLR's free-Z optimum has rank min(K, c - 1), c = #components, for K below, at "
              "and above c",
    provenance="DERIVED",
    paper_asserts="SimCLR and BarlowTwins strictly enforce rank(Z) = rank(G).",
    tolerance=0.0,
    measures="max over K of |numerical rank of normalize(Z*) - min(K, c - 1)|",
    unit="rank",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains", "exact", "sweep"),
    notes="The statement that holds where BL22-C5b-simclr fails (K >= c): rank(Z*) = "
          "min(K, c - 1) = rank of the centred component indicators H P. Same formalisation, "
          "optima and grid as BL22-C5b-simclr (BL22's L_simCLR, tau = 0.5, numerical rank 1e-6 of "
          "normalize(Z*), views graphs N'=4 V=2 and N'=3 V=3, K in c-2..c+1, K >= 2); "
          "error = max over K of |rank - min(K, c - 1)|, tolerance 0. Symbolic: the simplex "
          "centring identity, the simplex Gram kernel M = H (G+I) H with M^2 = V M and "
          "tr M = V(c-1) (rank c-1), and the simplex's stationarity through the normalisation "
          "(derivations.bl22.simclr). K < c - 1: no closed form (a tau-dependent spherical code), "
          "where the law's min(K, c - 1) = K is checked by measurement alone. Scope: views "
          "graphs (equal component sizes); for unequal sizes the "
          "simplex is not the optimum (BL22-C4c-unequal).",
    finding="SimCLR's free optimum has rank min(K, #components - 1) on views graphs.",
)


@claim.symbolic
def _():
    return ([sym.simplex_centring(3), sym.simplex_centring(4), simplex_stationary_general()]
            + simplex_gram_spectrum(4, 2) + simplex_gram_spectrum(3, 3))


@claim.numeric(grid=rank.cases(profile(), run_seed()))
def _(graph: str, seed: int):
    ranks = rank.rank_sweep("simclr", graph, seed, rank.TAU, _predicted, profile=profile(),
                            device=device())
    return Measurement(error=ranks.error, extra=ranks.extra, figure_data=ranks.figure_data,
                       margin=ranks.margin)
