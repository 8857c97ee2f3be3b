"""Device selection shared by every numeric routine: ``auto`` means CUDA when present."""

from __future__ import annotations

import torch

from torch_impl.validation import Device, InstanceOf, validate_params

__all__ = ["resolve_device", "synchronize"]


@validate_params(device=Device())
def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Map ``"auto"`` / ``None`` to CUDA when available (else CPU); parse anything else.

    Raises
    ------
    InvalidInputError
        An unparsable device string, or CUDA asked for where there is none.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@validate_params(device=InstanceOf(torch.device))
def synchronize(device: torch.device) -> None:
    """Wait for queued kernels on ``device`` so that wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
