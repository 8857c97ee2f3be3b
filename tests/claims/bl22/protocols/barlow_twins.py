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

Why an accurate evaluation. The snippet forms ``1 - C_kk`` as 1 minus a cosine close to 1, so
it loses every digit below ~1e-16 and the loss floors at ~1e-29, where a column can still sit
b ~ loss^(1/4) / sqrt(gap) ~ 3e-7 rad off span(P) on small-gap graphs. :func:`accurate_loss`
is the same loss formed without that cancellation, and :func:`polish_accurate` continues the
Newton polish on it from a certified optimum (BL22-C6a).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from tests.claims.bl22.protocols.settings import GRAD_TOL
from tests.claims.runtime import single_thread
from torch_impl.fit import FitOptions, FitResult, NotConverged, fit_free, optimality_certificate
from torch_impl.fit.newton import newton_polish
from torch_impl.fit.symmetries import column_affine
from torch_impl.losses import barlow_twins_loss_from_relation, branches_from_views
from torch_impl.relations import Relation, component_indicators

__all__ = ["BT_ALPHAS", "BN_EPS", "SNIPPET_EPS", "bt_alphas", "fit_bt", "zero_loss_start",
           "column_scalings", "bn_standardise", "accurate_loss", "polish_accurate"]

BT_ALPHAS = (0.005, 0.1, 1.0)
"""Off-diagonal weights alpha of the full profile: the official lambda is ~0.005, the paper's
snippet uses 0.1, and 1 is the edge of the bound argument's range 0 < alpha <= 1 (BL22-C6b)."""

BN_EPS = 1e-5
"""BatchNorm1d's eps in the official / solo-learn BarlowTwins (``torch_impl.losses``'
conventions)."""

SNIPPET_EPS = 1e-6
"""The paper snippet's floor on a column norm (``F.normalize``'s eps; the losses' default)."""

_RESTARTS = 2
# Relative seeded noise on a candidate start: the fit must remove it (the quartic valley's
# out-of-span directions included) rather than certify the construction as given.
_CANDIDATE_NOISE = 1e-2
_MAX_ITER = 3000
# Newton steps to polish an optimum to the floor of its quartic valley (module docstring); each
# removes ~80% of the loss, so the budget is never the limit.
_POLISH_STEPS = 80
# Newton steps of polish_accurate: on the audited graphs the largest angle to span(P) stops
# improving after ~30 (measured: 2.95e-7 -> 7.1e-9 rad by 30 steps, no change by 200), where the
# rounding of the off-diagonal C_kl's well-conditioned part (~1e-16) is all that is left.
_ACCURATE_STEPS = 30


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


def accurate_loss(z: torch.Tensor, G: Relation, *, alpha: float,
                  eps: float = SNIPPET_EPS) -> torch.Tensor:
    """BL22's BarlowTwins with every ordered edge listed, evaluated without cancellation.

    The same function as ``barlow_twins_loss_from_relation(z, G, alpha=alpha, eps=eps)`` in
    exact arithmetic (BL22 Sec. 2.4): with a = Z[rows], b = Z[cols] over the ordered edges of G
    and m(v) = max(||v||, eps) (the snippet's ``F.normalize``),
    ``L = sum_k (1 - C_kk)^2 + alpha sum_{k != l} C_kl^2``, ``C_kl = <a_k, b_l> / (m(a_k)
    m(b_l))``. Only ``1 - C_kk`` is formed differently: from 2 <a, b> = ||a||^2 + ||b||^2 -
    ||a - b||^2,

        1 - C_kk = (||a_k - b_k||^2 - (||a_k|| - ||b_k||)^2
                    + 2 (m(a_k) m(b_k) - ||a_k|| ||b_k||)) / (2 m(a_k) m(b_k)),

    where the last term vanishes unless a column norm is below eps and the middle one vanishes
    in exact arithmetic for a symmetric G (rows and cols list the same multiset of rows). The
    rows of a_k - b_k are the edge differences z_ik - z_jk, so ``1 - C_kk`` (= z^T L z / z^T D
    z, BL22-C6a) keeps its relative accuracy down to any size instead of bottoming out at
    ~1e-16 as 1 minus a cosine does; the loss near a zero-loss optimum resolves far below the
    snippet's ~1e-29 floor.

    Parameters
    ----------
    z : torch.Tensor of shape (N, K)
        Embedding, float64.
    G : Relation
        Validated relation (N, N) on z's device.
    alpha : float
        Off-diagonal weight, >= 0.
    eps : float, default=SNIPPET_EPS
        The snippet's floor on a column norm, > 0.

    Returns
    -------
    torch.Tensor
        0-d tensor.
    """
    a, b = z[G.rows], z[G.cols]
    norm_a, norm_b = a.norm(dim=0), b.norm(dim=0)
    floor_a, floor_b = norm_a.clamp_min(eps), norm_b.clamp_min(eps)
    scale = floor_a * floor_b
    one_minus_diag = ((a - b).square().sum(dim=0) - (norm_a - norm_b).square()
                      + 2 * (scale - norm_a * norm_b)) / (2 * scale)
    cross = (a / floor_a).T @ (b / floor_b)
    # Masked, not (sum of all squares - diagonal squares): that difference of O(K) terms would
    # lose every off-diagonal square below ~1e-16.
    off_diagonal = ~torch.eye(cross.shape[0], dtype=torch.bool, device=cross.device)
    return one_minus_diag.square().sum() + alpha * cross[off_diagonal].square().sum()


def polish_accurate(z: torch.Tensor, G: Relation, alpha: float, *,
                    steps: int = _ACCURATE_STEPS) -> tuple[torch.Tensor, float, float]:
    """Newton polish of a certified BarlowTwins optimum on :func:`accurate_loss` (BL22-C6a).

    From ``z`` (e.g. :func:`fit_bt`'s optimum of the snippet loss), up to ``steps`` of the
    engine's saddle-free Newton steps (``torch_impl.fit.newton.newton_polish``, to the floor:
    stopping once a step gains less than 1e-4 of the loss) on :func:`accurate_loss`, on one
    thread on the CPU, float64. The polished point is then certified on the snippet loss
    itself (``optimality_certificate`` of ``barlow_twins_loss_from_relation``).

    Parameters
    ----------
    z : torch.Tensor of shape (N, K)
        Start, a certified optimum.
    G : Relation
        Validated relation (N, N).
    alpha : float
        Off-diagonal weight.
    steps : int, default=30
        Newton step budget.

    Returns
    -------
    z : torch.Tensor of shape (N, K)
        The polished point, on the CPU.
    loss : float
        The snippet loss there.
    certificate : float
        The snippet loss's ``||g|| / max(1, |loss|)`` there.

    Raises
    ------
    torch_impl.fit.NotConverged
        The polished point misses ``GRAD_TOL`` on the snippet loss.
    """
    G = G.to("cpu")
    with single_thread():
        polished, _, _, _ = newton_polish(
            lambda x: accurate_loss(x, G, alpha=alpha), z.detach().cpu(), target=GRAD_TOL,
            steps=steps, to_floor=True, kink_tol=FitOptions().kink_tol)
        loss, certificate, _ = optimality_certificate(
            lambda x: barlow_twins_loss_from_relation(x, G, alpha=alpha), polished)
    if certificate > GRAD_TOL:
        raise NotConverged(f"polish_accurate: snippet certificate {certificate:.3g} > "
                           f"GRAD_TOL = {GRAD_TOL:g} at the polished point")
    return polished, loss, certificate
