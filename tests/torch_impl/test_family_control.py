"""The family test on losses that are not plain functions (state, random projections), the
repulsion test, and the relative change's scale (torch_impl.family)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from torch_impl.family import (
    DEFAULT_TOLERANCE,
    REPULSIONS,
    SCALE_FLOOR,
    LossNotAFunctionError,
    LossRepulsion,
    _relative_change,
    loss_family,
    loss_repulsion,
)
from torch_impl.losses import (
    barlow_twins_loss_convention,
    simclr_two_branch_loss,
    vicreg_loss_convention,
)
from torch_impl.losses.tcr import total_coding_rate_loss
from torch_impl.validation import InvalidInputError

SMALL = {"n": 6, "m": 4, "trials": 3, "seed": 2}
# An exactly invariant loss changes by float64 round-off only; a dependent one by O(0.01) or
# more at the test's random inputs (as in test_family.py).
ROUND_OFF = 1e-13
DEPENDENT = 1e-3


# ------------------------------------------------------- losses from their published formulas
class TiCo(torch.nn.Module):
    """TiCo (Zhu et al. 2022, Eq. 5): ``1 - mean_i <a_i, b_i> + rho mean_i a_i^T C a_i`` with
    rows normalised and C a running covariance ``C <- beta C + (1 - beta) A^T A / N`` updated
    on every call (a buffer: state that leaks between calls unless reset)."""

    def __init__(self, m: int = 4, beta: float = 0.9, rho: float = 20.0) -> None:
        super().__init__()
        self.beta, self.rho = beta, rho
        self.register_buffer("cov", torch.zeros(m, m, dtype=torch.float64))

    def forward(self, z_a, z_b):
        a, b = F.normalize(z_a, dim=1), F.normalize(z_b, dim=1)
        self.cov = self.beta * self.cov + (1 - self.beta) * a.T @ a / a.shape[0]
        return 1 - (a * b).sum(1).mean() + self.rho * ((a @ self.cov) * a).sum(1).mean()


def sliced_gaussianity(z_a, z_b, n_slices: int = 16):
    """A sliced regulariser (as SIGReg / sliced-Wasserstein ones): random unit directions drawn
    inside the loss with torch.randn, each 1-d projection's first two moments pulled to N(0, 1),
    plus the alignment ``||z_a - z_b||^2 / N``."""
    dirs = F.normalize(torch.randn(z_a.shape[1], n_slices, dtype=z_a.dtype), dim=0)
    proj = z_a @ dirs
    moments = proj.mean(0).square() + (proj.var(0) - 1).square()
    return (z_a - z_b).square().sum(1).mean() + moments.mean()


def alignment_mse(z_a, z_b):
    return F.mse_loss(z_a, z_b)


def constant(z_a, z_b):
    return torch.tensor(0.25, dtype=torch.float64)


class WeightDecay(torch.nn.Module):
    """``lambda ||W||_F^2`` of a projector's weights: a term of the total loss, constant in z."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.linspace(-1, 1, 12, dtype=torch.float64))

    def forward(self, z_a, z_b):
        return 1e-4 * self.weight.square().sum()


def negative_cosine(z_a, z_b):
    """BYOL / SimSiam: ``-mean_i cos(p_i, z_i)`` (the predictor is the identity here)."""
    return -F.cosine_similarity(z_a, z_b, dim=1).mean()


def one_minus_cosine(z_a, z_b):
    # 0 (round-off) at z_b = z_a: the floor of the relative change keeps it "no repulsion".
    return (1 - F.cosine_similarity(z_a, z_b, dim=1)).mean()


def simclr(z_a, z_b):
    return simclr_two_branch_loss(z_a, z_b, tau=0.5)


def _vicreg(z_a, z_b):
    return vicreg_loss_convention(z_a, z_b, convention="official")


def _barlow_twins(z_a, z_b):
    return barlow_twins_loss_convention(z_a, z_b, convention="official")


def _tcr(z_a, z_b):
    return total_coding_rate_loss(z_a) + total_coding_rate_loss(z_b)


# ----------------------------------------------------------- state reset, randomness controlled
def test_a_running_covariance_is_reset_per_evaluation():
    # Without the reset TiCo's covariance moves on every call: "neither", silently.
    tico = TiCo()
    report = loss_family(tico, **SMALL)
    # Rows normalised, everything through their inner products: a Gram-matrix loss.
    assert report.family == "sample-contrastive"
    assert report.sample_error <= ROUND_OFF
    assert report.dimension_centred_error >= DEPENDENT
    assert "deep-copied" in report.state_reset
    assert "deep-copied" in str(report)
    # The module handed over is never called: its buffer is untouched.
    assert float(tico.cov.abs().max()) == 0.0


def test_a_bound_method_of_a_module_is_reset_too():
    assert loss_family(TiCo().forward, **SMALL).family == "sample-contrastive"
    assert "bound method" in loss_family(TiCo().forward, **SMALL).state_reset


def test_random_projections_drawn_inside_are_the_same_at_z_and_at_the_moved_z():
    # One fixed draw of directions: the projections' moments are batch statistics (kept by
    # z -> Q z, Q 1 = 1), not rotation-invariant in the dimensions (the directions stay put).
    report = loss_family(sliced_gaussianity, **SMALL)
    assert report.family == "dimension-contrastive"
    assert report.dimension_centred_error <= ROUND_OFF
    assert "seeded 2" in report.randomness
    assert "seeded 2" in str(report)


def test_the_callers_random_stream_is_left_where_it_was():
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    loss_family(sliced_gaussianity, **SMALL)
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


def _numpy_noise(z_a, z_b):
    return (z_a - z_b).square().sum() + float(np.random.rand())


def _python_noise(z_a, z_b):
    return (z_a - z_b).square().sum() * (1 + random.random())


@pytest.mark.parametrize("loss", [_numpy_noise, _python_noise])
def test_randomness_outside_torch_is_rejected_with_its_cause(loss):
    with pytest.raises(LossNotAFunctionError, match="numpy's or python's global random"):
        loss_family(loss, **SMALL)
    assert issubclass(LossNotAFunctionError, ValueError)
    assert issubclass(LossNotAFunctionError, InvalidInputError)


def test_state_in_a_closure_is_rejected_with_its_cause():
    calls = []

    def counting(z_a, z_b):
        calls.append(1)
        return (z_a - z_b).square().sum() + len(calls)

    with pytest.raises(LossNotAFunctionError, match="state kept between calls"):
        loss_family(counting, **SMALL)
    with pytest.raises(LossNotAFunctionError, match="state kept between calls"):
        loss_repulsion(counting, **SMALL)


class _GlobalState(torch.nn.Module):
    """State outside the module (a class attribute shared by every copy): no reset reaches it."""

    calls = [0]

    def forward(self, z_a, z_b):
        self.calls[0] += 1
        return (z_a - z_b).square().sum() * self.calls[0]


def test_state_that_survives_the_module_reset_is_rejected():
    with pytest.raises(LossNotAFunctionError, match="survives the reset of the module"):
        loss_family(_GlobalState(), **SMALL)


# -------------------------------------------------------------------------------- repulsion
@pytest.mark.parametrize(
    ("loss", "family", "repulsion"),
    [
        (TiCo(), "sample-contrastive", "repulsive"),
        (sliced_gaussianity, "dimension-contrastive", "repulsive"),
        (alignment_mse, "both", "no repulsion"),
        (constant, "both", "no repulsion"),
        (WeightDecay(), "both", "no repulsion"),
        (negative_cosine, "sample-contrastive", "no repulsion"),
        (one_minus_cosine, "sample-contrastive", "no repulsion"),
        (simclr, "sample-contrastive", "repulsive"),
        (_vicreg, "dimension-contrastive", "repulsive"),
        (_barlow_twins, "dimension-contrastive", "repulsive"),
        (_tcr, "sample-contrastive", "repulsive"),
    ],
    ids=lambda x: getattr(x, "__name__", type(x).__name__) if callable(x) else x,
)
def test_family_and_repulsion_of_each_loss(loss, family, repulsion):
    report = loss_family(loss, **SMALL)
    assert (report.family, report.repulsion.repulsion) == (family, repulsion)
    assert report.repulsion == loss_repulsion(loss, **SMALL)
    if repulsion == "repulsive":
        # Collapse costs a large fraction of the loss, not round-off.
        assert report.repulsion.min_excess >= DEPENDENT
    else:
        # Round-off (1e-16 absolute for 1 - cos(z, z)) against the floor SCALE_FLOOR = 1e-3.
        assert max(abs(report.repulsion.min_excess), abs(report.repulsion.max_excess)) <= 1e-12


def test_a_loss_preferring_collapse_and_one_undefined_there():
    def anti_uniformity(z_a, z_b):
        # Minus a sample-contrastive repulsion: collapse is its minimum.
        return -simclr(z_a, z_b)

    def whitening(z_a, z_b):
        centred = z_a - z_a.mean(0)
        chol = torch.linalg.cholesky(centred.T @ centred / z_a.shape[0])
        return (z_a - z_b).square().sum() + chol.diagonal().log().sum()

    assert loss_repulsion(anti_uniformity, **SMALL).repulsion == "attracts collapse"
    undefined = loss_repulsion(whitening, **SMALL)
    assert undefined.repulsion == "undefined at collapse"
    assert undefined.min_excess is None
    assert "LinAlgError" in undefined.detail
    assert "undefined at collapse (loss_fn fails at collapsed inputs" in str(undefined)


def test_mixed_when_collapse_is_worse_in_some_trials_only():
    def by_sign(z_a, z_b):
        # Repulsive when the first embedding's first coordinate is positive, else attractive.
        sign = 1.0 if float(z_a[0, 0]) > 0 else -1.0
        return sign * simclr(z_a, z_b)

    assert loss_repulsion(by_sign, n=6, m=4, trials=8, seed=0).repulsion == "mixed"


def test_repulsion_report_is_frozen_and_names_its_settings():
    report = loss_repulsion(simclr, **SMALL)
    assert isinstance(report, LossRepulsion)
    assert report.repulsion in REPULSIONS
    assert (report.n, report.m, report.trials, report.seed) == (6, 4, 3, 2)
    assert report.tolerance == DEFAULT_TOLERANCE
    text = str(report)
    assert text.startswith("repulsion: repulsive (loss at collapse vs spread, z_b = z_a")
    assert "each evaluation: a function: no state to reset; torch's CPU generator" in text


# ------------------------------------------------------------------------ the relative change
def test_relative_change_is_symmetric_and_floored():
    assert _relative_change(0.0, 1.0) == _relative_change(1.0, 0.0) == 1.0
    assert _relative_change(-2.0, -1.0) == 0.5
    assert _relative_change(0.0, 0.0) == 0.0
    # Round-off of a loss that is 0 at both points is measured against the floor.
    assert _relative_change(1e-16, -1e-16) == pytest.approx(2e-16 / SCALE_FLOOR, rel=1e-12)


def _relu_first_column_sum(z_a, z_b):
    # 0 wherever the first column sums to <= 0; the rotations of the samples that fix the
    # all-ones vector keep the column sums, rotations of the dimensions change them.
    return torch.relu(z_a[:, 0].sum())


def test_a_loss_that_is_zero_before_a_move_is_not_invariant_after_it():
    # Seed 4, one trial: the loss is 0 at the drawn inputs and positive after the centred
    # rotation of the dimensions. Scaled by |f(z)| alone the change would read 0 (invariant).
    seen = []

    def recorded(z_a, z_b):
        seen.append(float(_relu_first_column_sum(z_a, z_b)))
        return _relu_first_column_sum(z_a, z_b)

    report = loss_family(recorded, n=6, m=4, trials=1, seed=4)
    # The precondition: calls are the original twice, then the four moves in order.
    assert seen[0] == seen[1] == 0.0
    assert seen[3] > 0.0
    assert report.sample_centred_error == 1.0
    assert report.family == "dimension-contrastive"


def test_the_draws_inside_the_loss_do_not_depend_on_the_callers_stream():
    # Seeded per evaluation, not only forked: the same report whatever the caller drew before.
    torch.manual_seed(0)
    first = loss_family(sliced_gaussianity, **SMALL)
    torch.manual_seed(1)
    torch.rand(7)
    assert loss_family(sliced_gaussianity, **SMALL) == first
