"""The loss-family classifier (GA23 Prop. 3.2 as an invariance test): the orthogonal draws,
textbook losses of each family, the report, and bad input."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import torch

from tests.torch_impl.validation_data import VALID
from torch_impl.family import (
    DEFAULT_TOLERANCE,
    LossFamily,
    _haar_orthogonal,
    _orthogonal_fixing_ones,
    loss_family,
)
from torch_impl.losses import dimension_contrastive_criterion, sample_contrastive_criterion
from torch_impl.validation import InvalidInputError

F64 = torch.float64
# An exactly invariant loss changes by float64 round-off only; a dependent one by O(0.01) or
# more at the classifier's random inputs.
ROUND_OFF = 1e-13
DEPENDENT = 1e-3


# ------------------------------------------------------------------------- orthogonal draws
@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_haar_draw_is_orthogonal(n):
    q = _haar_orthogonal(n, torch.Generator().manual_seed(n))
    torch.testing.assert_close(q @ q.T, torch.eye(n, dtype=F64), rtol=0, atol=1e-14)


@pytest.mark.parametrize("n", [2, 3, 6, 10])
def test_centred_draw_is_orthogonal_and_fixes_ones(n):
    q = _orthogonal_fixing_ones(n, torch.Generator().manual_seed(n))
    ones = torch.ones(n, dtype=F64)
    torch.testing.assert_close(q @ q.T, torch.eye(n, dtype=F64), rtol=0, atol=1e-14)
    torch.testing.assert_close(q @ ones, ones, rtol=0, atol=1e-14)
    # Not the identity: the draw moves the complement of the all-ones vector.
    assert float((q - torch.eye(n, dtype=F64)).abs().max()) > 0.1


# ------------------------------------------------------------------------- textbook losses
def _gram_off_diagonal(z_a, z_b):
    return sample_contrastive_criterion(z_a, samples_as_rows=True) + (z_a - z_b).square().sum()


def _uncentred_cov(z_a, z_b):
    return dimension_contrastive_criterion(z_b, samples_as_rows=True)


def _centred_cov(z_a, z_b):
    # VICReg's covariance: centring over the batch needs Q 1 = 1.
    centred = z_a - z_a.mean(dim=0)
    return dimension_contrastive_criterion(centred, samples_as_rows=True)


def _cross_correlation(z_a, z_b):
    # BarlowTwins-like: a cross-branch (M, M) matrix is allowed (same Q on both branches).
    # The off-diagonal weight 0.1 != 1 makes it depend on the basis of the dimensions
    # (with weight 1 it would be ||C - I||_F^2, a function of the spectrum: "both").
    cross_mm = z_a.T @ z_b
    off_diagonal = cross_mm - torch.diag(torch.diagonal(cross_mm))
    return (torch.diagonal(cross_mm) - 1).square().sum() + 0.1 * off_diagonal.square().sum()


def _centred_embeddings(z_a, z_b):
    # Each embedding centred across its dimensions (VICReg-ctr): needs Q 1 = 1 on dimensions.
    centred = z_a - z_a.mean(dim=1, keepdim=True)
    return centred.square().sum(dim=1).square().sum()


def _alignment(z_a, z_b):
    return (z_a - z_b).square().sum()


def _first_coordinate(z_a, z_b):
    return z_a[:, 0].square().sum() + z_b[0].square().sum()


@pytest.mark.parametrize(
    ("loss", "family", "general_sample", "general_dimension"),
    [
        (_gram_off_diagonal, "sample-contrastive", True, False),
        (_uncentred_cov, "dimension-contrastive", False, True),
        (_centred_cov, "dimension-contrastive", False, False),
        (_cross_correlation, "dimension-contrastive", False, True),
        (_centred_embeddings, "sample-contrastive", False, False),
        (_alignment, "both", True, True),
        (_first_coordinate, "neither", False, False),
    ],
)
def test_textbook_losses_get_their_family(loss, family, general_sample, general_dimension):
    report = loss_family(loss, n=6, m=4, trials=4, seed=3)
    assert report.family == family
    assert report.sample_contrastive == (family in ("sample-contrastive", "both"))
    assert report.dimension_contrastive == (family in ("dimension-contrastive", "both"))
    for error, invariant in [
        (report.sample_error, general_sample),
        (report.sample_centred_error, report.sample_contrastive),
        (report.dimension_error, general_dimension),
        (report.dimension_centred_error, report.dimension_contrastive),
    ]:
        assert error <= ROUND_OFF if invariant else error >= DEPENDENT


def test_a_small_violation_is_measured_not_rounded_away():
    def almost(z_a, z_b):
        return _gram_off_diagonal(z_a, z_b) + 1e-7 * z_a[:, 0].sum()

    report = loss_family(almost, n=6, m=4, trials=4, seed=1)
    assert report.family == "neither"
    assert 1e-12 < report.sample_error < 1e-6
    assert report.dimension_error >= DEPENDENT


def test_tolerance_decides_the_family():
    def almost(z_a, z_b):
        return _gram_off_diagonal(z_a, z_b) + 1e-7 * z_a[:, 0].sum()

    assert loss_family(almost, n=6, m=4, trials=2, tolerance=1e-4).family == "sample-contrastive"


def test_a_loss_editing_its_inputs_in_place_is_measured_on_unchanged_inputs():
    def centring_in_place(z_a, z_b):
        z_a -= z_a.mean(dim=0)
        return dimension_contrastive_criterion(z_a, samples_as_rows=True)

    assert loss_family(centring_in_place, n=6, m=4, trials=3).family == "dimension-contrastive"


def test_a_module_and_a_float_returning_loss_are_accepted():
    module = torch.nn.MSELoss()
    assert loss_family(module, n=4, m=3, trials=2).family == "both"
    assert loss_family(lambda a, b: float(_alignment(a, b)), n=4, m=3, trials=2).family == "both"


# ------------------------------------------------------------------------------- the report
def test_report_is_frozen_reproducible_and_seeded():
    first = loss_family(_centred_cov, n=5, m=3, trials=3, seed=7)
    assert isinstance(first, LossFamily)
    assert first == loss_family(_centred_cov, n=5, m=3, trials=3, seed=7)
    other = loss_family(_centred_cov, n=5, m=3, trials=3, seed=8)
    assert first.dimension_error != other.dimension_error
    assert (first.n, first.m, first.trials, first.seed) == (5, 3, 3, 7)
    assert first.tolerance == DEFAULT_TOLERANCE
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.family = "both"


def test_report_text_states_family_errors_and_tolerance():
    text = str(loss_family(_centred_cov, n=5, m=3, trials=2))
    assert text.startswith("family: dimension-contrastive (N=5, M=3, 2 trials, seed 0")
    assert "tolerance 1.0e-10 relative" in text
    assert len(re.findall(r"max relative change \d\.\d{3}e[+-]\d\d", text)) == 4
    assert text.count("  invariant") == 1


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("output", "message"),
    [
        (lambda a, b: a.sum(dim=0), "loss_fn must return a scalar"),
        (lambda a, b: a.sum() * float("nan"), "loss_fn must return a finite real scalar"),
        (lambda a, b: "0.5", "loss_fn must return a finite real scalar"),
    ],
)
def test_a_bad_loss_output_names_loss_fn(output, message):
    with pytest.raises(InvalidInputError, match=message):
        loss_family(output, n=4, m=3, trials=1)


def test_valid_arguments_are_accepted():
    assert loss_family(**VALID["family.loss_family"]()).family == "both"


# ------------------------------------------------------------------------- README's example
README = Path(__file__).resolve().parents[2] / "README.md"
# Round-off digits vary with the machine; every other character of the output is compared.
_NUMBER = re.compile(r"\d\.\d{3}e[+-]\d\d")


def _readme_example() -> tuple[str, str]:
    """The code block and its printed output in README's "Which family is my loss?"."""
    section = README.read_text().split("## Which family is my loss?", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    output = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    return code, output


def test_readme_example_prints_what_readme_shows(capsys):
    code, output = _readme_example()
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out
    assert _NUMBER.sub("#", printed) == _NUMBER.sub("#", output)
    # The non-invariant rows' changes are far from round-off, so they are stable to 3 digits.
    assert re.findall(r"(\d\.\d{3}e[+-]\d\d)  not", printed) == re.findall(
        r"(\d\.\d{3}e[+-]\d\d)  not", output
    )
