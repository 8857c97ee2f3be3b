"""Device selection shared by every numeric routine: ``auto`` means CUDA when present."""

from __future__ import annotations

import torch

from torch_impl.validation import InvalidInputError

__all__ = ["resolve_device", "synchronize"]


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Map ``"auto"`` / ``None`` to CUDA when available (else CPU); validate anything else."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        msg = f"device must be 'auto', 'cpu' or 'cuda[:i]', got {device!r}"
        raise InvalidInputError(msg) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"device={device!r} was asked for but CUDA is not available")
    return dev


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels on ``device`` so that wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
