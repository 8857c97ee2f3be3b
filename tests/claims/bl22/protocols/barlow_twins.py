"""BarlowTwins protocol pieces of the rank family (BL22-C5b-bt*, C6a, C6b, K1a-bt, K1b-bt).

What is specific to BarlowTwins' free-Z optima: the off-diagonal weights audited per profile,
the certified fit polished to the floor of its quartic valley, and the BatchNorm standardisation
through which the codebases' two-branch losses see a representation. The rank / rotation
protocols that use them are in :mod:`.rank`.

Why the polish. BarlowTwins' zero-loss optima are degenerate (BL22 Sec. 2.4, every ordered edge
listed): a column leaving span(P) by an angle b raises ``C_kk`` by O(b^2), so the loss grows like
b^4 and its gradient like b^3. A certificate ``||grad|| <= 1e-8`` then only pins b to ~1e-3
(measured), far above the 1e-4 rad the audit asks of a subspace. BarlowTwins fits are therefore
polished to the floor (``torch_impl.fit``'s ``polish_to_floor``: Newton steps on the quartic
valley while they still remove a fraction of the loss) and certified there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from tests.claims.runtime import single_thread
from torch_impl.fit import FitResult, fit_free
from torch_impl.fit.symmetries import column_affine
from torch_impl.losses import branches_from_views
from torch_impl.relations import Relation, component_indicators

__all__ = ["BT_ALPHAS", "BN_EPS", "bt_alphas", "fit_bt", "zero_loss_start", "column_scalings",
           "bn_standardise"]

BT_ALPHAS = (0.005, 0.1, 1.0)
"""Off-diagonal weights alpha of the full profile: the official lambda is ~0.005, the paper's
snippet uses 0.1, and 1 is the edge of the bound argument's range 0 < alpha <= 1 (BL22-C6b)."""

BN_EPS = 1e-5
"""BatchNorm1d's eps in the official / solo-learn BarlowTwins (``torch_impl.losses``'
conventions)."""

_RESTARTS = 2
# Relative seeded noise on a candidate start: the fit must remove it (the quartic valley's
# out-of-span directions included) rather than certify the construction as given.
_CANDIDATE_NOISE = 1e-2
_MAX_ITER = 3000
# Newton steps to polish an optimum to the floor of its quartic valley (module docstring); each
# removes ~80% of the loss, so the budget is never the limit.
_POLISH_STEPS = 80


def bt_alphas(profile: str) -> tuple[float, ...]:
    """The off-diagonal weights audited by ``profile``.

    Parameters
    ----------
    profile : {"quick", "full"}

    Returns
    -------
    tuple of float
        quick: the paper's snippet value (0.1,); full: :data:`BT_ALPHAS`.
    """
    if profile not in ("quick", "full"):
        raise ValueError(f"profile: expected 'quick' or 'full', got {profile!r}")
    return (0.1,) if profile == "quick" else BT_ALPHAS


def column_scalings(z: torch.Tensor) -> torch.Tensor:
    """Generators Z e_k e_k^T of the column scalings z^k -> a_k z^k, shape (K, N, K): the
    symmetries of the paper's BarlowTwins (its C is built from L2-normalised columns)."""
    return column_affine(z)[: z.shape[1]]


def zero_loss_start(G: Relation, k: int) -> torch.Tensor:
    """A zero-loss point of the paper's BarlowTwins for K <= c, (N, K) on G's device.

    ``Z = P (P^T D P)^{-1/2} E``: P the component indicators (N, c), D the degrees, E the
    first K columns of I_c. Its columns are constant on the components (C_kk = 1 - z^T L z /
    z^T D z = 1) and D-orthonormal (C_kl = z_k^T D z_l = 0), so C = I and the loss is 0, its
    minimum (BL22-C6a). Every component needs an edge (D > 0 on it).

    Raises
    ------
    ValueError
        K > c, or a component without an edge.
    """
    P = component_indicators(G)
    c = P.shape[1]
    if not 1 <= k <= c:
        raise ValueError(f"k: a zero-loss point needs 1 <= K <= c = {c}, got {k}")
    mass = (P * G.dense().sum(dim=1, keepdim=True)).sum(dim=0)  # diag(P^T D P), (c,)
    if bool((mass <= 0).any()):
        raise ValueError("G: every component needs an edge for a zero-loss point")
    return (P / mass.sqrt())[:, :k]


def fit_bt(loss_fn: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, int],
           seed: int, *, device: torch.device | str = "cpu",
           inits: Sequence[torch.Tensor] = (), restarts: int = _RESTARTS,
           symmetries: Callable[[torch.Tensor], torch.Tensor] | None = None) -> FitResult:
    """Certified free-Z minimum of a BarlowTwins loss, polished to its floor (module docstring).

    ``restarts`` L-BFGS starts on one thread (the candidates ``inits``, each with 1e-2 relative
    seeded noise, then seeded random draws), each polished by Newton steps, the best kept;
    float64.
    The curvature certificate (``FitResult.min_tangent_eig``) is taken modulo ``symmetries``.

    Parameters
    ----------
    loss_fn : callable
        ``Z (N, K) -> 0-d tensor``, a BarlowTwins loss of Z (its tensors on ``device``).
    shape : tuple of int
        (N, K).
    seed : int
        Seed of the random starts and of the candidates' noise (drawn on the CPU).
    device : torch.device or str, default="cpu"
        Where the fit runs; the result's ``z`` lies there.
    inits : sequence of torch.Tensor of shape (N, K), default=()
        Candidate starts (at most ``restarts``; e.g. :func:`zero_loss_start`).
    restarts : int, default=2
        Starts in all, candidates included (1: a certified candidate alone, at large N).
    symmetries : callable, optional
        ``Z -> generators (r, N, K)`` of the loss's continuous symmetries
        (:func:`column_scalings`; ``torch_impl.fit.symmetries``).

    Returns
    -------
    torch_impl.fit.FitResult
        ``z`` (N, K), ``loss``, ``grad_norm`` (the certificate ``||g|| / max(1, |loss|)``) and
        ``min_tangent_eig``.

    Raises
    ------
    torch_impl.fit.NotConverged
        The certificate is missed at the polished point, or the point is a saddle.
    """
    if len(inits) > restarts:
        raise ValueError(f"inits: at most restarts = {restarts} candidate starts, got "
                         f"{len(inits)}")
    options = {} if symmetries is None else {"symmetries": symmetries}
    with single_thread():
        return fit_free(loss_fn, shape, seed=seed, restarts=restarts, max_iter=_MAX_ITER,
                        inits=[z.to(device) for z in inits] or None,
                        init_noise=_CANDIDATE_NOISE if inits else 0.0,
                        polish_to_floor=True, polish_steps=_POLISH_STEPS, device=device,
                        progress=False, **options).require_converged()


def bn_standardise(z: torch.Tensor) -> torch.Tensor:
    """What the codebases' BarlowTwins sees of stacked views: each branch BatchNorm-standardised.

    ``bn(b) = (b - mean(b)) / sqrt(mean((b - mean(b))^2) + BN_EPS)`` per column of each branch
    (training-mode ``BatchNorm1d(affine=False)``: biased variance), the two branches stacked back.

    Parameters
    ----------
    z : torch.Tensor of shape (2 N', K)
        Stacked views: rows 0..N'-1 are view 0 (branch a), rows N'..2N'-1 view 1 (branch b).

    Returns
    -------
    torch.Tensor of shape (2 N', K)
        ``[bn(z_a); bn(z_b)]``.
    """
    centred = [b - b.mean(dim=0) for b in branches_from_views(z)]
    return torch.cat([c / torch.sqrt(c.square().mean(dim=0) + BN_EPS) for c in centred])
