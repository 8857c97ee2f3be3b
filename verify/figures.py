"""Drawing a claim's figures from its collected trials (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports are written on headless machines; never open a window

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

from verify.claim import Claim, Trial  # noqa: E402

__all__ = ["draw_figures", "figure_filename"]


def figure_filename(claim_id: str, name: str = "") -> str:
    """``<id>.png``, or ``<id>-<name>.png`` for a named figure."""
    return f"{claim_id}-{name}.png" if name else f"{claim_id}.png"


def draw_figures(claim: Claim, trials: list[Trial], directory: Path) -> list[str]:
    """Draw each of ``claim``'s figures into ``directory``; return the file names.

    ``Figure`` is used directly (not ``pyplot``) so no global figure state leaks between claims.
    """
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for name, draw in claim.figures.items():
        fig = Figure(figsize=(6, 4), layout="constrained")
        draw(trials, fig)
        filename = figure_filename(claim.id, name)
        fig.savefig(directory / filename, dpi=110)
        names.append(filename)
    return names
