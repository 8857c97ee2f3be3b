"""The command line: where the report goes, and the exit status."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.verify.test_report import claim_record, document
from verify import cli
from verify.plugin import SCRATCH_REPORT_DIR


def _report_dir(*argv: str, extra: tuple[str, ...] = ()) -> Path:
    return cli.choose_report_dir(cli.build_parser().parse_args(list(argv)), list(extra))[0]


def test_only_the_full_unselected_audit_writes_the_committed_report():
    assert _report_dir() == Path("reports")  # --profile full is the default
    assert _report_dir("tests/claims/", "--seed", "3", "--workers", "2") == Path("reports")
    for argv, extra in [(("--profile", "quick"), ()), (("--id", "BL22-C2"), ()),
                        (("-k", "BL22"), ()), (("-m", "trains"), ()),
                        (("tests/claims/bl22",), ()), ((), ("-x",))]:
        assert _report_dir(*argv, extra=extra) == SCRATCH_REPORT_DIR, argv
    assert _report_dir("--id", "BL22-C2", "--report-dir", "reports") == Path("reports")


def test_only_the_unselected_scale_run_writes_the_committed_scale_report():
    assert _report_dir("--profile", "scale", "--device", "cpu") == Path("reports/scale")
    for argv in (("-k", "C2"), ("--id", "BL22-C2"), ("-m", "trains")):
        assert _report_dir("--profile", "scale", *argv) == SCRATCH_REPORT_DIR, argv


def test_ids_are_repeatable():
    args = cli.build_parser().parse_args(["--id", "BL22-C2", "--id", "BL22-C3"])
    assert args.ids == ["BL22-C2", "BL22-C3"]


@pytest.mark.parametrize(("verdict", "expected", "code"), [
    ("HOLDS", "HOLDS", cli.EXIT_OK),
    ("FAILS", "FAILS", cli.EXIT_OK),
    ("FAILS", "HOLDS", cli.EXIT_MISMATCH),
    ("UNDECIDED", "HOLDS", cli.EXIT_MISMATCH),
    ("UNDECIDED", "FAILS", cli.EXIT_MISMATCH),
    ("NOT_CONVERGED", "HOLDS", cli.EXIT_ERROR),
    ("ERROR", "FAILS", cli.EXIT_ERROR),
])
def test_exit_status(verdict, expected, code):
    doc = document(claim_record(verdict=verdict, expected=expected))
    assert cli.exit_code(doc, pytest.ExitCode.OK) == code


def test_usage_errors_exit_2():
    assert cli.exit_code(document(), pytest.ExitCode.USAGE_ERROR) == cli.EXIT_ERROR
    assert cli.exit_code(None, pytest.ExitCode.OK) == cli.EXIT_ERROR


# ----------------------------------------------------------------- ssl-audit family (GA23-P2)
_LOSSES_MODULE = '''
import torch


def gram(z_a, z_b):
    off = z_a @ z_a.T - torch.diag((z_a * z_a).sum(dim=1))
    return off.square().sum() + (z_a - z_b).square().sum()


class Covariance(torch.nn.Module):
    def forward(self, z_a, z_b):
        centred = z_a - z_a.mean(dim=0)
        cov = centred.T @ centred
        return (cov - torch.diag(torch.diagonal(cov))).square().sum()


def vector(z_a, z_b):
    return z_a.sum(dim=0)


def noisy(z_a, z_b):
    import random
    return float((z_a - z_b).square().sum()) + random.random()
'''


@pytest.fixture
def losses_module(tmp_path, monkeypatch):
    """A module ``cli_family_losses`` in the current directory, as a user's project has."""
    (tmp_path / "cli_family_losses.py").write_text(_LOSSES_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "cli_family_losses", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return "cli_family_losses"


def test_family_prints_the_report_of_a_function(losses_module, capsys):
    code = cli.main(["family", f"{losses_module}:gram", "--n", "5", "--m", "3", "--trials", "2",
                     "--seed", "4"])
    out = capsys.readouterr().out.splitlines()
    assert code == cli.EXIT_OK
    assert out[0] == f"{losses_module}:gram"
    assert out[1] == ("family: sample-contrastive (N=5, M=3, 2 trials, seed 4, "
                      "tolerance 1.0e-10 relative)")
    assert len(out) == 8
    assert out[6].startswith("  repulsion: repulsive (loss at collapse vs spread, z_b = z_a")
    assert out[7] == ("  each evaluation: a function: no state to reset; "
                      "torch's CPU generator forked and seeded 4")


def test_family_instantiates_a_class_and_takes_the_tolerance(losses_module, capsys):
    assert cli.main(["family", f"{losses_module}:Covariance", "--trials", "2"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "family: dimension-contrastive (N=8, M=5" in out
    # The class's instance is deep-copied per evaluation; the repulsion is reported beside.
    assert "each evaluation: nn.Module deep-copied from a pristine copy (state reset)" in out
    assert "  repulsion: " in out
    assert cli.main(["family", f"{losses_module}:gram", "--trials", "2",
                     "--tolerance", "10"]) == cli.EXIT_OK
    assert "family: both" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["cli_family_losses"], "expected module.path:loss_fn"),
    (["no_such_module_xyz:f"], "ModuleNotFoundError"),
    (["cli_family_losses:missing"], "AttributeError"),
    (["cli_family_losses:vector"], "loss_fn must return a scalar"),
    (["cli_family_losses:noisy"], "LossNotAFunctionError: loss_fn is not a function"),
    (["cli_family_losses:gram", "--n", "1"], "n must be"),
    (["cli_family_losses:gram", "--device", "gpu0"], "device"),
])
def test_family_errors_exit_2_with_the_reason(losses_module, capsys, argv, message):
    assert cli.main(["family", *argv]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("ssl-audit family: error: ")
    assert message in err


def test_family_usage_errors_and_help(capsys):
    assert cli.main(["family"]) == cli.EXIT_ERROR
    assert cli.main(["family", "m:f", "--n", "x"]) == cli.EXIT_ERROR
    assert cli.main(["family", "--help"]) == cli.EXIT_OK
    assert "module:loss_fn" in capsys.readouterr().out
