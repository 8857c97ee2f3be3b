"""The outcome of a fit (:class:`FitResult`) and the error of a fit that did not converge.

A :class:`FitResult` carries the certificate checked at the returned point and the tolerance
and margin it was checked against, so that a claim can state why its optimum is trusted;
:meth:`FitResult.require_converged` turns an uncertified fit into :class:`NotConverged`, which
the audit engine reports as "did not converge" (ERROR), not as a failed claim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from torch_impl.fit.curvature import Curvature

__all__ = ["FitResult", "NotConverged"]


class NotConverged(RuntimeError):
    """A fit did not meet its convergence criterion (or diverged).

    The audit engine turns it into a "did not converge" verdict (ERROR), not a failed claim.
    """


@dataclass(frozen=True, eq=False)
class FitResult:
    """Outcome of :func:`fit_free` or :func:`fit_linear` (the best of the seeded restarts).

    Attributes
    ----------
    z : torch.Tensor of shape (N, K)
        The optimum (for a linear fit, ``X @ w``), detached.
    w : torch.Tensor of shape (D, K) or None
        The optimal linear map for :func:`fit_linear`; None for a free fit.
    loss : float
        The loss at ``z`` (for a hinge objective, the true non-smooth loss).
    grad_norm : float
        The certificate at ``z``, the value compared with ``grad_tol / required_margin``:
        ``||g|| / max(1, |loss|)`` with ``g`` as named by ``criterion`` (also ``certificate``).
    criterion : str
        ``"grad-norm"`` (smooth loss) or ``"min-norm-subgradient"`` (:class:`HingeObjective`).
    iterations : int
        Optimiser iterations of the kept restart (all inner iterations for a hinge objective),
        Newton polishing steps included.
    seconds : float
        Wall-clock time of all restarts (device synchronised).
    converged : bool
        The minimiser's criteria held (or it stalled), the certificate at ``z`` is
        ``<= grad_tol / required_margin`` (or, where float64 resolves no better, at its
        rounding floor: see ``rounding_floor``) and no restart diverged.
    diverged : bool
        Some restart met a non-finite loss / gradient / iterate or an iterate larger than
        ``diverge_threshold``.
    status : str
        Why the kept restart stopped, in words.
    history : tuple of float
        Loss at each iterate of the kept restart (the true loss for a hinge objective).
    restart_losses : tuple of float
        Final loss of each restart (NaN / inf for a diverged one).
    best_restart : int
        Index of the kept restart: the lowest final loss among those that did not diverge.
    seed, device, grad_tol, loss_rtol
        The settings the fit ran with.
    required_margin : float
        ``FitOptions.margin``: the factor the certificate must stay below ``grad_tol``.
    polish_steps : int
        Newton polishing steps of the kept restart.
    rounding_floor : float or None
        Set when the certificate missed ``grad_tol / required_margin`` and was accepted at its
        rounding floor (:func:`~torch_impl.fit.stages.floor_stage`): the floor, with
        ``floor * required_margin <= grad_tol`` and ``certificate <= 4 * floor`` (and
        ``<= grad_tol``); ``status`` states the numbers. None for a fit that met the target
        (or did not converge).
    curvature : Curvature or None
        The second-order certificate at the returned point (:mod:`torch_impl.fit.curvature`);
        None when ``FitOptions.curvature`` is off or a restart diverged. A converged fit is
        not a saddle: ``curvature.relative >= -curvature.tolerance``.
    """

    z: torch.Tensor
    w: torch.Tensor | None
    loss: float
    grad_norm: float
    criterion: str
    iterations: int
    seconds: float
    converged: bool
    diverged: bool
    status: str
    history: tuple[float, ...]
    restart_losses: tuple[float, ...]
    best_restart: int
    seed: int
    device: torch.device
    grad_tol: float
    loss_rtol: float
    required_margin: float = 1.0
    polish_steps: int = 0
    curvature: Curvature | None = None
    rounding_floor: float | None = None

    @property
    def min_tangent_eig(self) -> float:
        """``curvature.relative``: the smallest tangent Hessian eigenvalue relative to the
        largest |eigenvalue| (NaN without a curvature certificate)."""
        return self.curvature.relative if self.curvature is not None else math.nan

    @property
    def certificate(self) -> float:
        """The certificate at ``z`` (same as ``grad_norm``)."""
        return self.grad_norm

    @property
    def tolerance(self) -> float:
        """The tolerance the certificate is compared with: ``grad_tol``."""
        return self.grad_tol

    @property
    def margin(self) -> float:
        """``grad_tol / certificate`` (inf for a zero certificate): >= ``required_margin``
        for a converged fit, except one accepted at its rounding floor (``rounding_floor``
        set; then >= ``required_margin / 4``)."""
        return self.grad_tol / self.grad_norm if self.grad_norm > 0 else math.inf

    def require_converged(self) -> FitResult:
        """Return ``self`` if the fit converged, else raise :class:`NotConverged`.

        Raises
        ------
        NotConverged
            With the loss, the certificate and its tolerance in the message.
        """
        if self.converged:
            return self
        kind = "diverged" if self.diverged else "did not converge"
        raise NotConverged(
            f"fit {kind} ({self.status}): loss={self.loss:.6g}, {self.criterion} certificate "
            f"{self.grad_norm:.3g} (tolerance grad_tol={self.grad_tol:.3g}, margin "
            f"{self.margin:.3g} of the required {self.required_margin:g}, "
            f"loss_rtol={self.loss_rtol:.3g}) after {self.iterations} iterations "
            f"({self.polish_steps} of them Newton polishing steps)"
            + (f"; {self.curvature.describe()}" if self.curvature is not None else "")
        )
