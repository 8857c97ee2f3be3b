"""Pure helpers of tests/bench/run_bench.py: median, ratio cells, table, machine header."""

from __future__ import annotations

import pytest

from tests.bench import run_bench


def test_median_odd_and_even_counts():
    assert run_bench.median_s([3.0, 1.0, 2.0]) == 2.0
    assert run_bench.median_s([4.0, 1.0, 2.0, 3.0]) == 2.5


def test_median_of_nothing_raises():
    with pytest.raises(ValueError, match="times_s"):
        run_bench.median_s([])


@pytest.mark.parametrize(
    ("ours", "other", "target", "expected"),
    [
        (3.0, 1.0, 3.0, "3.00"),  # on the target: met
        (0.5, 1.0, 1.0, "0.50"),
        (3.5, 1.0, 3.0, "gap 3.50 (target <= 3)"),
        (1.25, 1.0, 1.0, "gap 1.25 (target <= 1)"),
    ],
)
def test_ratio_cell_marks_missed_targets(ours, other, target, expected):
    assert run_bench.ratio_cell(ours, other, target) == expected


def test_ratio_cell_rejects_a_zero_time():
    with pytest.raises(ValueError, match="other_s"):
        run_bench.ratio_cell(1.0, 0.0, 1.0)


def test_format_ms():
    assert run_bench.format_ms(0.01234) == "12.3"
    assert run_bench.format_ms(None) == "-"


def test_markdown_table_orders_columns_and_fills_missing_cells():
    table = run_bench.markdown_table([{"b": "x", "a": "1"}, {"a": "2"}], ["a", "b"])
    lines = table.splitlines()
    assert [cell.strip() for cell in lines[0].strip("|").split("|")] == ["a", "b"]
    assert [cell.strip() for cell in lines[2].strip("|").split("|")] == ["1", "x"]
    assert [cell.strip() for cell in lines[3].strip("|").split("|")] == ["2", ""]


def test_machine_header_names_every_field():
    header = run_bench.machine_header("cpu")
    assert list(header) == ["cpu", "cores", "torch", "torch threads", "gpu", "device", "date",
                            "commit"]
    assert header["device"] == "cpu"
    assert header["torch"] == run_bench.torch.__version__
    assert all(isinstance(value, str) and value for value in header.values())
