"""BL22-C4: SimCLR's InfoNCE (BL22 Sec. 2.3) against the Gibbs bound and global spectral embeddings.

Notation (BL22 Sec. 2): G symmetric, binary, zero diagonal, degrees d_i = sum_j G_ij, positives
P(i) = {j : G_ij = 1}; s_ij = CoSim(z_i, z_j) / tau; the right-stochastic estimate
Ghat_ij = q_ij = exp(s_ij) / sum_{k != i} exp(s_ik) (i != j) and the loss

    L_simCLR(Z) = - sum_ij G_ij log Ghat(Z)_ij = sum_ij G_ij (lse_i - s_ij),
    lse_i = log sum_{k != i} exp(s_ik).

What is derived here, one group per claim module:

* Gibbs bound (BL22-C4a). Row i of the loss is d_i times the cross-entropy of the uniform law on
  P(i) against q_i, so L >= B := sum_i d_i log d_i, with the explicit certificate

      L - B = sum_i [ sum_{j in P(i)} phi(d_i q_ij) + d_i sum_{k not in P(i), k != i} q_ik ],
      phi(u) = u - 1 - log u >= 0,

  every term >= 0, and = 0 iff Ghat = D^{-1} G (phi vanishes only at u = 1).
* The views graph (N' components of V views, BL22 Sec. 2.1) at the collapsed regular simplex
  (every view of a sample at one unit vector, the N' vectors a regular simplex) (BL22-C4b,
  C4c): the gap to the bound in closed form, :data:`GAP_BOUND` with separation
  N'/(N'-1), which tends to 0 as tau -> 0; the simplex is a stationary point of the loss for
  every tau; its Gram matrix is (N'/(N'-1)) H (G + I) H, the classical MDS / kernel PCA of the
  component kernel G + I, of rank N' - 1.
* Global optimality of that simplex (BL22-C4c, C5b-simclr; :func:`simplex_global_bound`), the
  argument of GA23-P1-simplex carried to V views: anchor i has p = V - 1 positives and
  n = V (N'-1) negatives; Jensen on exp within each group gives row i >= p phi(x_i),
  phi(x) = log(p + n e^{x/tau}), x_i = (mean negative cosine) - (mean positive cosine); phi is
  convex increasing, so L >= N p phi(mean x); the cosines of N unit vectors sum, over ordered
  pairs, to ||sum u||^2 - N, and positive cosines are <= 1, so mean x >= -N'/(N'-1). Hence
  L >= N (V-1) log(V - 1 + V (N'-1) e^{-N'/((N'-1) tau)}) = the collapsed simplex's loss, with
  equality iff every positive cosine is 1 and every negative cosine is -1/(N'-1): every
  minimiser's normalised Gram is the simplex Gram (it exists iff K >= N' - 1).
* K = 1 (BL22-C4b-1D): the tau -> 0 limit of a row's gap when the normalised embedding is a sign
  pattern, and the resulting positive limit for more than two components.
* Other candidates (BL22-C4c-unequal, C4c-isomap): for a class graph the kernel-PCA candidate's
  rows are e_c - s/N, a stationary point of the loss only for equal class sizes; on a ring,
  kernel ISOMAP's two components are the equally spaced circle, itself stationary for every tau.
* The spectral contrastive loss (BL22-C4d), the inner-product relaxation that has an
  Eckart-Young closed form: -2 sum_ij G_ij z_i^T z_j + sum_ij (z_i^T z_j)^2
  = ||Z Z^T - G||_F^2 - ||G||_F^2, minimised at Z Z^T = the best rank-K positive semi-definite
  approximation of G (top-K eigenpairs, eigenvalues clipped at 0).

Closed forms are module constants (sympy), lambdified by the claim modules; each derivation
function returns :class:`~derivations.base.Derivation` objects whose residual vanishes exactly
when their statement holds - all do except :func:`kernel_pca_candidate_stationary` for unequal
sizes, an exact refutation.
"""

from __future__ import annotations

import sympy as sp
from sympy.calculus.util import minimum

from derivations.base import Derivation, symbolic_matrix

__all__ = [
    "TAU",
    "DEGREE",
    "RATIO",
    "N_ORIG",
    "N_VIEWS",
    "SEPARATION",
    "SAME_SIGN",
    "N_SAME",
    "EIGENVALUE",
    "SAME_COMPONENT",
    "GIBBS_TERM",
    "PHI",
    "GAP_BOUND",
    "SIMPLEX_SEPARATION",
    "CIRCLE_SEPARATION",
    "SIMPLEX_GRAM_ENTRY",
    "ONE_D_LIMIT_BLOCK",
    "PSD_PART",
    "simclr_loss_symbolic",
    "gibbs_certificate_symbolic",
    "views_relation_symbolic",
    "gibbs_row_identity",
    "gibbs_graph_identity",
    "gibbs_term_identity",
    "phi_nonnegative",
    "phi_vanishes_only_at_one",
    "simplex_row_gap",
    "collapsed_row_gap",
    "gap_bound_limit",
    "simplex_loss_explicit",
    "views_kernel_centring",
    "classical_mds_of_components",
    "simplex_gram_spectrum",
    "simplex_stationary_explicit",
    "ring_relation_symbolic",
    "ring_circle_stationary",
    "ring_isomap_circle",
    "SIMPLEX_MINIMUM",
    "simplex_global_bound",
    "class_relation_symbolic",
    "centred_indicator_rows",
    "kernel_pca_candidate_stationary",
    "one_d_row_limit",
    "spectral_loss_identity",
    "psd_part_cases",
    "spectral_scalar_kkt",
    "spectral_stationary_eigenbasis",
    "inner_product_is_cosine_at_rescaled_tau",
]

TAU = sp.Symbol("tau", positive=True)
"""Temperature tau > 0."""
DEGREE = sp.Symbol("d", positive=True)
"""A node's degree d_i >= 1 (isolated nodes contribute 0 to both the loss and the bound)."""
RATIO = sp.Symbol("u", positive=True)
"""The argument u = d_i q_ij of the Gibbs certificate function."""
N_ORIG = sp.Symbol("n", positive=True)
"""N', the number of original samples (components of the views graph)."""
N_VIEWS = sp.Symbol("V", positive=True)
"""V, the number of views of each sample."""
SEPARATION = sp.Symbol("delta", positive=True)
"""delta = 1 - max cosine between two different components' directions."""
SAME_SIGN = sp.Symbol("m", positive=True)
"""K = 1: the number of components whose views sit at the same sign."""
N_SAME = sp.Symbol("n_s", positive=True)
"""K = 1: the number of nodes sharing a node's sign, itself included."""
EIGENVALUE = sp.Symbol("lambda", real=True)
"""An eigenvalue of G."""
SAME_COMPONENT = sp.Symbol("p", nonnegative=True)
"""(G + I)_ij: 1 when i and j are in the same component of the views graph, else 0."""

GIBBS_TERM = DEGREE * sp.log(DEGREE)
"""Row i's share d_i log d_i of the Gibbs lower bound B = sum_i d_i log d_i."""

PHI = RATIO - 1 - sp.log(RATIO)
"""phi(u) = u - 1 - log u: the Gibbs certificate function, >= 0 with equality only at u = 1."""

GAP_BOUND = (
    N_ORIG * N_VIEWS * (N_VIEWS - 1)
    * sp.log(1 + N_VIEWS * (N_ORIG - 1) / (N_VIEWS - 1) * sp.exp(-SEPARATION / TAU))
)
"""Gap L - B of the views graph when each component collapses to one unit vector and every pair
of components has cosine <= 1 - delta: an upper bound, equal to the gap when all pairs have
cosine exactly 1 - delta (the regular simplex, delta = N'/(N'-1))."""

SIMPLEX_SEPARATION = N_ORIG / (N_ORIG - 1)
"""1 - (-1/(N'-1)): the separation of the regular simplex of N' unit vectors (K >= N' - 1)."""

CIRCLE_SEPARATION = 1 - sp.cos(2 * sp.pi / N_ORIG)
"""The separation of N' equally spaced unit vectors on a circle (any K >= 2)."""

SIMPLEX_GRAM_ENTRY = N_ORIG / (N_ORIG - 1) * (SAME_COMPONENT - 1 / N_ORIG)
"""Entry (i, j) of (N'/(N'-1)) H (G + I) H for the views graph, as a function of (G + I)_ij:
the Gram matrix of the regular simplex over components (1 on components, -1/(N'-1) across)."""

ONE_D_LIMIT_BLOCK = (
    N_VIEWS * SAME_SIGN * (N_VIEWS - 1)
    * sp.log((N_VIEWS * SAME_SIGN - 1) / (N_VIEWS - 1))
)
"""K = 1, tau -> 0: the limit gap contributed by the V m nodes of m collapsed components sharing
one sign (0 when m = 0); the limit gap of a sign pattern is the sum over the two signs."""

PSD_PART = (EIGENVALUE + sp.Abs(EIGENVALUE)) / 2
"""max(lambda, 0), written with Abs so that it lambdifies to torch: the eigenvalue of the best
rank-K positive semi-definite approximation of G along a kept eigenvector."""


# -------------------------------------------------------------------------------------------
# Symbolic losses
# -------------------------------------------------------------------------------------------


def simclr_loss_symbolic(G: sp.Matrix, S: sp.Matrix) -> sp.Expr:
    """BL22 Sec. 2.3's loss sum_ij G_ij (log sum_{k != i} exp(S_ik) - S_ij) for explicit G, S.

    Parameters
    ----------
    G : sympy.Matrix of shape (N, N)
        Relation matrix (symmetric, zero diagonal).
    S : sympy.Matrix of shape (N, N)
        Similarities divided by tau (only off-diagonal entries are used).
    """
    n = G.shape[0]
    total = sp.Integer(0)
    for i in range(n):
        lse = sp.log(sum(sp.exp(S[i, k]) for k in range(n) if k != i))
        total += sum(G[i, j] * (lse - S[i, j]) for j in range(n) if G[i, j] != 0)
    return total


def gibbs_certificate_symbolic(G: sp.Matrix, S: sp.Matrix) -> sp.Expr:
    """sum_i [sum_{j in P(i)} phi(d_i q_ij) + d_i sum_{k not in P(i), k != i} q_ik] (>= 0)."""
    n = G.shape[0]
    total = sp.Integer(0)
    for i in range(n):
        d = sum(G[i, j] for j in range(n))
        if d == 0:
            continue
        partition = sum(sp.exp(S[i, k]) for k in range(n) if k != i)
        for k in range(n):
            if k == i:
                continue
            q = sp.exp(S[i, k]) / partition
            total += PHI.subs(RATIO, d * q) if G[i, k] != 0 else d * q
    return total


def views_relation_symbolic(n_orig: int, n_views: int) -> sp.Matrix:
    """G = (1_V 1_V^T - I_V) kron I_{N'} (BL22 Sec. 2.1): row v N' + i is view v of sample i."""
    n = n_orig * n_views
    return sp.Matrix(n, n, lambda i, j: 1 if i != j and i % n_orig == j % n_orig else 0)


def _symmetric_similarities(n: int) -> sp.Matrix:
    """A symmetric n x n matrix of real symbols s_i_j (zero diagonal; never read)."""
    def entry(i: int, j: int) -> sp.Expr:
        if i == j:
            return sp.Integer(0)
        return sp.Symbol(f"s_{min(i, j)}_{max(i, j)}", real=True)

    return sp.Matrix(n, n, entry)


# -------------------------------------------------------------------------------------------
# BL22-C4a: Gibbs lower bound
# -------------------------------------------------------------------------------------------


def gibbs_row_identity(n_pos: int, n_neg: int) -> Derivation:
    """One row: loss_i - d log d = sum_P phi(d q_j) + d sum_M q_k, with d = |P| positives.

    The row has ``n_pos`` positives with similarities x_j and ``n_neg`` non-positives with
    similarities y_k (all real symbols, any values): the identity holds for every Z and tau.
    """
    x = sp.symbols(f"x0:{n_pos}", real=True)
    y = sp.symbols(f"y0:{n_neg}", real=True)
    partition = sum(sp.exp(v) for v in x + y)
    loss = sum(sp.log(partition) - v for v in x)
    d = sp.Integer(n_pos)
    cert = (sum(PHI.subs(RATIO, d * sp.exp(v) / partition) for v in x)
            + d * sum(sp.exp(v) / partition for v in y))
    return Derivation(
        f"row with {n_pos} positives, {n_neg} non-positives: loss_i - d_i log d_i = certificate",
        loss - GIBBS_TERM.subs(DEGREE, d) - cert,
        assumptions=["similarities real (cosine / tau, any tau > 0)", "d_i = |P(i)| >= 1"],
    )


def gibbs_graph_identity() -> Derivation:
    """L - B = certificate for the 4-node path (degrees 1, 2, 2, 1), symbolic similarities."""
    G = sp.Matrix([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]])
    S = _symmetric_similarities(4)
    bound = sum(GIBBS_TERM.subs(DEGREE, sum(G.row(i))) for i in range(4))
    return Derivation(
        "L_simCLR - sum_i d_i log d_i = Gibbs certificate (path graph, unequal degrees)",
        simclr_loss_symbolic(G, S) - bound - gibbs_certificate_symbolic(G, S),
        assumptions=["G symmetric, zero diagonal", "S symmetric real"],
    )


def gibbs_term_identity() -> Derivation:
    """The general step: -log(d q) = phi(d q) - (d q - 1) for every positive d q.

    Summed over j in P(i) with sum_{j in P(i)} q_ij = 1 - sum_{k not in P(i)} q_ik it gives the
    row identity of :func:`gibbs_row_identity` for every d and every number of non-positives,
    because -log(d_i q_ij) = lse_i - s_ij - log d_i.
    """
    return Derivation(
        "-log(u) = phi(u) - (u - 1) for u = d_i q_ij > 0",
        -sp.log(RATIO) - (PHI - (RATIO - 1)),
        assumptions=["u > 0"],
    )


def phi_nonnegative() -> Derivation:
    """min_{u > 0} phi(u) = 0 (sympy's global minimum over the open half line)."""
    return Derivation(
        "min over u > 0 of u - 1 - log u is 0 (Gibbs' inequality, log u <= u - 1)",
        minimum(PHI, RATIO, sp.Interval.open(0, sp.oo)),
        assumptions=["u > 0"],
    )


def phi_vanishes_only_at_one() -> list[Derivation]:
    """phi(1) = 0, phi'(1) = 0 and phi'' = 1/u^2 > 0: the unique zero is u = 1 (equality case)."""
    return [
        Derivation("phi(1) = 0", PHI.subs(RATIO, 1)),
        Derivation("phi'(1) = 0", sp.diff(PHI, RATIO).subs(RATIO, 1)),
        Derivation("phi''(u) = 1/u^2 (> 0: strictly convex)",
                   sp.diff(PHI, RATIO, 2) - 1 / RATIO**2, assumptions=["u > 0"]),
    ]


# -------------------------------------------------------------------------------------------
# BL22-C4b: the gap to the bound on the views graph, tau -> 0
# -------------------------------------------------------------------------------------------

# V = 1 + w, N' = 1 + r with w, r > 0, so that sympy can split the logarithms (V >= 2, N' >= 2).
_W, _R = sp.symbols("w r", positive=True)
_AT_LEAST_TWO = {N_VIEWS: 1 + _W, N_ORIG: 1 + _R}


def simplex_row_gap() -> Derivation:
    """Row loss at the collapsed simplex minus (V-1) log(V-1) equals GAP_BOUND / N, every tau.

    A view's V - 1 positives sit at cosine 1, the V (N'-1) views of the other samples at cosine
    -1/(N'-1), so row i contributes (V-1) [log((V-1) e^{1/tau} + V (N'-1) e^{-1/((N'-1) tau)})
    - 1/tau]; summed over the N = N' V rows this is B + GAP_BOUND with delta = N'/(N'-1).
    """
    v, n = N_VIEWS, N_ORIG
    row = (v - 1) * (sp.log((v - 1) * sp.exp(1 / TAU)
                            + v * (n - 1) * sp.exp(-1 / ((n - 1) * TAU))) - 1 / TAU)
    gap = GAP_BOUND.subs(SEPARATION, SIMPLEX_SEPARATION) / (n * v)
    residual = (row - GIBBS_TERM.subs(DEGREE, v - 1) - gap).subs(_AT_LEAST_TWO)
    return Derivation(
        "views graph at the collapsed regular simplex: L - B = GAP_BOUND(delta = N'/(N'-1))",
        residual,
        assumptions=["V >= 2, N' >= 2", "every tau > 0"],
    )


def collapsed_row_gap(n_orig: int) -> Derivation:
    """Collapsed components at any directions: the row gap is
    (V-1) log(1 + V/(V-1) sum_m e^{-(1 - c_m)/tau}).

    With the N' - 1 other components at cosines c_m <= 1 - delta, each term e^{-(1 - c_m)/tau} is
    <= e^{-delta/tau}, so the total gap is <= GAP_BOUND (log is increasing).
    """
    v = N_VIEWS
    cosines = sp.symbols(f"c1:{n_orig}", real=True)
    row = (v - 1) * (sp.log((v - 1) * sp.exp(1 / TAU)
                            + v * sum(sp.exp(c / TAU) for c in cosines)) - 1 / TAU)
    gap = (v - 1) * sp.log(1 + v / (v - 1) * sum(sp.exp(-(1 - c) / TAU) for c in cosines))
    return Derivation(
        f"N'={n_orig} collapsed components at cosines c_m: row gap in closed form",
        (row - GIBBS_TERM.subs(DEGREE, v - 1) - gap).subs(_AT_LEAST_TWO),
        assumptions=["V >= 2", "positives coincide (cosine 1)"],
    )


def gap_bound_limit() -> Derivation:
    """lim_{tau -> 0+} GAP_BOUND = 0 for every separation delta > 0."""
    return Derivation(
        "GAP_BOUND -> 0 as tau -> 0+ (delta > 0)",
        sp.limit(GAP_BOUND.subs(_AT_LEAST_TWO), TAU, 0, "+"),
        assumptions=["delta > 0 (components at pairwise distinct directions)"],
    )


def simplex_loss_explicit() -> Derivation:
    """The loss of the N'=3, V=2 views graph at the collapsed triangle, from the loss formula."""
    n_orig, n_views = 3, 2
    G = views_relation_symbolic(n_orig, n_views)
    n = G.shape[0]
    cos = sp.Matrix(n, n, lambda i, j: 1 if i % n_orig == j % n_orig else sp.Rational(-1, 2))
    bound = sum(GIBBS_TERM.subs(DEGREE, sum(G.row(i))) for i in range(n))
    gap = GAP_BOUND.subs(SEPARATION, SIMPLEX_SEPARATION).subs({N_ORIG: n_orig,
                                                                N_VIEWS: n_views})
    return Derivation(
        "N'=3, V=2 at the collapsed triangle: L_simCLR - B = GAP_BOUND(delta = 3/2)",
        simclr_loss_symbolic(G, cos / TAU) - bound - gap,
        assumptions=["every tau > 0"],
    )


def one_d_row_limit() -> Derivation:
    """K = 1: lim_{tau->0} of a row's gap when its sign group has n_s nodes and its V - 1
    positives share its sign: (V-1) [log((n_s - 1) e^{1/tau} + n_o e^{-1/tau}) - 1/tau]
    - (V-1) log(V-1) -> (V-1) log((n_s - 1)/(V-1)). Summed over the V m nodes of a sign group,
    this is :data:`ONE_D_LIMIT_BLOCK` (> 0 as soon as the group holds m >= 2 components).
    """
    n_opp = sp.Symbol("n_o", positive=True)
    v, ns = N_VIEWS, N_SAME
    row_gap = ((v - 1) * (sp.log((ns - 1) * sp.exp(1 / TAU) + n_opp * sp.exp(-1 / TAU)) - 1 / TAU)
               - GIBBS_TERM.subs(DEGREE, v - 1))
    # n_s = V m >= 2 nodes; write n_s = 1 + t with t > 0 so that the logarithms split.
    t = sp.Symbol("t", positive=True)
    limit = sp.limit(row_gap.subs({ns: 1 + t}).subs(_AT_LEAST_TWO), TAU, 0, "+")
    block_row = (ONE_D_LIMIT_BLOCK / (N_VIEWS * SAME_SIGN)).subs(SAME_SIGN, N_SAME / N_VIEWS)
    return Derivation(
        "K=1, tau -> 0: row gap -> (V-1) log((n_s - 1)/(V-1)), n_s = V m",
        sp.expand_log(limit - block_row.subs({ns: 1 + t}).subs(_AT_LEAST_TWO), force=True),
        assumptions=["V >= 2", "n_s = V m >= 2", "positives share the row's sign",
                     "log of positive quantities split (force)"],
    )


# -------------------------------------------------------------------------------------------
# BL22-C4c: the optimum's Gram matrix = classical MDS of the component kernel
# -------------------------------------------------------------------------------------------


def _centring(n: int) -> sp.Matrix:
    return sp.eye(n) - sp.ones(n, n) / n


def views_kernel_centring(n_orig: int, n_views: int) -> list[Derivation]:
    """G + I = kron(1 1^T, I_{N'}) and H (G + I) H = (G + I) - 1 1^T / N' (explicit sizes)."""
    G = views_relation_symbolic(n_orig, n_views)
    n = G.shape[0]
    kernel = G + sp.eye(n)
    kron = sp.kronecker_product(sp.ones(n_views, n_views), sp.eye(n_orig))
    H = _centring(n)
    return [
        Derivation(f"G + I = kron(1 1^T, I) (N'={n_orig}, V={n_views})", kernel - kron),
        Derivation(f"H (G+I) H = (G+I) - 1 1^T / N' (N'={n_orig}, V={n_views})",
                   H * kernel * H - (kernel - sp.ones(n, n) / n_orig)),
    ]


def classical_mds_of_components(n_orig: int, n_views: int) -> Derivation:
    """-1/2 H D2 H = H (G + I) H for the component distances D2 = 2 (1 1^T - (G + I)).

    So classical MDS of "distance 0 within a sample's views, sqrt(2) across samples" and kernel
    PCA of the kernel G + I are the same embedding.
    """
    G = views_relation_symbolic(n_orig, n_views)
    n = G.shape[0]
    kernel = G + sp.eye(n)
    D2 = 2 * (sp.ones(n, n) - kernel)
    H = _centring(n)
    return Derivation(
        f"classical MDS kernel of the component distances = H (G+I) H (N'={n_orig}, V={n_views})",
        -H * D2 * H / 2 - H * kernel * H,
    )


def simplex_gram_spectrum(n_orig: int, n_views: int) -> list[Derivation]:
    """M = H (G+I) H: M^2 = V M (eigenvalues in {0, V}) and tr M = V (N'-1), so rank M = N' - 1;
    the entries of (N'/(N'-1)) M are SIMPLEX_GRAM_ENTRY: unit diagonal, -1/(N'-1) across."""
    G = views_relation_symbolic(n_orig, n_views)
    n = G.shape[0]
    kernel = G + sp.eye(n)
    M = _centring(n) * kernel * _centring(n)
    gram = sp.Matrix(n, n, lambda i, j: SIMPLEX_GRAM_ENTRY.subs(
        {N_ORIG: n_orig, SAME_COMPONENT: kernel[i, j]}))
    return [
        Derivation(f"M^2 = V M (N'={n_orig}, V={n_views})", M * M - n_views * M),
        Derivation(f"tr M = V (N'-1) (N'={n_orig}, V={n_views})",
                   M.trace() - n_views * (n_orig - 1)),
        Derivation(f"(N'/(N'-1)) M = SIMPLEX_GRAM_ENTRY entrywise (N'={n_orig}, V={n_views})",
                   n_orig * M / (n_orig - 1) - gram),
    ]


def _gradient_at(G: sp.Matrix, config: sp.Matrix) -> sp.Matrix:
    """d L_simCLR(Z; G, tau) / dZ at Z = config (explicit N x K), a function of tau."""
    n, k = config.shape
    Z = symbolic_matrix("z", n, k, real=True)
    rows = [Z.row(i) / sp.sqrt((Z.row(i) * Z.row(i).T)[0]) for i in range(n)]
    S = sp.Matrix(n, n, lambda i, j: (rows[i] * rows[j].T)[0] / TAU)
    loss = simclr_loss_symbolic(G, S)
    at = {Z[i, j]: config[i, j] for i in range(n) for j in range(k)}
    return sp.Matrix(n, k, lambda i, j: sp.diff(loss, Z[i, j]).xreplace(at))


def _circle(n_points: int, n_rows: int) -> sp.Matrix:
    """Row i at angle 2 pi (i mod n_points) / n_points on the unit circle, (n_rows, 2)."""
    return sp.Matrix(n_rows, 2, lambda i, j: (sp.cos, sp.sin)[j](2 * sp.pi * (i % n_points)
                                                                  / n_points))


def simplex_stationary_explicit() -> Derivation:
    """d L_simCLR / dZ = 0 at the collapsed triangle (N'=3, V=2, K=2), symbolically in tau."""
    n_orig, n_views = 3, 2
    G = views_relation_symbolic(n_orig, n_views)
    return Derivation(
        "gradient of L_simCLR at the collapsed triangle is 0 for every tau (N'=3, V=2, K=2)",
        _gradient_at(G, _circle(n_orig, n_orig * n_views)),
        assumptions=["every tau > 0", "Z rows normalised inside the loss (cosine)"],
    )


def ring_relation_symbolic(n: int) -> sp.Matrix:
    """The cycle C_n: i ~ i +- 1 (mod n)."""
    return sp.Matrix(n, n, lambda i, j: 1 if (i - j) % n in (1, n - 1) else 0)


def ring_circle_stationary(n: int) -> Derivation:
    """d L_simCLR / dZ = 0 on the ring C_n at the equally spaced circle (K=2), every tau."""
    return Derivation(
        f"gradient of L_simCLR on the ring C_{n} at the equally spaced circle is 0 for every tau",
        _gradient_at(ring_relation_symbolic(n), _circle(n, n)),
        assumptions=["every tau > 0"],
    )


def ring_isomap_circle(n: int) -> list[Derivation]:
    """Kernel ISOMAP of the ring C_n: B = -1/2 H D2 H of its hop distances has the circle's
    coordinates cos(2 pi i/n), sin(2 pi i/n) as eigenvectors with one eigenvalue mu, and mu is
    B's largest eigenvalue (checked through the characteristic polynomial's largest root), so
    ISOMAP's two-component embedding is the equally spaced circle."""
    hops = sp.Matrix(n, n, lambda i, j: min((i - j) % n, (j - i) % n))
    H = _centring(n)
    B = -H * hops.applyfunc(lambda e: e**2) * H / 2
    circle = _circle(n, n)
    cos_col, sin_col = circle.col(0), circle.col(1)
    mu = sp.nsimplify(sp.simplify((cos_col.T * B * cos_col)[0] / (cos_col.T * cos_col)[0]))
    largest = max(sp.Poly(B.charpoly().as_expr(), B.charpoly().gen).real_roots())
    return [
        Derivation(f"ring C_{n}: B cos = mu cos", (B * cos_col - mu * cos_col).applyfunc(
            sp.simplify)),
        Derivation(f"ring C_{n}: B sin = mu sin", (B * sin_col - mu * sin_col).applyfunc(
            sp.simplify)),
        Derivation(f"ring C_{n}: mu is B's largest eigenvalue", mu - largest),
    ]


def class_relation_symbolic(sizes: tuple[int, ...]) -> tuple[sp.Matrix, sp.Matrix]:
    """Class graph of consecutive classes of the given sizes, and its indicators Y (N, C):
    G = Y Y^T - I."""
    labels = [c for c, size in enumerate(sizes) for _ in range(size)]
    n = len(labels)
    Y = sp.Matrix(n, len(sizes), lambda i, c: 1 if labels[i] == c else 0)
    return Y * Y.T - sp.eye(n), Y


def _centred_indicators(sizes: tuple[int, ...]) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """(G, Y, rows e_c - s/N) of the class graph with the given sizes."""
    G, Y = class_relation_symbolic(sizes)
    n = G.shape[0]
    rows = sp.Matrix(n, len(sizes), lambda i, c: Y[i, c] - sp.Rational(sizes[c], n))
    return G, Y, rows


def centred_indicator_rows(sizes: tuple[int, ...]) -> list[Derivation]:
    """The classical MDS / kernel PCA candidate of a class graph: H Y has rows e_c - s / N
    (s the class sizes) and (H Y)(H Y)^T = H (G + I) H, so these rows ARE the candidate
    embedding up to rotation (rank C - 1)."""
    G, Y, rows = _centred_indicators(sizes)
    n = G.shape[0]
    H = _centring(n)
    return [
        Derivation(f"H Y = [e_c - s/N] (sizes {sizes})", H * Y - rows),
        Derivation(f"(H Y)(H Y)^T = H (G + I) H (sizes {sizes})",
                   rows * rows.T - H * (G + sp.eye(n)) * H),
    ]


def kernel_pca_candidate_stationary(sizes: tuple[int, ...]) -> Derivation:
    """d L_simCLR / d z_0 = 0 at the candidate rows e_c - s/N, for every tau?

    Zero for equal sizes (the candidate is then the collapsed regular simplex); for unequal
    sizes the residual is a nonzero function of tau: the candidate is not even a stationary
    point. Only row 0 is made symbolic (the loss is differentiated in its C entries), which
    keeps the expression small.
    """
    G, _, candidate = _centred_indicators(sizes)
    n, k = candidate.shape
    z0 = sp.symbols(f"z0:{k}", real=True)
    Z = candidate.copy()
    for c in range(k):
        Z[0, c] = z0[c]
    rows = [Z.row(i) / sp.sqrt((Z.row(i) * Z.row(i).T)[0]) for i in range(n)]
    S = sp.Matrix(n, n, lambda i, j: (rows[i] * rows[j].T)[0] / TAU)
    loss = simclr_loss_symbolic(G, S)
    at = {z0[c]: candidate[0, c] for c in range(k)}
    return Derivation(
        f"gradient of L_simCLR w.r.t. z_0 at the kernel-PCA candidate is 0 (sizes {sizes})",
        sp.Matrix([sp.diff(loss, v) for v in z0]).xreplace(at),
        assumptions=["every tau > 0"],
    )


SIMPLEX_MINIMUM = N_ORIG * N_VIEWS * (N_VIEWS - 1) * sp.log(
    N_VIEWS - 1 + N_VIEWS * (N_ORIG - 1) * sp.exp(-SIMPLEX_SEPARATION / TAU))
"""min_Z L_simCLR on the views graph (N' samples, V views, K >= N' - 1, every tau): the loss of
the collapsed regular simplex, a lower bound on every Z (:func:`simplex_global_bound`)."""


def simplex_global_bound() -> list[Derivation]:
    """L_simCLR >= SIMPLEX_MINIMUM on the views graph, for every N' >= 2, V >= 2, tau > 0, with
    equality only at the collapsed regular simplex (module docstring; symbols N', V, tau).

    Cosines c are in units of 1/tau: s = c / tau. Row i of the loss is
    p lse_i - sum_{j in P(i)} s_ij with lse_i >= log(p e^{pbar} + n e^{nbar}) (Jensen on exp
    within positives and within negatives; equality iff each group's cosines are equal).

    Returns
    -------
    list of Derivation
        (1) p log(p e^{pbar} + n e^{nbar}) - p pbar = p phi(nbar - pbar) (on the logs'
        arguments); (2) phi'' > 0 (explicit formula) and phi' > 0; (3) the mean of x_i at
        S_pos = N p (every positive cosine 1) and sum u = 0 is -N'/(N'-1), and
        d(mean x)/dS_pos < 0; (4) N p phi at that value is SIMPLEX_MINIMUM, and so is the loss
        of the collapsed simplex (positive cosines 1, negative -1/(N'-1)), row by row. The
        identity sum_{i != k} u_i^T u_k = ||sum u||^2 - N for unit u is
        :func:`derivations.bl22.rank.simplex_centring`.
    """
    p, n = N_VIEWS - 1, N_VIEWS * (N_ORIG - 1)
    big_n = N_VIEWS * N_ORIG
    pbar, nbar, x, total = sp.symbols("pbar nbar x S_pos", real=True)
    phi = sp.log(p + n * sp.exp(x / TAU))
    # mean over anchors of x_i, with sum_neg = ||sum u||^2 - N - S_pos at sum u = 0.
    mean_x = (-big_n - total) / (big_n * n) - total / (big_n * p)
    extreme = -SIMPLEX_SEPARATION
    # Row i at the simplex: p lse_i - p / tau, lse_i = log(p e^{1/tau} + n e^{-1/((N'-1) tau)}).
    simplex_sum = p * sp.exp(1 / TAU) + n * sp.exp(-1 / ((N_ORIG - 1) * TAU))
    assumptions = ["views graph: p = V - 1 positives, n = V (N'-1) negatives per anchor",
                   "rows normalised (cosine similarity), N' >= 2, V >= 2"]
    return [
        # log A - a = log(A e^{-a}): each log identity below is checked on its argument.
        Derivation("row i >= p log(p e^{pbar} + n e^{nbar}) - p pbar = p phi(nbar - pbar)",
                   (p * sp.exp(pbar / TAU) + n * sp.exp(nbar / TAU)) * sp.exp(-pbar / TAU)
                   - sp.exp(phi.subs(x, nbar - pbar)), assumptions),
        Derivation("phi'' = p n e^{x/tau} / (tau^2 (p + n e^{x/tau})^2) > 0 (convex)",
                   sp.diff(phi, x, 2)
                   - p * n * sp.exp(x / TAU) / (TAU**2 * (p + n * sp.exp(x / TAU)) ** 2),
                   assumptions),
        Derivation("phi' = n e^{x/tau} / (tau (p + n e^{x/tau})) > 0 (increasing)",
                   sp.diff(phi, x) - n * sp.exp(x / TAU) / (TAU * (p + n * sp.exp(x / TAU))),
                   assumptions),
        Derivation("mean of x_i at S_pos = N p (positive cosines 1), sum u = 0: -N'/(N'-1)",
                   mean_x.subs(total, big_n * p) - extreme, assumptions),
        Derivation("d(mean of x_i)/dS_pos = -(1/n + 1/p)/N < 0",
                   sp.diff(mean_x, total) + (1 / n + 1 / p) / big_n, assumptions),
        Derivation("N p phi(-N'/(N'-1)) = SIMPLEX_MINIMUM",
                   big_n * p * phi.subs(x, extreme) - SIMPLEX_MINIMUM, assumptions,
                   closed_form=SIMPLEX_MINIMUM, closed_form_symbols=(N_ORIG, N_VIEWS, TAU)),
        Derivation("the collapsed simplex's rows: p lse_i - p/tau = p phi(-N'/(N'-1)), so its "
                   "loss is SIMPLEX_MINIMUM",
                   simplex_sum * sp.exp(-1 / TAU) - sp.exp(phi.subs(x, extreme)), assumptions),
    ]


# -------------------------------------------------------------------------------------------
# BL22-C4d: spectral contrastive loss, Eckart-Young
# -------------------------------------------------------------------------------------------


def spectral_loss_identity(n: int, k: int) -> Derivation:
    """-2 sum_ij G_ij z_i^T z_j + sum_ij (z_i^T z_j)^2 = ||Z Z^T - G||_F^2 - ||G||_F^2."""
    Z = symbolic_matrix("z", n, k, real=True)
    G = sp.Matrix(n, n, lambda i, j: 0 if i == j else sp.Symbol(
        f"g_{min(i, j)}_{max(i, j)}", real=True))
    gram = Z * Z.T
    lhs = -2 * sum(G[i, j] * gram[i, j] for i in range(n) for j in range(n)) + sum(
        gram[i, j] ** 2 for i in range(n) for j in range(n))
    rhs = sum(e**2 for e in gram - G) - sum(e**2 for e in G)
    return Derivation(f"spectral contrastive loss = ||ZZ^T - G||^2 - ||G||^2 (N={n}, K={k})",
                      lhs - rhs, assumptions=["sum over all ordered pairs, i = j included"])


def psd_part_cases() -> list[Derivation]:
    """PSD_PART = lambda for lambda > 0 and 0 for lambda <= 0."""
    pos = sp.Symbol("lambda_p", positive=True)
    nonpos = sp.Symbol("lambda_n", nonpositive=True)
    return [
        Derivation("PSD_PART(lambda) = lambda for lambda > 0",
                   PSD_PART.subs(EIGENVALUE, pos) - pos),
        Derivation("PSD_PART(lambda) = 0 for lambda <= 0", PSD_PART.subs(EIGENVALUE, nonpos)),
    ]


def spectral_scalar_kkt() -> list[Derivation]:
    """Along one eigenvector: f(c) = (lambda - c)^2 - lambda^2 over c >= 0 is minimised at
    c = PSD_PART(lambda): f'(lambda) = 0 with f'' = 2 > 0 when lambda > 0; f'(0) = 2|lambda| >= 0
    (KKT at the boundary c = 0) when lambda <= 0."""
    c = sp.Symbol("c", nonnegative=True)
    pos = sp.Symbol("lambda_p", positive=True)
    nonpos = sp.Symbol("lambda_n", nonpositive=True)
    f = (EIGENVALUE - c) ** 2 - EIGENVALUE**2
    df = sp.diff(f, c)
    return [
        Derivation("f'(c) = 0 at c = lambda > 0", df.subs({EIGENVALUE: pos, c: pos})),
        Derivation("f''(c) = 2", sp.diff(f, c, 2) - 2),
        Derivation("f'(0) = 2 |lambda| for lambda <= 0 (KKT multiplier >= 0)",
                   df.subs({EIGENVALUE: nonpos, c: 0}) - 2 * sp.Abs(nonpos)),
        Derivation("optimal value f(PSD_PART) = -PSD_PART^2 for lambda > 0",
                   f.subs(c, pos).subs(EIGENVALUE, pos) + PSD_PART.subs(EIGENVALUE, pos) ** 2),
    ]


def spectral_stationary_eigenbasis(n: int, k: int) -> Derivation:
    """In G's eigenbasis (the loss is invariant under Z -> Q Z, G -> Q G Q^T), G = diag(lambda)
    with lambda_1 >= ...: the gradient -4 G Z + 4 Z Z^T Z vanishes at
    Z = [e_j PSD_PART(lambda_j)^(1/2)]_{j <= K}."""
    lam = [sp.Symbol(f"lambda_{j}", positive=True) for j in range(k)]
    rest = [sp.Symbol(f"lambda_{j}", real=True) for j in range(k, n)]
    G = sp.diag(*(lam + rest))
    Z = sp.zeros(n, k)
    for j in range(k):
        Z[j, j] = sp.sqrt(PSD_PART.subs(EIGENVALUE, lam[j]))
    return Derivation(
        f"-4 G Z + 4 Z Z^T Z = 0 at the Eckart-Young point (N={n}, K={k}, top-K positive)",
        -4 * G * Z + 4 * Z * Z.T * Z,
        assumptions=["G in its eigenbasis (orthogonal invariance of the Frobenius norm)"],
    )


def inner_product_is_cosine_at_rescaled_tau() -> Derivation:
    """Inner-product similarity on rows c u_i (unit u_i): c^2 u_i^T u_j / tau is the cosine
    similarity at temperature tau / c^2, so scaling Z up is tau -> 0: the inner-product InfoNCE
    has infimum B (BL22-C4b) and no minimiser (the Gibbs certificate is > 0 for finite s)."""
    c = sp.Symbol("c", positive=True)
    cosine = sp.Symbol("kappa", real=True)  # u_i^T u_j
    return Derivation(
        "(c u_i)^T (c u_j) / tau = u_i^T u_j / (tau / c^2)",
        (c**2 * cosine) / TAU - cosine / (TAU / c**2),
    )
