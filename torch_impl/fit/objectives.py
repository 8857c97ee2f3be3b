"""What a fit minimises: a plain loss ``Z -> 0-d tensor``, or a :class:`HingeObjective`.

A :class:`HingeObjective` declares a loss as ``smooth(Z) + w * sum_k relu(h_k(Z))``, so that an
optimum on a kink (VICReg's variance hinge at std exactly 1) is certified by the minimum-norm
subgradient and reached by the augmented Lagrangian (``torch_impl.fit`` docstring).
:func:`vicreg_objective` is BL22's VICReg (Sec. 2.2) in that form, and
:func:`vicreg_convention_objective` the reference codebases' two-branch VICReg
(``torch_impl.losses.conventions``).

Both validate their arguments once, when the objective is built (the relation becomes a
:class:`~torch_impl.relations.Relation`), and evaluate the losses' ``.unchecked`` functions:
an optimiser evaluates the objective thousands of times on iterates it made itself. Each
evaluation only checks, in O(1), that the iterate has the shape and device the objective was
built for (a wrong shape would otherwise give a wrong loss or an index error, not a message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from torch_impl.fit.symmetries import translations
from torch_impl.losses import (
    VICREG_CONVENTIONS,
    vicreg_convention_hinge_arguments,
    vicreg_convention_hinge_weight,
    vicreg_convention_smooth_part,
    vicreg_hinge_arguments,
    vicreg_smooth_part,
)
from torch_impl.relations import Relation, RelationMatrix
from torch_impl.validation import (
    Choice,
    Int,
    InvalidInputError,
    Scalar,
    check_compatible,
    check_scalar,
    validate_params,
)

__all__ = ["HingeObjective", "vicreg_objective", "vicreg_convention_objective"]

Objective = Callable[[torch.Tensor], torch.Tensor]


def as_loss(value: object) -> torch.Tensor:
    """A loss function's value as a 0-d tensor; TypeError if it is not a one-element tensor."""
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise TypeError(f"loss_fn must return a 0-d tensor, got {type(value).__name__}")
    return value.reshape(())


@dataclass(frozen=True, eq=False)
class HingeObjective:
    """A loss ``smooth(Z) + hinge_weight * sum_k relu(hinge_args(Z)_k)``.

    Declaring the non-smooth part lets the fit certify an optimum on a kink with the
    minimum-norm subgradient and reach it with an augmented Lagrangian (``torch_impl.fit``
    docstring).

    Parameters
    ----------
    smooth : callable
        ``Z -> 0-d tensor``, differentiable.
    hinge_args : callable
        ``Z -> tensor of shape (m,)``: the arguments h_k of the hinges, differentiable.
    hinge_weight : float
        w > 0, the weight of the hinge sum (VICReg's alpha).
    symmetries : callable, optional
        ``Z -> (r, *Z.shape)``: tangent generators of the loss's continuous symmetries at Z
        (:mod:`torch_impl.fit.symmetries`), which the curvature certificate quotients out.
    """

    smooth: Objective
    hinge_args: Objective
    hinge_weight: float
    symmetries: Objective | None = None

    def __post_init__(self) -> None:
        for name in ("smooth", "hinge_args", "symmetries"):
            value = getattr(self, name)
            if not callable(value) and not (name == "symmetries" and value is None):
                raise TypeError(f"{name} must be callable, got {type(value)}")
        weight = check_scalar(self.hinge_weight, "hinge_weight", low=0.0, low_inclusive=False)
        # Frozen dataclass: store the validated float through object.__setattr__.
        object.__setattr__(self, "hinge_weight", weight)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """The loss at ``z`` (0-d tensor)."""
        return self.smooth(z) + self.hinge_weight * torch.relu(self.hinge_args(z)).sum()

    def compose(self, transform: Objective) -> HingeObjective:
        """The same objective of ``transform(p)`` (used to fit Z = X W through W).

        The symmetries are those of Z, not of p: the composed objective declares none (the
        linear fit pulls them back itself)."""
        return HingeObjective(
            lambda p: self.smooth(transform(p)),
            lambda p: self.hinge_args(transform(p)),
            self.hinge_weight,
        )


@validate_params(
    G=RelationMatrix(),
    alpha=Scalar(low=0.0, low_inclusive=False),
    beta=Scalar(),
    gamma=Scalar(),
)
def vicreg_objective(
    G: torch.Tensor | Relation, *, alpha: float, beta: float, gamma: float
) -> HingeObjective:
    """BL22's VICReg (Sec. 2.2) as a :class:`HingeObjective` (hinge weight alpha).

    ``smooth = vicreg_smooth_part(Z, G, beta=beta, gamma=gamma)``, ``hinge_args =
    vicreg_hinge_arguments(Z)`` (``1 - sqrt(max(C_kk, 1e-6))``); their sum equals
    ``vicreg_loss(Z, G, alpha=alpha, beta=beta, gamma=gamma)``. G is validated here, once.

    Parameters
    ----------
    G : torch.Tensor of shape (N, N) or Relation
        Relation matrix (dense or sparse COO), on the device the fit runs on.
    alpha, beta, gamma : float
        VICReg's variance, covariance and invariance weights; alpha > 0, beta, gamma >= 0.

    Returns
    -------
    HingeObjective
        Of Z (N, K); evaluating it at a Z whose rows or device do not match G raises
        :class:`~torch_impl.validation.InvalidInputError`.
    """
    smooth_part = vicreg_smooth_part.unchecked

    def smooth(z: torch.Tensor) -> torch.Tensor:
        check_compatible(z, G)  # O(1): rows and device
        return smooth_part(z, G, beta=beta, gamma=gamma)

    # Centred covariance and the Dirichlet energy: invariant under Z -> Z + 1 m^T.
    return HingeObjective(smooth, vicreg_hinge_arguments.unchecked, alpha, translations)


@validate_params(
    convention=Choice(VICREG_CONVENTIONS),
    n_components=Int(low=1),
    sim_coeff=Scalar(),
    std_coeff=Scalar(low=0.0, low_inclusive=False),
    cov_coeff=Scalar(),
)
def vicreg_convention_objective(
    convention: str,
    n_components: int,
    *,
    sim_coeff: float = 25.0,
    std_coeff: float = 25.0,
    cov_coeff: float = 1.0,
) -> HingeObjective:
    """The codebases' two-branch VICReg on stacked views Z (2N', K) as a :class:`HingeObjective`.

    ``smooth = vicreg_convention_smooth_part(Z, convention, sim_coeff, cov_coeff)`` (sim_coeff *
    mse(z_a, z_b) + cov_coeff * (c(z_a) + c(z_b))), ``hinge_args =
    vicreg_convention_hinge_arguments(Z)`` (the 2K arguments ``1 - sqrt(Var + 1e-4)`` of both
    branches) and hinge weight ``std_coeff * s / K`` (s = 1/2 official / lightly, 1 solo:
    ``vicreg_convention_hinge_weight``); their sum equals
    ``vicreg_loss_convention(*branches_from_views(Z), convention=convention, ...)``.

    Parameters
    ----------
    convention : {"official", "lightly", "solo"}
    n_components : int
        K >= 1, the number of columns of Z (the hinge weight depends on it).
    sim_coeff, cov_coeff : float, default=25.0, 1.0
        Non-negative finite invariance and covariance weights.
    std_coeff : float, default=25.0
        Variance weight, > 0 (the hinge weight must be positive).

    Returns
    -------
    HingeObjective
        Of the stacked views Z (2N', K), N' >= 2 (row ``v N' + i`` is view v of sample i);
        evaluating it at a Z with another K or an odd number of rows raises
        :class:`~torch_impl.validation.InvalidInputError`.
    """
    smooth_part = vicreg_convention_smooth_part.unchecked
    weight = vicreg_convention_hinge_weight.unchecked(convention, n_components, std_coeff)

    def smooth(z: torch.Tensor) -> torch.Tensor:
        # O(1): the hinge weight is per column, and the branches are the two halves of the rows.
        if z.dim() != 2 or z.shape[1] != n_components or z.shape[0] % 2:
            raise InvalidInputError(
                f"Z must be the stacked views (2N', {n_components}) this objective was built "
                f"for (n_components={n_components}), got {tuple(z.shape)}"
            )
        return smooth_part(z, convention, sim_coeff=sim_coeff, cov_coeff=cov_coeff)

    # Per-branch centred Var / Cov and the mse between the branches: invariant under a shift
    # of every row, Z -> Z + 1 m^T.
    return HingeObjective(smooth, vicreg_convention_hinge_arguments.unchecked, weight,
                          translations)
