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

from collections.abc import Callable

import torch

from tests.claims.runtime import single_thread
from torch_impl.fit import FitResult, fit_free
from torch_impl.losses import branches_from_views

__all__ = ["BT_ALPHAS", "BN_EPS", "bt_alphas", "fit_bt", "bn_standardise"]

BT_ALPHAS = (0.005, 0.1, 1.0)
"""Off-diagonal weights alpha of the full profile: the official lambda is ~0.005, the paper's
snippet uses 0.1, and 1 is the edge of the bound argument's range 0 < alpha <= 1 (BL22-C6b)."""

BN_EPS = 1e-5
"""BatchNorm1d's eps in the official / solo-learn BarlowTwins (``torch_impl.losses``'
conventions)."""

_RESTARTS = 2
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


def fit_bt(loss_fn: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, int],
           seed: int) -> FitResult:
    """Certified free-Z minimum of a BarlowTwins loss, polished to its floor (module docstring).

    Two seeded L-BFGS restarts on one CPU thread (N <= 9), each polished by Newton steps, the
    best kept; float64.

    Parameters
    ----------
    loss_fn : callable
        ``Z (N, K) -> 0-d tensor``, a BarlowTwins loss of Z.
    shape : tuple of int
        (N, K).
    seed : int
        Seed of the restarts' random starts.

    Returns
    -------
    torch_impl.fit.FitResult
        ``z`` (N, K), ``loss`` and ``grad_norm`` (the certificate ``||g|| / max(1, |loss|)``).

    Raises
    ------
    torch_impl.fit.NotConverged
        The certificate is missed at the polished point.
    """
    with single_thread():
        return fit_free(loss_fn, shape, seed=seed, restarts=_RESTARTS, max_iter=_MAX_ITER,
                        polish_to_floor=True, polish_steps=_POLISH_STEPS, device="cpu",
                        progress=False).require_converged()


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
