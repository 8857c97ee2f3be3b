"""GA23-D2 (Def. 3.2): the criteria's matrix form equals the explicit sums over distinct pairs.

    L_c(K)  = ||K^T K - diag(K^T K)||_F^2 = sum_{i != i'} (K_{.,i}^T K_{.,i'})^2
    L_nc(K) = ||K K^T - diag(K K^T)||_F^2 = sum_{j != j'} (K_{j,.} K_{j',.}^T)^2

for every K (M, N), columns = samples (GA23 Sec. 3).
"""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

from derivations.ga23 import duality as sym
from tests.claims.ga23.protocols import duality
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="GA23-D2",
    paper="GA23",
    source="Sec. 3, Def. 3.2 (with Def. 3.1's diag)",
    statement="L_c = ||K^T K - diag(K^T K)||_F^2 = sum_{i != i'} (K_.i^T K_.i')^2 and "
              "L_nc = ||K K^T - diag(K K^T)||_F^2 = sum_{j != j'} (K_j. K_j'.^T)^2",
    provenance="TEXT",
    paper_asserts="The sample-contrastive criterion is the squared Frobenius norm of the Gram "
                  "matrix's off-diagonal part, the dimension-contrastive one that of K K^T.",
    tolerance=1e-12,
    measures="max over L_c, L_nc of |matrix form - explicit pair sum| / |pair sum| at random K",
    unit="relative",
    notes="Matrix form: torch_impl.losses sample_contrastive_criterion / "
          "dimension_contrastive_criterion. Pair sums: a loop over ordered pairs of distinct "
          "columns (rows) of K. Symbolic: for every size, entrywise with diag(A)_ab = "
          "delta_ab A_ab, (A - diag A)_ab^2 = (1 - delta_ab) A_ab^2 (delta^2 = delta); and "
          "both criteria expanded against the pair sums at explicit sizes. No 1/N or 1/M in "
          "the definition. K families: Gaussian, Cauchy, low-rank, integer; shapes include "
          "1 x N and M x 1 (one criterion is then an empty sum, 0).",
    finding="Definition 3.2's matrix forms are exactly the sums of squared inner products of "
            "distinct samples (L_c) and of distinct dimensions (L_nc).",
)


@claim.symbolic(scope="claim")
def _():
    return [sym.definition_general()] + [d for m, n in ((1, 3), (3, 1), (2, 3), (3, 2))
                                         for d in sym.definition_explicit(m, n)]


_MAX = 8 if profile() == "quick" else 16


def _pair_sum(K) -> float:
    """sum over ordered pairs of distinct columns of K of their squared inner product."""
    return sum(float(K[:, a] @ K[:, b]) ** 2
               for a, b in itertools.permutations(range(K.shape[1]), 2))


@claim.numeric(seed=st.integers(0, 2**16), m=st.integers(1, _MAX), n=st.integers(1, _MAX),
               family=st.sampled_from(duality.FAMILIES))
def _(seed: int, m: int, n: int, family: str):
    K = duality.random_matrix(family, m, n, seed, device=device())
    terms = duality.duality_terms(K)
    errors = (duality.relative_difference(terms.l_c, _pair_sum(K)),
              duality.relative_difference(terms.l_nc, _pair_sum(K.T)))
    return Measurement(error=max(errors), parts={"l_c": errors[0], "l_nc": errors[1]},
                       extra={"l_c": terms.l_c, "l_nc": terms.l_nc})
