"""The mutable state of one restart, shared by the minimisers, the polish and the stages."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from torch_impl.fit.certificates import RoundingFloor

__all__ = ["Run"]


@dataclass
class Run:
    """Mutable state of one restart.

    Attributes
    ----------
    p : torch.Tensor
        The current point (Z for a free fit, W for a linear one).
    history : list of float
        The reported loss at each iterate (Newton polishing steps included).
    iterations, polish_steps : int
        Iterations taken, and how many of them were Newton polishing steps.
    diverged : bool
    status : str
        Why the last stage stopped, in words ("" while nothing went wrong).
    loss, certificate : float
        At ``p`` once a stage has certified it (NaN / inf before).
    floor : RoundingFloor or None
        The certificate's rounding floor at ``p``, measured by the floor stage
        (:func:`~torch_impl.fit.stages.floor_stage`) once the margin stage missed its target;
        None before.
    at_floor : bool
        The floor stage accepted ``p`` at its rounding floor.
    """

    p: torch.Tensor
    history: list[float]
    iterations: int = 0
    diverged: bool = False
    status: str = ""
    loss: float = math.nan
    certificate: float = math.inf
    polish_steps: int = 0
    floor: RoundingFloor | None = None
    at_floor: bool = False
