"""GA23 Sec. 3 protocols: random embedding matrices, normalisations and trained embeddings for the
duality claims (GA23-D2, T1, C0, L1, C1, E1).

K is (M, N) as in GA23 (columns = samples); everything is float64. Random draws are made on a
seeded CPU generator and then moved to ``device``, so a seed gives the same matrix everywhere.
The closed forms these matrices are compared with live in :mod:`derivations.ga23.duality`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from torch_impl.fit import Curvature, HingeObjective, NotConverged
from torch_impl.fit.curvature import measure
from torch_impl.losses import (
    SIMCLR_VARIANTS,
    barlow_twins_loss_convention,
    dimension_contrastive_criterion,
    sample_contrastive_criterion,
    simclr_two_branch_loss,
    spectral_contrastive_two_branch_loss,
    total_coding_rate_loss,
    vicreg_ctr_loss,
    vicreg_exp_loss,
    vicreg_loss_convention,
)

__all__ = [
    "DTYPE",
    "FAMILIES",
    "METHODS",
    "SCALING_TOL",
    "RANK_RTOL",
    "random_matrix",
    "normalise_columns",
    "normalise_rows",
    "DoublyNormalised",
    "doubly_normalise",
    "DualityTerms",
    "duality_terms",
    "relative_difference",
    "closed_form",
    "constant_matrix",
    "one_row_matrix",
    "interval_position",
    "CRITERIA",
    "Minimised",
    "minimise_doubly_normalised",
    "tangent_curvature",
    "train_branches",
]

DTYPE = torch.float64
FAMILIES = ("gaussian", "heavy_tailed", "low_rank", "integer")
"""The random matrix families of :func:`random_matrix`."""
SCALING_TOL = 1e-14
"""Alternating scaling stops when every row norm^2 is within this relative distance of its
target (columns are exact to round-off after the last column step)."""
_MAX_SCALING_STEPS = 20_000
RANK_RTOL = 1e-10
"""Numerical rank of the audited K: singular values above RANK_RTOL * s_max count. Random
doubly normalised K keep the generic singular values of their Gaussian draw (>= ~1e-4 of the
largest at the audited sizes), a rank-one K has the others at round-off (~1e-16)."""


def random_matrix(family: str, m: int, n: int, seed: int, *,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """A random (m, n) K of one family, float64.

    Parameters
    ----------
    family : {"gaussian", "heavy_tailed", "low_rank", "integer"}
        ``gaussian``: i.i.d. N(0, 1). ``heavy_tailed``: i.i.d. standard Cauchy (a ratio of
        Gaussians: norms spread over many decades). ``low_rank``: A B with A (m, r), B (r, n)
        Gaussian and r drawn in 1..min(m, n). ``integer``: i.i.d. integers in [-9, 9] (every
        criterion is then an exact integer in float64 for the audited sizes).
    m, n : int
        Shape, >= 1 each.
    seed : int
        Seed of the CPU generator.
    device : torch.device or str, default="cpu"

    Returns
    -------
    torch.Tensor of shape (m, n)
    """
    if m < 1 or n < 1:
        raise ValueError(f"m and n must be >= 1, got m={m}, n={n}")
    gen = torch.Generator().manual_seed(seed)
    if family == "gaussian":
        K = torch.randn(m, n, generator=gen, dtype=DTYPE)
    elif family == "heavy_tailed":
        K = torch.randn(m, n, generator=gen, dtype=DTYPE) / torch.randn(m, n, generator=gen,
                                                                        dtype=DTYPE)
    elif family == "low_rank":
        r = 1 + int(torch.randint(0, min(m, n), (1,), generator=gen))
        K = (torch.randn(m, r, generator=gen, dtype=DTYPE)
             @ torch.randn(r, n, generator=gen, dtype=DTYPE))
    elif family == "integer":
        K = torch.randint(-9, 10, (m, n), generator=gen).to(DTYPE)
    else:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    return K.to(device)


def _check_matrix(K: torch.Tensor) -> None:
    if not isinstance(K, torch.Tensor) or K.ndim != 2 or not K.is_floating_point():
        raise ValueError(f"K must be a 2-d floating tensor (M, N), got {type(K).__name__} "
                         f"{tuple(getattr(K, 'shape', ()))}")


def normalise_columns(K: torch.Tensor, norm: float = 1.0) -> torch.Tensor:
    """K with every column (embedding) scaled to Euclidean norm ``norm`` (M, N).

    Raises
    ------
    ValueError
        If a column of K is zero (its direction is undefined).
    """
    _check_matrix(K)
    col = K.norm(dim=0)
    if bool((col == 0).any()):
        raise ValueError("K has a zero column: cannot normalise it")
    return K * (norm / col)


def normalise_rows(K: torch.Tensor, norm: float = 1.0) -> torch.Tensor:
    """K with every row (dimension) scaled to Euclidean norm ``norm`` (M, N).

    Raises
    ------
    ValueError
        If a row of K is zero.
    """
    return normalise_columns(K.T, norm).T


@dataclass(frozen=True)
class DoublyNormalised:
    """A doubly normalised K and how the alternating scaling got there.

    Attributes
    ----------
    K : torch.Tensor of shape (M, N)
        Columns of norm ``column_norm`` (to round-off), rows of norm
        ``row_norm = column_norm sqrt(N / M)`` within ``deviation``.
    column_norm, row_norm : float
    steps : int
        Column-then-row scaling rounds used.
    deviation : float
        max_j | ||K_{j,.}||^2 / row_norm^2 - 1 | at return (<= SCALING_TOL).
    """

    K: torch.Tensor
    column_norm: float
    row_norm: float
    steps: int
    deviation: float


def doubly_normalise(K: torch.Tensor, *, column_norm: float = 1.0, tol: float = SCALING_TOL,
                     max_steps: int = _MAX_SCALING_STEPS) -> DoublyNormalised:
    """Scale rows and columns of K until every column has norm a and every row norm b.

    Alternating (Sinkhorn-like) scaling of the squared entries: the columns are scaled to norm
    a = ``column_norm``, then the rows to b = a sqrt(N / M) (the only common row norm compatible
    with ||K||_F^2 = N a^2 = M b^2, GA23-C0), repeated until, after a column step, every squared
    row norm is within ``tol`` (relative) of b^2. It converges when K has no zero entry (the
    squared entries are then a positive matrix: Sinkhorn's theorem); the result is
    D_rows K D_cols with positive diagonal D's, so K's rank and sign pattern are kept.

    Parameters
    ----------
    K : torch.Tensor of shape (M, N)
        No zero row or column.
    column_norm : float, default=1.0
    tol : float, default=SCALING_TOL
    max_steps : int, default=20000
        Scaling rounds before giving up.

    Returns
    -------
    DoublyNormalised

    Raises
    ------
    RuntimeError
        If the relative row deviation is still above ``tol`` after ``max_steps`` rounds.
    """
    _check_matrix(K)
    m, n = K.shape
    row_norm = column_norm * math.sqrt(n / m)
    X = normalise_columns(K, column_norm)
    for step in range(1, max_steps + 1):
        deviation = float((X.square().sum(dim=1) / row_norm**2 - 1).abs().max())
        if deviation <= tol:
            return DoublyNormalised(X, column_norm, row_norm, step - 1, deviation)
        X = normalise_columns(normalise_rows(X, row_norm), column_norm)
    raise RuntimeError(f"doubly_normalise: row norms still {deviation:.1e} (relative) from "
                       f"{row_norm} after {max_steps} rounds (tol={tol})")


@dataclass(frozen=True)
class DualityTerms:
    """The four quantities of GA23 Thm. 3.3 for one K, as Python floats.

    Attributes
    ----------
    l_c, l_nc : float
        L_c(K), L_nc(K) (GA23 Def. 3.2; torch_impl.losses criteria).
    col4, row4 : float
        sum_i ||K_{.,i}||^4 and sum_j ||K_{j,.}||^4.
    """

    l_c: float
    l_nc: float
    col4: float
    row4: float

    @property
    def duality_error(self) -> float:
        """|(L_nc + row4) - (L_c + col4)| relative to the larger side (both are >= 0)."""
        return relative_difference(self.l_nc + self.row4, self.l_c + self.col4)


def duality_terms(K: torch.Tensor) -> DualityTerms:
    """:class:`DualityTerms` of an (M, N) K (float64)."""
    _check_matrix(K)
    return DualityTerms(
        l_c=float(sample_contrastive_criterion.unchecked(K)),
        l_nc=float(dimension_contrastive_criterion.unchecked(K)),
        col4=float(K.square().sum(dim=0).square().sum()),
        row4=float(K.square().sum(dim=1).square().sum()))


def relative_difference(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|), and 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def closed_form(fn, *values: float) -> float:
    """A lambdified closed form (``derivations.base.lambdify_torch``) at plain numbers: each
    value becomes a 0-d float64 tensor (torch's pow rejects two Python ints)."""
    return float(fn(*(torch.tensor(float(v), dtype=DTYPE) for v in values)))


def constant_matrix(m: int, n: int, column_norm: float = 1.0, *,
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """The (m, n) matrix with every entry column_norm / sqrt(m): columns of norm a, equal rows
    (rank one, collapsed), Lemma 3.4 (a)'s lower bound."""
    return torch.full((m, n), column_norm / math.sqrt(m), dtype=DTYPE, device=device)


def one_row_matrix(m: int, n: int, column_norm: float = 1.0, *,
                   device: torch.device | str = "cpu") -> torch.Tensor:
    """The (m, n) matrix whose first row is column_norm and every other row 0: columns of norm
    a, all mass in one row (rank one, collapsed), Lemma 3.4 (a)'s upper bound."""
    K = torch.zeros(m, n, dtype=DTYPE, device=device)
    K[0] = column_norm
    return K


def interval_position(row4: float, m: int, n: int) -> float:
    """Where sum_j ||K_{j,.}||^4 of a unit-column K lies in Lemma 3.4 (a)'s interval
    [N^2/M, N^2]: 0 at the lower bound, 1 at the upper (M = 1: the interval is a point, 0)."""
    low, high = n**2 / m, float(n**2)
    return 0.0 if high == low else (row4 - low) / (high - low)


CRITERIA = {"l_c": sample_contrastive_criterion, "l_nc": dimension_contrastive_criterion}
"""The two criteria :func:`minimise_doubly_normalised` minimises (GA23 Def. 3.2)."""


@dataclass(frozen=True)
class Minimised:
    """The end of :func:`minimise_doubly_normalised`.

    Attributes
    ----------
    K : torch.Tensor of shape (M, N)
        Doubly normalised (unit columns, rows of norm sqrt(N / M)), a fixed point of the step.
    steps : int
        Steps taken.
    """

    K: torch.Tensor
    steps: int


def minimise_doubly_normalised(criterion: str, K: torch.Tensor, *, step: float = 0.5,
                               tol: float = 1e-12, max_steps: int = 3000) -> Minimised:
    """Minimise L_c or L_nc over the doubly normalised K (unit columns, rows of norm
    sqrt(N / M)) from the start ``K``.

    Each step moves along the criterion's Euclidean gradient g and returns to the set by
    :func:`doubly_normalise`: ``K <- doubly_normalise(K - (step / N) g)``. Its fixed points
    are the critical points of the constrained problem (K - lr g = D_1 K D_2 puts g in the
    normal space spanned by e_j e_j^T K and K e_i e_i^T). Stops when the step moves K by less
    than ``tol`` relative to ||K||_F.

    Parameters
    ----------
    criterion : {"l_c", "l_nc"}
    K : torch.Tensor of shape (M, N)
        Start; it is first doubly normalised.
    step : float, default=0.5
        Step size times N (the gradient scales like N).
    tol : float, default=1e-12
    max_steps : int, default=3000

    Returns
    -------
    Minimised

    Raises
    ------
    torch_impl.fit.NotConverged
        If the step still moves K by more than ``tol`` after ``max_steps`` steps.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {tuple(CRITERIA)}, got {criterion!r}")
    fn = CRITERIA[criterion].unchecked
    lr = step / K.shape[1]
    K = doubly_normalise(K).K
    for t in range(1, max_steps + 1):
        X = K.detach().requires_grad_()
        (grad,) = torch.autograd.grad(fn(X), X)
        moved = doubly_normalise(K - lr * grad).K
        change = float((moved - K).norm() / K.norm())
        K = moved
        if change <= tol:
            return Minimised(K, t)
    raise NotConverged(f"minimise_doubly_normalised({criterion!r}): the step still moves K by "
                       f"{change:.1e} (relative) after {max_steps} steps (tol={tol})")


def tangent_curvature(criterion: str, K: torch.Tensor) -> Curvature:
    """The second-order certificate of L_c or L_nc at a doubly normalised K (M, N).

    The smallest eigenvalue of the Hessian of the Lagrangian ``L + sum_j lam_j h_j`` on the
    tangent space of the set {h = 0}, h = (squared column norms - 1, squared row norms -
    N / M) (one of them dependent: both sum to ||K||_F^2), i.e. the Riemannian Hessian of L
    on the doubly normalised set, relative to its largest |eigenvalue|
    (:func:`torch_impl.fit.curvature.measure`). The equations are declared as the kinks of a
    :class:`~torch_impl.fit.HingeObjective` that K sits on (|h| ~ rounding), so that the
    library holds them at h = 0 with least-squares multipliers, as for VICReg's variance
    hinges. No continuous symmetry is quotiented out: a zero eigenvalue is a flat direction
    of the minimiser set.

    Parameters
    ----------
    criterion : {"l_c", "l_nc"}
    K : torch.Tensor of shape (M, N)
        On the set (e.g. :func:`minimise_doubly_normalised`'s end).

    Returns
    -------
    Curvature
        ``relative < -tolerance`` (tolerance 1e-9) would make K a saddle.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {tuple(CRITERIA)}, got {criterion!r}")
    fn = CRITERIA[criterion].unchecked
    m, n = K.shape

    def equations(k: torch.Tensor) -> torch.Tensor:
        return torch.cat([k.square().sum(0) - 1.0, k.square().sum(1) - n / m])

    residual = float(equations(K).abs().max())
    if residual > 1e-10:
        raise ValueError(f"K must be doubly normalised, its equations miss by {residual:.2e}")
    on_set = HingeObjective(fn, equations, 1.0)
    curvature, _ = measure(on_set, K, K.new_zeros(0, K.numel()), tolerance=1e-9,
                           lanczos_steps=200)
    return curvature


METHODS = ("simclr", "simclr-abs", "dcl", "spectral", "vicreg", "vicreg-exp", "vicreg-ctr",
           "barlow-twins", "tcr")
"""The methods :func:`train_branches` trains (GA23 Sec. 3-4; torch_impl.losses)."""
_TAU = 0.5


def _method_loss(method: str, z_a: torch.Tensor, z_b: torch.Tensor) -> torch.Tensor:
    """The method's two-branch loss at its codebase defaults (tau = 0.5 where one is needed)."""
    if method in ("simclr", "simclr-abs", "dcl"):
        return simclr_two_branch_loss.unchecked(z_a, z_b, tau=_TAU, **SIMCLR_VARIANTS[method])
    if method == "spectral":
        return spectral_contrastive_two_branch_loss.unchecked(z_a, z_b)
    if method == "vicreg":
        return vicreg_loss_convention.unchecked(z_a, z_b, convention="official")
    if method == "vicreg-exp":
        return vicreg_exp_loss.unchecked(z_a, z_b, tau=_TAU)
    if method == "vicreg-ctr":
        return vicreg_ctr_loss.unchecked(z_a, z_b, tau=_TAU)
    if method == "barlow-twins":
        return barlow_twins_loss_convention.unchecked(z_a, z_b, convention="official")
    if method == "tcr":
        # TCR is only a regulariser: our choice of positive term, the mean squared distance
        # of the two views' normalised embeddings, keeps the branches paired.
        pull = (torch.nn.functional.normalize(z_a, dim=1)
                - torch.nn.functional.normalize(z_b, dim=1)).square().sum(dim=1).mean()
        return (total_coding_rate_loss.unchecked(z_a) + total_coding_rate_loss.unchecked(z_b)
                + pull)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


_BETAS, _ADAM_EPS = (0.9, 0.999), 1e-8


def _adam(loss_fn, params: list[torch.Tensor], *, steps: int, lr: float) -> None:
    """Plain Adam (Kingma & Ba 2015, torch.optim.Adam's defaults), written out: torch.optim's
    first step imports its compile machinery (~5 s once per process), longer than the whole
    training here."""
    b1, b2 = _BETAS
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        grads = torch.autograd.grad(loss_fn(), params)
        with torch.no_grad():
            for p, g, m1, m2 in zip(params, grads, first, second, strict=True):
                m1.mul_(b1).add_(g, alpha=1 - b1)
                m2.mul_(b2).addcmul_(g, g, value=1 - b2)
                denom = (m2 / (1 - b2**t)).sqrt_().add_(_ADAM_EPS)
                p.addcdiv_(m1, denom, value=-lr / (1 - b1**t))


def train_branches(method: str, n: int, m: int, seed: int, *, steps: int = 300,
                   lr: float = 0.05, device: torch.device | str = "cpu") -> torch.Tensor:
    """K = z_a^T (M, N) after ``steps`` Adam steps on the method's loss over free branches.

    The two branches z_a, z_b (N, M) are free parameters (no encoder, no augmentation), drawn
    N(0, 1) from ``seed`` and trained with Adam (``lr``) for a fixed number of steps: a short,
    uncertified training, enough to move K from a random draw to the method's preferred
    geometry. Runs on one torch thread (the problem is tiny).

    Parameters
    ----------
    method : one of METHODS
    n, m : int
        Batch size N >= 2 and embedding dimension M >= 2.
    seed : int
    steps : int, default=300
    lr : float, default=0.05
    device : torch.device or str, default="cpu"

    Returns
    -------
    torch.Tensor of shape (M, N)
        The trained first branch in GA23's layout, detached.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if n < 2 or m < 2:
        raise ValueError(f"n and m must be >= 2, got n={n}, m={m}")
    gen = torch.Generator().manual_seed(seed)
    z_a, z_b = (torch.randn(n, m, generator=gen, dtype=DTYPE).to(device).requires_grad_()
                for _ in range(2))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _adam(lambda: _method_loss(method, z_a, z_b), [z_a, z_b], steps=steps, lr=lr)
    finally:
        torch.set_num_threads(threads)
    return z_a.detach().T.contiguous()
