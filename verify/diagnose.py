"""``ssl-audit diagnose embeddings.pt [--views V] [--plot spectrum.png]``: collapse diagnostics.

Loads a tensor saved with ``torch.save``: an (N, K) embedding, or (n, V, K) for n samples with
V views each (LiDAR's surrogate classes). With ``--views V`` an (N, K) tensor is read as V
view-major blocks of n = N / V rows (row v n + i is view v of sample i, the layout of
:func:`torch_impl.relations.views_relation`). Prints RankMe, effective rank, alpha-ReQ (and
LiDAR when views are known), each with its convention (:mod:`torch_impl.diagnostics`), and
optionally writes a log-log plot of the singular values.

Exit status: 0, or 2 with a message for a missing or unreadable file, a wrong shape, or an
embedding the diagnostics reject.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

__all__ = ["build_diagnose_parser", "diagnose_main", "load_embeddings"]

EXIT_OK, EXIT_ERROR = 0, 2


class DiagnoseError(Exception):
    """A user error: reported on one line, exit status 2."""


def build_diagnose_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssl-audit diagnose",
        description="Collapse diagnostics (RankMe, effective rank, alpha-ReQ, LiDAR) of an "
                    "embedding saved with torch.save (torch_impl.diagnostics).",
    )
    parser.add_argument("path", type=Path, help="an (N, K) or (n, V, K) tensor file")
    parser.add_argument("--views", type=int, default=None, metavar="V",
                        help="an (N, K) tensor holds V view-major blocks of N/V samples "
                             "(enables LiDAR)")
    parser.add_argument("--plot", type=Path, default=None, metavar="PNG",
                        help="write a log-log plot of the singular values here")
    return parser


def load_embeddings(path: Path, views: int | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The (N, K) embedding in ``path`` and its sample index (None without views).

    Raises
    ------
    DiagnoseError
        Missing file, not a tensor, wrong number of dimensions, or N not divisible by V.
    """
    if not path.is_file():
        raise DiagnoseError(f"no such file: {path}")
    try:
        # weights_only: a tensor file must not run code when it is read.
        Z = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable file is the user's input error
        raise DiagnoseError(f"cannot read {path} with torch.load: {exc}") from exc
    if not isinstance(Z, torch.Tensor):
        raise DiagnoseError(f"{path} must hold a tensor, got a {type(Z).__name__}")
    if views is not None and views < 2:
        raise DiagnoseError(f"--views must be >= 2, got {views}")
    if Z.dim() == 3:
        n, v, k = Z.shape
        if views is not None and views != v:
            raise DiagnoseError(f"--views {views} disagrees with the tensor's shape "
                                f"{tuple(Z.shape)} (n, V, K) with V = {v}")
        return Z.reshape(n * v, k), torch.arange(n).repeat_interleave(v)
    if Z.dim() != 2:
        raise DiagnoseError(
            f"{path} must hold an (N, K) or (n, V, K) tensor, got shape {tuple(Z.shape)}"
        )
    if views is None:
        return Z, None
    if Z.shape[0] % views:
        raise DiagnoseError(f"--views {views} does not divide the N = {Z.shape[0]} rows")
    return Z, torch.arange(Z.shape[0]) % (Z.shape[0] // views)


def _report(Z: torch.Tensor, samples: torch.Tensor | None) -> list[tuple[str, float, str]]:
    from torch_impl import diagnostics as d

    rows = [
        ("RankMe", d.rankme(Z),
         f"singular values, eps={d.RANKME_EPS:g}, uncentred (Garrido et al. 2023, eq. 1)"),
        ("RankMe (centred)", d.rankme(Z, centre=True),
         f"as above after centring: at most min(N - 1, K) = {min(Z.shape[0] - 1, Z.shape[1])}"),
        ("effective rank", d.effective_rank(Z),
         "singular values, no eps, uncentred (Roy & Vetterli 2007)"),
        ("alpha-ReQ", d.alpha_req(Z),
         "centred covariance eigenvalues, least squares over i = 1..numerical rank "
         "(Agrawal et al. 2022)"),
    ]
    if samples is not None:
        rows.append(("LiDAR", d.lidar(Z, samples),
                     f"eigenvalues, delta={d.LIDAR_DELTA:g}, eps={d.RANKME_EPS:g}, "
                     f"{int(samples.max()) + 1} samples as classes (Thilak et al. 2023)"))
    return rows


def _plot(Z: torch.Tensor, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from torch_impl.diagnostics import singular_spectrum

    s = singular_spectrum(Z).cpu()
    s_c = singular_spectrum(Z, centre=True).cpu()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for values, label in ((s, "uncentred"), (s_c, "centred")):
        keep = values > 0  # log axes cannot show exact zeros
        ax.loglog(torch.arange(1, values.numel() + 1)[keep], values[keep], ".-", label=label)
    ax.set_xlabel("index k")
    ax.set_ylabel("singular value s_k")
    ax.set_title(f"spectrum of Z, N={Z.shape[0]}, K={Z.shape[1]}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def diagnose_main(argv: list[str]) -> int:
    """``ssl-audit diagnose ...``: print the diagnostics; 0, or 2 on an error."""
    parser = build_diagnose_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        Z, samples = load_embeddings(args.path, args.views)
        rows = _report(Z, samples)
        if args.plot is not None:
            _plot(Z, args.plot)
    except (DiagnoseError, ValueError, TypeError) as exc:  # InvalidInputError is a ValueError
        print(f"ssl-audit diagnose: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    head = f"{args.path}: N={Z.shape[0]}, K={Z.shape[1]}"
    if samples is not None:
        n = int(samples.max()) + 1
        head += f" (V={Z.shape[0] // n} views of n={n} samples)"
    print(head)
    width = max(len(name) for name, _, _ in rows)
    for name, value, convention in rows:
        print(f"  {name:<{width}}  {value:9.4f}  {convention}")
    if samples is None:
        print(f"  {'LiDAR':<{width}}  {'-':>9}  needs views: pass --views V or an (n, V, K) tensor")
    if args.plot is not None:
        print(f"wrote {args.plot}")
    return EXIT_OK
