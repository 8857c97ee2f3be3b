"""BL22-C0: VICReg's invariance term is the Dirichlet energy of Z on the relation graph G.

    (1/N) sum_{i,j} G_ij ||Z_i - Z_j||^2  =  (2/N) tr(Z^T L Z),   L = D_G - G,  D_G = diag(G 1)

for every symmetric G with zero diagonal (binary or weighted), every N and K. The sum runs over
ORDERED pairs, which is where the factor 2 comes from.
"""

from __future__ import annotations

import sympy as sp
import torch
from hypothesis import strategies as st

from derivations.base import Derivation, lambdify_torch, symbolic_matrix, symmetric_relation
from torch_impl.losses import vicreg_terms
from torch_impl.relations import knn_relation, labels_relation, laplacian, views_relation
from verify import Claim, Measurement, profile

claim = Claim(
    id="BL22-C0",
    paper="BL22",
    source="Sec. 2.2 (VICReg invariance term) / Sec. 3",
    statement="(1/N) sum_ij G_ij ||Z_i - Z_j||^2 = (2/N) tr(Z^T L Z) with L = D_G - G",
    provenance="DERIVED",
    paper_asserts="VICReg's invariance term (gamma/N) sum_ij G_ij ||Z_i - Z_j||^2 is a graph "
                  "Laplacian quadratic form, so VICReg recovers a local spectral embedding.",
    tolerance=1e-10,
    measures="|invariance term - (2/N) tr(Z^T L Z)| / |(2/N) tr(Z^T L Z)| at random Z and G",
    unit="relative",
    notes="Standard identity (docs/catalogue/BL22.md#bl22-c0). Ordered pairs: each edge counted "
          "twice, hence 2/N. Holds for weighted symmetric G too; the diagonal of G must be zero "
          "(a self-loop adds nothing to the left side but would enter D_G and G equally).",
    finding="VICReg's invariance term is exactly the graph Dirichlet energy (2/N) tr(Z^T L Z): "
            "the bridge from VICReg to Laplacian methods holds.",
)

N, K = sp.symbols("N K", integer=True, positive=True)
_Z, _L = sp.MatrixSymbol("Z", N, K), sp.MatrixSymbol("L", N, N)
# The closed form, written once: the numeric side lambdifies it.
DIRICHLET = 2 / N * sp.Trace(_Z.T * _L * _Z)


def _explicit(n: int, k: int) -> Derivation:
    """The identity with explicit n x k Z and a symmetric n x n G of free weights."""
    Z, G = symbolic_matrix("z", n, k, real=True), symmetric_relation("g", n)
    L = sp.diag(*(G * sp.ones(n, 1))) - G
    lhs = sum(G[i, j] * (Z[i, c] - Z[j, c]) ** 2
              for i in range(n) for j in range(n) for c in range(k)) / n
    rhs = DIRICHLET.subs({N: n, K: k}).subs({_Z.subs({N: n, K: k}): Z,
                                             _L.subs({N: n}): L})
    return Derivation(f"invariance = (2/N) tr(Z^T L Z), N={n}, K={k}", lhs - rhs,
                      assumptions=["G symmetric", "zero diagonal"])


def _general() -> Derivation:
    """Every N and K: the summand-level argument, with G_ij symbolic and symmetric.

    tr(Z^T L Z) = sum_k [sum_i d_i Z_ik^2 - sum_ij G_ij Z_ik Z_jk] with d_i = sum_j G_ij, so
    both sides are sums over the same (i, j, k) ranges of the summand ``r`` below. Swapping
    the dummy names i <-> j does not change a sum over identical ranges, so
    sum r(i, j) = sum (r(i, j) + r(j, i)) / 2, and that symmetrised summand vanishes
    identically once G_ij = G_ji. (1/N is common to both sides.)
    """
    i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
    Zb, Gb = sp.IndexedBase("Z", real=True), sp.IndexedBase("G", real=True)

    def g(a, b):  # symmetric by construction: G_ab and G_ba are the same indexed symbol
        return Gb[sp.Min(a, b), sp.Max(a, b)]

    def r(a, b):
        lhs = g(a, b) * (Zb[a, k] - Zb[b, k]) ** 2
        rhs = 2 * (g(a, b) * Zb[a, k] ** 2 - g(a, b) * Zb[a, k] * Zb[b, k])
        return lhs - rhs

    return Derivation("invariance = (2/N) tr(Z^T L Z) for all N, K (symmetrised summand)",
                      (r(i, j) + r(j, i)) / 2,
                      assumptions=["G symmetric", "zero diagonal", "sums over identical "
                                   "index ranges may swap dummy names"])


@claim.symbolic(scope="claim")
def _():
    return [_general()] + [_explicit(n, k) for n in (2, 3, 4) for k in (1, 2)]


_dirichlet = lambdify_torch(DIRICHLET, [_Z, _L, N])
_N_MAX = 12 if profile() == "quick" else 64


def _relation(kind: str, n: int, rng: torch.Generator) -> torch.Tensor:
    if kind == "views":
        return views_relation(max(n // 2, 1), 2)
    if kind == "class":
        return labels_relation(torch.randint(0, max(n // 3, 1), (n,), generator=rng))
    X = torch.randn(n, 3, generator=rng, dtype=torch.float64)
    return knn_relation(X, min(3, n - 1))


@claim.numeric(seed=st.integers(0, 2**16), n=st.integers(2, _N_MAX), k=st.integers(1, 8),
               kind=st.sampled_from(["views", "class", "knn"]))
def _(seed: int, n: int, k: int, kind: str):
    rng = torch.Generator().manual_seed(seed)
    G = _relation(kind, n, rng)
    Z = torch.randn(G.shape[0], k, generator=rng, dtype=torch.float64)
    measured = vicreg_terms(Z, G).invariance
    predicted = _dirichlet(Z, laplacian(G), G.shape[0])
    error = (measured - predicted).abs() / predicted.abs().clamp_min(torch.finfo(Z.dtype).tiny)
    return Measurement(error=float(error), extra={"edges": float(G.sum())},
                       figure_data=(G.shape[0], kind))


@claim.figure
def _(trials, fig):
    ax = fig.add_subplot()
    for kind in ("views", "class", "knn"):
        mine = [t for t in trials if t.measurement.figure_data[1] == kind]
        if mine:
            # Exact agreement (error 0) is drawn at 1e-18 so that the log axis can show it.
            ax.scatter([t.measurement.figure_data[0] for t in mine],
                       [max(t.error, 1e-18) for t in mine], label=kind, s=12)
    ax.axhline(claim.tolerance, color="k", ls="--", lw=1, label="tolerance")
    ax.set(yscale="log", xlabel="N", ylabel="relative error",
           title="BL22-C0: invariance term vs (2/N) tr(Z^T L Z)")
    ax.legend()
