"""Tests of tests/claims/ga23/protocols/proxies.py (the shared small-scale proxy)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from tests.claims.ga23.protocols import proxies
from tests.claims.ga23.protocols.proxy_stats import paired_comparison

CPU = torch.device("cpu")
# A tiny proxy: every test trains in milliseconds.
TINY = proxies.ProxySizes(n_classes=3, input_dim=4, n_train=12, n_test=9, hidden=5,
                          representation=4, projector_width=6, dims=(2, 3), steps=6, window=2)


def test_mixture_is_seeded_balanced_and_shaped():
    data = proxies.mixture(TINY, 3)
    again = proxies.mixture(TINY, 3)
    other = proxies.mixture(TINY, 4)
    assert data.x_train.shape == (12, 4)
    assert data.x_test.shape == (9, 4)
    assert data.x_train.dtype == torch.float64
    assert torch.equal(torch.bincount(data.y_train), torch.tensor([4, 4, 4]))
    assert torch.equal(torch.bincount(data.y_test), torch.tensor([3, 3, 3]))
    assert torch.equal(data.x_train, again.x_train)
    assert not torch.equal(data.x_train, other.x_train)


def test_augment_without_masking_scaling_or_noise_is_the_identity():
    plain = dataclasses.replace(TINY, p_mask=0.0, scale_jitter=0.0, noise=0.0)
    x = torch.randn(5, 4, dtype=torch.float64)
    assert torch.equal(proxies.augment(x, plain, torch.Generator().manual_seed(0)), x)


def test_augment_masks_about_p_of_the_coordinates():
    masking = dataclasses.replace(TINY, p_mask=0.3, scale_jitter=0.0, noise=0.0)
    x = torch.ones(400, 50, dtype=torch.float64)
    view = proxies.augment(x, masking, torch.Generator().manual_seed(1))
    dropped = float((view == 0).double().mean())
    # 20000 Bernoulli(0.3) draws: sd 0.0032, so 0.3 +- 0.02 is > 6 sd.
    assert abs(dropped - 0.3) < 0.02
    assert set(view.unique().tolist()) == {0.0, 1.0}


def test_augment_scales_within_the_jitter():
    scaling = dataclasses.replace(TINY, p_mask=0.0, scale_jitter=0.3, noise=0.0)
    view = proxies.augment(torch.ones(200, 3, dtype=torch.float64), scaling,
                           torch.Generator().manual_seed(2))
    assert torch.equal(view[:, 0], view[:, 1])
    assert float(view.min()) >= 0.7
    assert float(view.max()) <= 1.3


def test_probe_reads_a_perfect_representation_perfectly():
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    one_hot = torch.nn.functional.one_hot(labels, 3).double()
    assert proxies.probe_accuracy(one_hot, labels, one_hot, labels, 3) == 100.0


def test_probe_on_a_constant_representation_predicts_one_class():
    # Balanced one-hot targets fitted by a constant: all scores 1/3, argmax picks class 0.
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    constant = torch.ones(6, 2, dtype=torch.float64)
    assert proxies.probe_accuracy(constant, labels, constant, labels, 3) == pytest.approx(
        100.0 / 3, rel=1e-14)


def test_off_diagonal_cosine_mean_limits_and_formula():
    assert proxies.off_diagonal_cosine_mean(torch.eye(4, dtype=torch.float64)) == pytest.approx(
        0.0, abs=1e-15)
    same = torch.tensor([[1.0, 2.0]] * 3, dtype=torch.float64)
    assert proxies.off_diagonal_cosine_mean(same) == pytest.approx(1.0, rel=1e-14)
    z = torch.randn(7, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    unit = torch.nn.functional.normalize(z, dim=1)
    loop = [float(unit[i] @ unit[j]) for i in range(7) for j in range(7) if i != j]
    assert proxies.off_diagonal_cosine_mean(z) == pytest.approx(math.fsum(loop) / 42, rel=1e-12)


def test_lemma_3_4_ratios_attain_one_and_the_collapse_value():
    # +-1 matrix with orthogonal rows and columns: every row and column norm equal -> (1, 1).
    hadamard = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, -1.0],
                             [1.0, 1.0, -1.0, -1.0], [1.0, -1.0, -1.0, 1.0]], dtype=torch.float64)
    assert proxies.lemma_3_4_ratios(hadamard) == pytest.approx((1.0, 1.0), rel=1e-14)
    # n = 6 embeddings all on the first of M = 3 axes: (a) sum_j ||row_j||^4 = N^2 -> ratio M;
    # (b) the one nonzero row has unit norm, spread evenly: sum_i ||col_i||^4 = 6 / 36 against
    # M^2 / N = 1.5.
    collapsed = torch.zeros(6, 3, dtype=torch.float64)
    collapsed[:, 0] = 2.0
    ratio_a, ratio_b = proxies.lemma_3_4_ratios(collapsed)
    assert ratio_a == pytest.approx(3.0, rel=1e-14)
    assert ratio_b == pytest.approx((6 / 36) / 1.5, rel=1e-14)


def test_lemma_3_4_ratios_match_the_written_sums():
    z = torch.randn(8, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    k_cols = torch.nn.functional.normalize(z, dim=1).T  # (M, N), unit columns
    k_rows = torch.nn.functional.normalize(z, dim=0).T  # (M, N), unit rows
    sum_a = sum(float(k_cols[j].norm()) ** 4 for j in range(3))
    sum_b = sum(float(k_rows[:, i].norm()) ** 4 for i in range(8))
    ratio_a, ratio_b = proxies.lemma_3_4_ratios(z)
    assert ratio_a == pytest.approx(sum_a / (64 / 3), rel=1e-12)
    assert ratio_b == pytest.approx(sum_b / (9 / 8), rel=1e-12)
    assert ratio_a >= 1.0
    assert ratio_b >= 1.0


@pytest.mark.parametrize("method", sorted(proxies.METHODS))
def test_every_method_trains_deterministically(method):
    run = proxies.train_proxy(method, "large", 3, 0, TINY, CPU)
    proxies._train.cache_clear()
    again = proxies.train_proxy(method, "large", 3, 0, TINY, CPU)
    assert run.accuracy == again.accuracy
    assert torch.equal(run.embeddings_test, again.embeddings_test)
    assert run.embeddings_test.shape == (9, 3)
    assert 0.0 <= run.accuracy <= 100.0


def test_runs_are_memoised_on_every_argument():
    run = proxies.train_proxy("simclr", "light", 2, 1, TINY, CPU)
    assert proxies.train_proxy("simclr", "light", 2, 1, TINY, CPU) is run
    assert proxies.train_proxy("simclr", "light", 2, 2, TINY, CPU) is not run
    assert proxies.train_proxy("simclr", "light", 3, 1, TINY, CPU) is not run


def test_stopping_rule_and_budget():
    never = dataclasses.replace(TINY, stop_rtol=0.0)
    always = dataclasses.replace(TINY, stop_rtol=1e9)
    assert proxies.train_proxy("vicreg", "light", 2, 0, never, CPU).steps_run == 6
    # The first window has nothing to compare with; the second meets any tolerance.
    assert proxies.train_proxy("vicreg", "light", 2, 0, always, CPU).steps_run == 4


def test_methods_share_the_seed_initialisation_and_data():
    # Zero steps of training: every method's probe reads the same initial representation.
    untrained = dataclasses.replace(TINY, steps=0)
    accuracies = {proxies.train_proxy(m, "large", 3, 7, untrained, CPU).accuracy
                  for m in proxies.METHODS}
    assert len(accuracies) == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "byol"}, "method must be one of"),
    ({"projector": "huge"}, "projector must be one of"),
])
def test_train_proxy_rejects_unknown_names(kwargs, match):
    arguments = {"method": "simclr", "projector": "light", "dim": 2, "seed": 0,
                 "sizes": TINY, "device": CPU, **kwargs}
    with pytest.raises(ValueError, match=match):
        proxies.train_proxy(**arguments)


def test_profiles_sizes_and_seeds():
    assert proxies.proxy_seeds("full", 0) == tuple(range(16))
    assert proxies.proxy_seeds("quick", 2) == (2000, 2001, 2002)
    assert proxies.proxy_sizes("full").n_train == 128
    assert proxies.proxy_sizes("quick").steps < proxies.proxy_sizes("full").steps
    for bad in (proxies.proxy_seeds, proxies.proxy_sizes):
        with pytest.raises(ValueError, match="profile must be"):
            bad("medium", 0) if bad is proxies.proxy_seeds else bad("medium")


@pytest.fixture
def tiny_profile(monkeypatch):
    monkeypatch.setattr(proxies, "proxy_sizes", lambda profile: TINY)


@pytest.mark.usefixtures("tiny_profile")
def test_paired_compares_the_seeds_accuracies():
    seeds = proxies.proxy_seeds("quick", 0)
    a = proxies.accuracies("simclr", "large", 3, seeds, TINY, CPU)
    b = proxies.accuracies("vicreg", "light", 2, seeds, TINY, CPU)
    result = proxies.paired(proxies.Config("simclr"), proxies.Config("vicreg", "light", 2),
                            profile="quick", run_seed=0, device=CPU, alpha=0.05, margin=2.0)
    assert result == paired_comparison(a, b, alpha=0.05, margin=2.0)


@pytest.mark.usefixtures("tiny_profile")
def test_decide_runs_the_comparison_then_skips_the_quick_profile(monkeypatch):
    ran = []
    monkeypatch.setattr(proxies, "paired", lambda *a, **k: ran.append(k) or "compared")
    with pytest.raises(pytest.skip.Exception, match="quick profile"):
        proxies.decide(proxies.Config("simclr"), proxies.Config("vicreg"), profile="quick",
                       run_seed=0, device=CPU)
    assert [(k["alpha"], k["margin"]) for k in ran] == [(0.05, 2.0)]
    assert proxies.decide(proxies.Config("simclr"), proxies.Config("vicreg"), profile="full",
                          run_seed=0, device=CPU) == "compared"


@pytest.mark.usefixtures("tiny_profile")
def test_sensitivity_to_dim_compares_the_light_and_large_gaps():
    seeds = proxies.proxy_seeds("quick", 0)

    def gaps(projector):
        high = proxies.accuracies("vicreg", projector, 3, seeds, TINY, CPU)
        low = proxies.accuracies("vicreg", projector, 2, seeds, TINY, CPU)
        return [x - y for x, y in zip(high, low, strict=True)]

    result = proxies.sensitivity_to_dim("vicreg", profile="quick", run_seed=0, device=CPU,
                                        alpha=0.05, margin=2.0)
    assert result == paired_comparison(gaps("light"), gaps("large"), alpha=0.05, margin=2.0)


@pytest.mark.usefixtures("tiny_profile")
def test_trained_embeddings_default_to_the_largest_dim():
    embeddings = proxies.trained_embeddings(proxies.Config("vicreg"), profile="quick",
                                            run_seed=0, device=CPU)
    assert [tuple(k.shape) for k in embeddings] == [(9, 3)] * 3


def test_smoke_only_skips_the_quick_profile_and_lets_full_decide():
    with pytest.raises(pytest.skip.Exception, match="quick profile"):
        proxies.smoke_only("quick")
    assert proxies.smoke_only("full") is None
