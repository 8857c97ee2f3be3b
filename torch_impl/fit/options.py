"""How a fit runs and when it counts as converged: :class:`FitOptions`, one object for all fits.

:func:`fit_free` and :func:`fit_linear` take an ``options`` object and accept each of its fields
as a keyword override as well (``max_iter=3000``): :class:`OptionOverrides` is the declared
constraint of those keywords (unknown ones are rejected), :func:`merge_options` combines them
with the object (each value is validated by :class:`FitOptions` itself).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from torch_impl.validation import (
    Constraint,
    InvalidInputError,
    check_choice,
    check_int,
    check_scalar,
)

__all__ = ["FitOptions", "OptionOverrides", "merge_options"]

METHODS = ("lbfgs", "adam")


@dataclass(frozen=True)
class FitOptions:
    """How a fit runs and when it counts as converged (shared by :func:`fit_free` and
    :func:`fit_linear`, which also accept each field as a keyword argument).

    Attributes
    ----------
    method : {"lbfgs", "adam"}, default="lbfgs"
        L-BFGS with a strong-Wolfe line search, or Adam (then ``lr`` is required).
    lr : float, optional
        Step size (L-BFGS default 1, the quasi-Newton step).
    max_iter : int, default=1000
        Budget of optimiser iterations per restart (per continuation, see
        ``continue_on_stall``); running out means not converged.
    grad_tol : float, default=1e-8
        Tolerance on the certificate ``||g|| / max(1, |loss|)``.
    loss_rtol : float, default=1e-10
        Tolerance on each of the last ``loss_window`` relative loss changes.
    loss_window : int, default=5
    kink_tol : float, default=1e-8
        Hinges with ``|h_k| <= kink_tol`` count as on their kink (:func:`optimality_certificate`).
    rho : float, optional
        Initial augmented-Lagrangian penalty for hinge objectives (default 10 * hinge_weight;
        a stiffer start, e.g. 100 * hinge_weight, reaches optima with many kinks faster).
    diverge_threshold : float, default=1e8
        An iterate entry larger in magnitude means divergence (a loss unbounded below); with
        ``normalise``, an entry of ``normalise(iterate)`` (growth along the symmetry is not
        divergence).
    margin : float, default=100
        Required factor between ``grad_tol`` and the returned certificate: converged needs
        ``certificate <= grad_tol / margin``. A minimiser that ends between the two is polished
        by Newton steps (``torch_impl.fit`` docstring) rather than accepted, so that a verdict
        does not hang on the last digits of a CPU's arithmetic. 1 disables the requirement.
    polish_steps : int, default=20
        Budget of Newton polishing steps per polish (0: no polishing).
    polish_to_floor : bool, default=False
        Keep polishing after the certificate reaches ``grad_tol / margin``, while a step still
        removes a fraction ``1e-4`` of the loss (within ``polish_steps``). For degenerate
        minima whose loss grows like the fourth power of the distance (BarlowTwins' zero-loss
        optima), where a small certificate still leaves the point ~certificate^(1/3) away.
    continue_on_stall : int, default=1
        How many times a restart that stalled (flat loss, certificate not met, polish failed)
        is continued by a fresh optimiser (new curvature history; for a hinge objective, new
        multipliers) from where it stopped, each with a fresh ``max_iter`` budget.
    normalise : callable, optional
        ``p -> p'`` with ``loss(p') = loss(p)`` (a symmetry of the loss, e.g. row
        normalisation for a loss of normalize(Z)): the fit is certified, polished and returned
        at ``normalise(p)``, so that a certificate cannot be met by drifting along the symmetry
        (long rows shrink a scale-invariant loss's gradient as 1 / ||z_i||).
    curvature : bool, default=True
        Measure the second-order certificate at the returned point
        (:mod:`torch_impl.fit.curvature`): the smallest Hessian eigenvalue on the tangent
        space modulo the declared symmetries; a saddle is escaped and refitted.
    curvature_tol : float, default=1e-9
        Relative tolerance: ``min_eig / max|eig| < -max(curvature_tol, certificate,
        ||g|| / (rho max|eig|))`` is a saddle (rho the RMS row norm of the point): a point
        ~certificate away from the stationary set has a Hessian that far off, and a gradient
        g couples the zero modes of symmetries into eigenvalues up to ``||g|| / rho``
        (:func:`torch_impl.fit.stages.curvature_stage`).
    max_escapes : int, default=2
        Escape-and-refit rounds before a point that is still a saddle is reported not
        converged (0: report the first saddle).
    lanczos_steps : int, default=200
        Most Lanczos vectors when the projected space is too large for a dense eigh.
    symmetries : callable, optional
        ``Z -> generators (r, *Z.shape)``: tangent generators of the loss's continuous
        symmetries at Z (:mod:`torch_impl.fit.symmetries`), taken out of the curvature
        certificate. Default: the objective's own ``symmetries`` attribute, if any. For
        :func:`fit_linear` they are pulled back to W (those in the range of X).
    """

    method: str = "lbfgs"
    lr: float | None = None
    max_iter: int = 1000
    grad_tol: float = 1e-8
    loss_rtol: float = 1e-10
    loss_window: int = 5
    kink_tol: float = 1e-8
    rho: float | None = None
    diverge_threshold: float = 1e8
    margin: float = 100.0
    polish_steps: int = 20
    polish_to_floor: bool = False
    continue_on_stall: int = 1
    normalise: Callable[[torch.Tensor], torch.Tensor] | None = None
    curvature: bool = True
    curvature_tol: float = 1e-9
    max_escapes: int = 2
    lanczos_steps: int = 200
    symmetries: Callable[[torch.Tensor], torch.Tensor] | None = None

    def __post_init__(self) -> None:
        # Frozen dataclass: store each validated value through object.__setattr__.
        def store(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        method = check_choice(self.method, "method", METHODS)
        if self.lr is not None:
            store("lr", check_scalar(self.lr, "lr", low=0.0, low_inclusive=False))
        elif method == "adam":
            raise InvalidInputError("lr must be given for method='adam' (no default step size)")
        store("max_iter", check_int(self.max_iter, "max_iter", low=1))
        for name in ("grad_tol", "loss_rtol", "kink_tol", "diverge_threshold"):
            store(name, check_scalar(getattr(self, name), name, low=0.0, low_inclusive=False))
        store("loss_window", check_int(self.loss_window, "loss_window", low=1))
        if self.rho is not None:
            store("rho", check_scalar(self.rho, "rho", low=0.0, low_inclusive=False))
        store("margin", check_scalar(self.margin, "margin", low=1.0))
        store("polish_steps", check_int(self.polish_steps, "polish_steps", low=0))
        store("continue_on_stall", check_int(self.continue_on_stall, "continue_on_stall", low=0))
        if not isinstance(self.polish_to_floor, bool):
            raise TypeError(f"polish_to_floor must be a bool, got {type(self.polish_to_floor)}")
        for name in ("normalise", "symmetries"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"{name} must be callable, got {type(value).__name__}")
        if not isinstance(self.curvature, bool):
            raise TypeError(f"curvature must be a bool, got {type(self.curvature)}")
        store("curvature_tol", check_scalar(self.curvature_tol, "curvature_tol", low=0.0))
        store("max_escapes", check_int(self.max_escapes, "max_escapes", low=0))
        store("lanczos_steps", check_int(self.lanczos_steps, "lanczos_steps", low=1))

    @property
    def target(self) -> float:
        """The certificate a converged fit must reach: ``grad_tol / margin``."""
        return self.grad_tol / self.margin


@dataclass(frozen=True)
class OptionOverrides(Constraint):
    """Keyword overrides of :class:`FitOptions` fields (a ``**option_overrides`` parameter).

    Unknown names raise TypeError; the values are validated by :class:`FitOptions` when
    :func:`merge_options` applies them.
    """

    def check(self, value: object, name: str, args: Mapping[str, Any]) -> object:
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a mapping of FitOptions fields, got {type(value)}")
        unknown = sorted(set(value) - {f.name for f in dataclasses.fields(FitOptions)})
        if unknown:
            raise TypeError(f"unknown fit option(s) {unknown}; see FitOptions")
        return value


def merge_options(options: FitOptions | None, overrides: Mapping[str, object]) -> FitOptions:
    """``options`` (default :class:`FitOptions`) with the keyword overrides applied.

    The arguments are those validated by ``fit_free`` / ``fit_linear`` (``options`` a
    :class:`FitOptions` or None, ``overrides`` naming its fields, :class:`OptionOverrides`);
    :class:`FitOptions` validates the overridden values.
    """
    if options is None:
        options = FitOptions()
    return dataclasses.replace(options, **overrides) if overrides else options
