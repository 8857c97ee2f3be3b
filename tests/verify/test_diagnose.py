"""``ssl-audit diagnose``: the collapse diagnostics of a saved embedding, from the command line."""

from __future__ import annotations

import re

import pytest
import torch

from torch_impl.diagnostics import alpha_req, effective_rank, lidar, rankme
from verify import cli


def _views(n: int = 24, v: int = 3, k: int = 8) -> torch.Tensor:
    """(n, V, K): rank-3 class means plus within-class noise, seeded."""
    g = torch.Generator().manual_seed(0)
    means = torch.randn(n, 3, generator=g, dtype=torch.float64) @ torch.randn(
        3, k, generator=g, dtype=torch.float64
    )
    return means[:, None, :] + 0.2 * torch.randn(n, v, k, generator=g, dtype=torch.float64)


def _printed(out: str, name: str) -> float:
    match = re.search(rf"^  {re.escape(name)}\s+(-?\d+\.\d+)  ", out, flags=re.MULTILINE)
    assert match, out
    return float(match.group(1))


def test_diagnose_prints_every_diagnostic_with_its_convention(tmp_path, capsys):
    Z3 = _views()
    path = tmp_path / "emb.pt"
    torch.save(Z3, path)
    plot = tmp_path / "spectrum.png"
    assert cli.main(["diagnose", str(path), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    Z = Z3.reshape(-1, Z3.shape[-1])
    samples = torch.arange(Z3.shape[0]).repeat_interleave(Z3.shape[1])
    # Printed to 4 decimals.
    assert _printed(out, "RankMe") == pytest.approx(rankme(Z), rel=0, abs=5e-5)
    assert _printed(out, "RankMe (centred)") == pytest.approx(rankme(Z, centre=True), abs=5e-5)
    assert _printed(out, "effective rank") == pytest.approx(effective_rank(Z), rel=0, abs=5e-5)
    assert _printed(out, "alpha-ReQ") == pytest.approx(alpha_req(Z), rel=0, abs=5e-5)
    assert _printed(out, "LiDAR") == pytest.approx(lidar(Z, samples), rel=0, abs=5e-5)
    assert "eps=1e-07" in out
    assert "Garrido et al. 2023" in out
    assert "V=3 views of n=24 samples" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_views_flag_reads_view_major_blocks(tmp_path, capsys):
    Z3 = _views()
    view_major = Z3.transpose(0, 1).reshape(-1, Z3.shape[-1])  # row v n + i
    torch.save(Z3, tmp_path / "grouped.pt")
    torch.save(view_major, tmp_path / "flat.pt")
    assert cli.main(["diagnose", str(tmp_path / "grouped.pt")]) == 0
    grouped = capsys.readouterr().out
    assert cli.main(["diagnose", str(tmp_path / "flat.pt"), "--views", "3"]) == 0
    flat = capsys.readouterr().out
    assert _printed(flat, "LiDAR") == pytest.approx(_printed(grouped, "LiDAR"), rel=0, abs=1e-4)
    assert cli.main(["diagnose", str(tmp_path / "flat.pt")]) == 0
    assert "needs views" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("tensor", "argv", "message"),
    [
        (None, [], "no such file"),
        (torch.ones(5), [], r"must hold an \(N, K\) or \(n, V, K\) tensor, got shape \(5,\)"),
        (torch.ones(2, 2, 2, 2), [], r"got shape \(2, 2, 2, 2\)"),
        ({"Z": torch.ones(3, 2)}, [], "must hold a tensor, got a dict"),
        (torch.randn(10, 3), ["--views", "3"], "--views 3 does not divide the N = 10 rows"),
        (torch.randn(4, 2, 3), ["--views", "3"], "--views 3 disagrees"),
        (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), [], "Z must be finite"),
    ],
)
def test_errors_exit_2_with_a_clear_message(tmp_path, capsys, tensor, argv, message):
    path = tmp_path / "emb.pt"
    if tensor is not None:
        torch.save(tensor, path)
    assert cli.main(["diagnose", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ssl-audit diagnose: error: ")
    assert re.search(message, err), err


def test_readme_example_prints_what_readme_shows(tmp_path, monkeypatch, capsys):
    """README's "Is my loss sound?": its two commands print its output block (the file name
    aside), so that section stays true."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Is my loss sound?")[1].split("\n## ")[0]
    commands = section.split("```sh\n")[1].split("```")[0].splitlines()
    shown = section.split("```text\n")[1].split("```")[0].splitlines()
    make, run = commands[0], commands[1].split()
    assert make.startswith('python -c "')
    assert run[:3] == ["ssl-audit", "diagnose", "emb.pt"]
    monkeypatch.chdir(tmp_path)
    exec(make.removeprefix("python -c \"").removesuffix("\""), {})  # the README's tensor
    assert cli.main(run[1:]) == 0
    assert capsys.readouterr().out.splitlines() == shown
