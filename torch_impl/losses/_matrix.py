"""Matrix helper shared by the losses."""

from __future__ import annotations

import torch


def off_diagonal_square_sum(A: torch.Tensor) -> torch.Tensor:
    """``||A - diag(A)||_F^2`` (GA23 Def. 3.1 notation) of a square (n, n) matrix, 0-d tensor.

    The diagonal is zeroed rather than its squares subtracted from ``||A||_F^2``: exact, where
    the subtraction cancels catastrophically when A is nearly diagonal.
    """
    diag = torch.eye(A.shape[0], dtype=torch.bool, device=A.device)
    return A.masked_fill(diag, 0).square().sum()
