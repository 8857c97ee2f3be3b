"""BL22-C3-lpp: "linear VICReg is Locality Preserving Projections", read literally for ANY G.

LPP (He & Niyogi 2003, ``torch_impl.spectral.locality_preserving_projections``) is the K smallest
generalized eigenvectors of (X^T L X, X^T D_G X); linear VICReg's optimum spans those of
(X^T L X, X^T H X) (BL22-C3). The literal reading is audited on IRREGULAR relation graphs (kNN
graphs, class graphs with unequal classes) with centred X.
"""

from __future__ import annotations

from derivations.bl22 import linear as sym
from tests.claims.bl22.protocols import linear
from tests.claims.bl22.protocols.settings import GRAD_TOL
from torch_impl.metrics import largest_principal_angle, relative_eigengap
from torch_impl.relations import degree
from torch_impl.spectral import locality_preserving_projections
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="BL22-C3-lpp",
    paper="BL22",
    source="SECONDARY restatement of BL22 Sec. 3 (linear regime): 'VICReg corresponds to "
           "Locality Preserving Projections'",
    statement="For every relation G, span(X W*) of linear VICReg equals the span of LPP, "
              "X times the K smallest generalized eigenvectors of (X^T L X, X^T D_G X)",
    provenance="SECONDARY",
    paper_asserts="In the linear regime VICReg recovers LPP, the linear version of Laplacian "
                  "Eigenmaps (third-party restatement; the theorem text was not available).",
    tolerance=1e-4,
    expected="FAILS",
    holds_where="BL22-C3-lpp-regular",
    measures="largest principal angle between span(X W*) of linear VICReg and LPP's span",
    unit="rad",
    settings={"grad_tol": GRAD_TOL},
    tags=("trains", "linear", "sweep"),
    notes=(
        "Same fits as BL22-C3 (paper's VICReg, certified, 2 restarts, closed-form regime). Graphs: "
        "symmetrised 3-NN graphs and class graphs with cliques of sizes 2, 3, 4, ...; X centred, "
        "so the only difference between the two pencils is the degree spread "
        "(lpp_pencil_decomposition: X^T D X = dbar X^T H X + dbar N xbar xbar^T + X^T (D - dbar I) "
        "X). error = largest principal angle between span(X W*) and LPP's span; the extra "
        "'angle_vicreg_pencil' checks that the trained span is the VICReg pencil's. Why it fails: "
        "VICReg's variance/covariance constrain Cov(Z) = W^T X^T H X W / (N-1), the Euclidean "
        "metric after centring, not LPP's degree-weighted W^T X^T D X W (the linear analogue of "
        "BL22-C1b/C1c for free Z). Condition under which it holds (its own id "
        "BL22-C3-lpp-regular): G regular (D = d I) and X centred; then the pencils are "
        "proportional (lpp_regular_centred). Extras: the degree ratio max/min and LPP's relative "
        "eigengap."
    ),
    finding="Linear VICReg is not LPP in general: it whitens with the centred covariance, LPP "
            "with the degrees, and the two differ on the irregular graphs of the grid (unequal "
            "classes, kNN).",
)


@claim.symbolic(scope="lemma",
                why="proves X^T D X = dbar X^T H X + dbar N xbar xbar^T + X^T (D - dbar I) X (the "
                 "pencils differ by the degree spread); that the spans then differ is measured")
def _():
    return [sym.lpp_pencil_decomposition(), *sym.pencil_kkt()]


# Small points first (the first failing point is the counterexample); quick runs the first.
_POINTS = [
    {"seed": 0, "kind": "classes", "n": 10, "dim": 2, "k": 1},
    {"seed": 1, "kind": "knn", "n": 12, "dim": 3, "k": 2},
    {"seed": 2, "kind": "classes", "n": 14, "dim": 4, "k": 2},
    {"seed": 3, "kind": "knn", "n": 16, "dim": 3, "k": 1},
]


@claim.numeric(grid=_POINTS if profile() == "full" else _POINTS[:1])
def _(seed: int, kind: str, n: int, dim: int, k: int):
    X, G = linear.irregular_data(seed, kind, n, dim, device=device())
    k = min(k, dim - 1)
    pencil = linear.vicreg_pencil(X, G, k)
    regime = linear.vicreg_regime(pencil.values, n, fraction=0.5, gamma=1.0, beta_factor=10.0)
    fit = linear.fit_vicreg(X, G, k, alpha=regime.alpha, beta=regime.beta, gamma=regime.gamma,
                            seed=seed, grad_tol=claim.settings["grad_tol"])
    lpp = locality_preserving_projections(X, G, k)
    angle = largest_principal_angle(X @ fit.w, X @ lpp.vectors)
    d = degree(G)
    full = linear.lpp_pencil(X, G, dim)
    return Measurement(
        error=angle,
        extra={"angle": angle,
               "angle_vicreg_pencil": largest_principal_angle(X @ fit.w, X @ pencil.vectors),
               "degree_ratio": float(d.max() / d.min()),
               "eigengap": relative_eigengap(full.values, k),
               "min_tangent_eig": fit.min_tangent_eig},
    )
