"""The command line: where the report goes, and the exit status."""

from __future__ import annotations

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
