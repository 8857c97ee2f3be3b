"""GA23-D1 (Def. 3.1): diag(A) is the matrix that keeps A's diagonal, so that

    ||A - diag(A)||_F^2 = ||A||_F^2 - sum_a A_aa^2

for every square A, the step every criterion of Def. 3.2 takes (GA23 Sec. 3).
"""

from __future__ import annotations

import sympy as sp
import torch
from hypothesis import strategies as st

from derivations.base import Derivation
from tests.claims.ga23.protocols import duality
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="GA23-D1",
    paper="GA23",
    source="Sec. 3, Def. 3.1",
    statement="diag(A) keeps A's diagonal as a matrix: ||A - diag(A)||_F^2 = ||A||_F^2 - "
              "sum_a A_aa^2 for every square A",
    provenance="TEXT",
    paper_asserts="diag(A) denotes the matrix with A's diagonal and zeros elsewhere.",
    tolerance=1e-12,
    measures="|(||A - diag A||_F^2) - (||A||_F^2 - sum_a A_aa^2)| / ||A||_F^2 at random A",
    unit="relative",
    notes="A notation, audited because every GA23 criterion rests on it. diag(A) is built as "
          "torch.diag_embed(A.diagonal()) (a matrix, not torch.diag's vector). Symbolic, for "
          "a symbolic size n: entrywise diag(A)_ab = delta_ab A_ab, so the summand "
          "(A_ab - delta_ab A_ab)^2 equals A_ab^2 - delta_ab A_ab^2 (delta^2 = delta). "
          "Numeric: A = K^T K and K K^T of random K (Gaussian, Cauchy, low-rank, integer) and "
          "a general (non-symmetric) square A.",
    finding="Definition 3.1's diag is the diagonal part as a matrix; removing it removes "
            "exactly the squared diagonal from the Frobenius norm.",
)


@claim.symbolic(scope="claim")
def _():
    a, b = sp.symbols("a b", integer=True, nonnegative=True)
    size = sp.Symbol("n", integer=True, positive=True)
    A, delta = sp.IndexedBase("A", real=True), sp.KroneckerDelta(a, b)
    limits = ((a, 0, size - 1), (b, 0, size - 1))
    lhs = sp.Sum(sp.expand((A[a, b] - delta * A[a, b]) ** 2), *limits)
    rhs = sp.Sum(sp.expand(A[a, b] ** 2 - delta * A[a, b] ** 2), *limits)
    return Derivation("||A - diag(A)||_F^2 = ||A||_F^2 - sum_a A_aa^2 for every size n",
                      lhs - rhs, assumptions=["diag(A)_ab = delta_ab A_ab"])


_MAX = 8 if profile() == "quick" else 16


@claim.numeric(seed=st.integers(0, 2**16), m=st.integers(1, _MAX), n=st.integers(1, _MAX),
               family=st.sampled_from(duality.FAMILIES),
               which=st.sampled_from(["gram", "covariance", "general"]))
def _(seed: int, m: int, n: int, family: str, which: str):
    K = duality.random_matrix(family, m, n, seed, device=device())
    A = {"gram": K.T @ K, "covariance": K @ K.T,
         "general": duality.random_matrix(family, m, m, seed + 1, device=device())}[which]
    lhs = (A - torch.diag_embed(A.diagonal())).square().sum()
    rhs = A.square().sum() - A.diagonal().square().sum()
    scale = A.square().sum().clamp_min(torch.finfo(A.dtype).tiny)
    return Measurement(error=float((lhs - rhs).abs() / scale))
