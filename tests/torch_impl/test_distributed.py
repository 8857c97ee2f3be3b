"""torch_impl.distributed against the single-process losses on the concatenated batch.

W = 2 and W = 4 gloo ranks on CPU are spawned once each per module (torch.multiprocessing, a
free port, a timeout); each rank holds its own 8 / W of the 8 rows, different data on every rank.
The equivalence checked is the one lightly#1528 broke (1 device x batch 8 vs 2 devices x batch 4
did not train alike because the gather's backward dropped the other ranks' gradients), for the
BL22 losses and for user-written two-branch losses wrapped by ``global_batch``.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.testing import assert_close

import torch_impl
from tests.torch_impl import distributed_workers as w
from torch_impl.distributed import (
    PRIMITIVES,
    distributed_barlow_twins_loss,
    gather_embeddings,
    global_batch,
    global_relation,
    required_primitive,
    world_size,
)
from torch_impl.losses import (
    barlow_twins_loss_convention,
    barlow_twins_loss_from_relation,
    simclr_loss,
    simclr_two_branch_loss,
    vicreg_loss,
    vicreg_loss_convention,
)
from torch_impl.relations import views_relation
from torch_impl.validation import InvalidInputError

WORLDS = (2, 4)
TOL = {"rtol": 1e-10, "atol": 1e-10}
TIMEOUT_S = 120.0  # 4 ranks importing torch on 2 shared cores: ~35 s
README = Path(__file__).resolve().parents[2] / "README.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=WORLDS, ids=[f"W{world}" for world in WORLDS])
def ranks(request, tmp_path_factory) -> tuple[int, list[dict[str, object]]]:
    """W and the results of the W spawned ranks (see distributed_workers.run_rank)."""
    world = request.param
    out = tmp_path_factory.mktemp(f"distributed{world}")
    context = mp.spawn(w.run_rank, args=(world, _free_port(), str(out)), nprocs=world, join=False)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        # join returns False as soon as one rank ends while another runs: wait for all.
        while not context.join(timeout=max(deadline - time.monotonic(), 0.0)):
            if time.monotonic() >= deadline:
                pytest.fail(f"the {world} gloo ranks did not finish within {TIMEOUT_S} s")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.terminate()
    return world, [torch.load(out / f"rank{r}.pt") for r in range(world)]


def _single(name: str, world: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss and gradient on the concatenated batch, one process, block-diagonal relation."""
    Z = w.global_embedding().requires_grad_()
    loss = w.LOSSES[name](Z, global_relation(w.local_relation(w.N_GLOBAL // world), world))
    loss.backward()
    return loss.detach(), Z.grad


def test_spawned_ranks_import_the_code_under_test(ranks):
    _, results = ranks
    for result in results:
        assert Path(result["torch_impl_file"]).resolve() == Path(torch_impl.__file__).resolve()


@pytest.mark.parametrize("name", list(w.LOSSES))
def test_loss_equals_single_process_on_every_rank(ranks, name):
    world, results = ranks
    expected, _ = _single(name, world)
    for result in results:
        assert_close(result[f"{name}/loss"], expected, **TOL)


@pytest.mark.parametrize("name", list(w.LOSSES))
def test_gradient_is_sum_over_ranks_of_global_gradient(ranks, name):
    # Every rank computes the same global L, so rank r receives W * dL/dZ_r: DDP's mean over
    # the W ranks then gives dL/dtheta (not 1/W of it, not W times it).
    world, results = ranks
    _, grad_nk = _single(name, world)
    n = w.N_GLOBAL // world
    for rank, result in enumerate(results):
        assert_close(result[f"{name}/grad"], world * grad_nk[rank * n : (rank + 1) * n], **TOL)


@pytest.mark.parametrize("name", list(w.LOSSES))
def test_ddp_ranks_train_like_one_rank(ranks, name):
    world, results = ranks
    G = global_relation(w.local_relation(w.N_GLOBAL // world), world)
    expected = w.train(w.encoder(), w.global_inputs(), G, name)
    # The run must move the weight, or equality would be vacuous (VICReg ignores the bias:
    # its covariance is centred and its invariance takes differences).
    assert (expected[0] - w.encoder().weight.detach()).abs().max() > 1e-3
    for result in results:
        for got, want in zip(result[f"{name}/params"], expected, strict=True):
            assert_close(got, want, **TOL)


# ---------------------------------------------------------------------------------------------
# global_batch: user-written two-branch losses on the gathered batch
# ---------------------------------------------------------------------------------------------


def _single_two_branch(name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The user loss and its gradients on the concatenated branches, one process."""
    z_a, z_b = (z.requires_grad_() for z in w.branches())
    loss = w.USER_LOSSES[name](z_a, z_b)
    loss.backward()
    return loss.detach(), z_a.grad, z_b.grad


@pytest.mark.parametrize("name", list(w.USER_LOSSES))
def test_global_batch_loss_and_gradient_equal_single_process(ranks, name):
    world, results = ranks
    expected, grad_a, grad_b = _single_two_branch(name)
    n = w.N_GLOBAL // world
    for rank, result in enumerate(results):
        rows = slice(rank * n, (rank + 1) * n)
        assert_close(result[f"{name}/loss"], expected, **TOL)
        # W * dL/dz_r on both branches: the gather's backward summed over the W copies of L.
        got_a, got_b = result[f"{name}/grad"]
        assert_close(got_a, world * grad_a[rows], **TOL)
        assert_close(got_b, world * grad_b[rows], **TOL)


@pytest.mark.parametrize("name", list(w.USER_LOSSES))
def test_global_batch_under_ddp_trains_like_one_rank(ranks, name):
    world, results = ranks
    expected = w.train_two_branch(w.encoder(), *w.branch_inputs(), w.USER_LOSSES[name])
    assert (expected[0] - w.encoder().weight.detach()).abs().max() > 1e-3
    for result in results:
        for got, want in zip(result[f"{name}/params"], expected, strict=True):
            assert_close(got, want, **TOL)


@pytest.mark.parametrize("name", ["info_nce", "standardised_cross_correlation"])
@pytest.mark.parametrize("world", WORLDS)
def test_shard_losses_differ_from_the_global_one(name, world):
    # Otherwise the equalities above would not show that the gather is needed: the batch-level
    # losses on one rank's shard (in-batch negatives, batch statistics) are not the global one,
    # nor is their mean.
    z_a, z_b = w.branches()
    full = w.USER_LOSSES[name](z_a, z_b)
    pairs = zip(z_a.chunk(world), z_b.chunk(world), strict=True)
    shards = [w.USER_LOSSES[name](a, b) for a, b in pairs]
    assert (torch.stack(shards) - full).abs().min() > 1e-3
    assert (torch.stack(shards).mean() - full).abs() > 1e-3


def test_global_batch_without_process_group_is_the_loss_itself():
    z_a, z_b = w.branches()
    wrapped = global_batch(w.info_nce)
    assert wrapped.loss_fn is w.info_nce
    assert_close(wrapped(z_a, z_b), w.info_nce(z_a, z_b), rtol=0.0, atol=0.0)


def test_global_batch_rejects_unpaired_branches():
    z_a, z_b = w.branches()
    with pytest.raises(InvalidInputError, match="z_a and z_b"):
        global_batch(w.info_nce)(z_a, z_b[:-1])
    with pytest.raises(TypeError, match="z_a and z_b"):
        global_batch(w.info_nce)(z_a, z_b.float())


# ---------------------------------------------------------------------------------------------
# required_primitive
# ---------------------------------------------------------------------------------------------


def _nt_xent_codebase(z_a, z_b):
    return simclr_two_branch_loss(z_a, z_b, tau=0.5)


def _simclr_paper(z_a, z_b):
    # BL22's SimCLR on the stacked views, view v of sample i in row v N + i.
    return simclr_loss(torch.cat([z_a, z_b]), views_relation(z_a.shape[0], 2), tau=0.5)


def _vicreg_paper(z_a, z_b):
    return vicreg_loss(torch.cat([z_a, z_b]), views_relation(z_a.shape[0], 2),
                       alpha=1.0, beta=0.5, gamma=2.0)


@pytest.mark.parametrize(
    ("loss", "primitive"),
    [
        # Sample-contrastive: row normalisation and a softmax over the rows.
        (w.info_nce, "gather"),
        (_nt_xent_codebase, "gather"),
        (_simclr_paper, "gather"),
        # Dimension-contrastive, centred over the batch: Q 1 = 1 keeps the batch mean.
        (lambda a, b: vicreg_loss_convention(a, b, convention="official"), "statistics"),
        (_vicreg_paper, "statistics"),
        (lambda a, b: barlow_twins_loss_convention(a, b, convention="official"), "statistics"),
        (w.standardised_cross_correlation, "statistics"),
        # Uncentred BL22 BarlowTwins: invariant under every Q, no column sums needed.
        (lambda a, b: barlow_twins_loss_from_relation(
            torch.cat([a, b]), views_relation(a.shape[0], 2), alpha=0.3), "statistics"),
        # Per-sample pairing only: a mean of per-sample terms needs no communication, whether
        # it is also a function of the statistics (the squared distance) or not (the cosine).
        (w.negative_cosine, "local"),
        (lambda a, b: (a - b).square().sum() / a.shape[0], "local"),
        # A SUM of per-sample terms is not local (W shards' mean is 1/W of it) and, with
        # per-row normalisation, not a function of the statistics: it needs the gather.
        (lambda a, b: -torch.nn.functional.cosine_similarity(a, b, dim=1).sum(), "gather"),
    ],
)
def test_required_primitive_classifies_losses(loss, primitive):
    report = required_primitive(loss, trials=3)
    assert report.primitive == primitive, str(report)
    assert report.primitive in PRIMITIVES


def test_required_primitive_keeps_both_errors_of_a_local_statistics_loss():
    report = required_primitive(lambda a, b: (a - b).square().sum() / a.shape[0], trials=2)
    assert report.local_error <= report.tolerance
    assert report.statistics_error <= report.tolerance
    assert "primitive: local" in str(report)


def test_required_primitive_local_split_and_odd_batch():
    # n odd: parts of n // 2 and n - n // 2 rows, weighted by their sizes.
    report = required_primitive(w.negative_cosine, n=7, trials=2)
    assert report.primitive == "local", str(report)
    assert report == required_primitive(w.negative_cosine, n=7, trials=2)


@pytest.mark.parametrize("output", [torch.ones(2), float("nan")])
def test_required_primitive_rejects_a_bad_loss_output(output):
    with pytest.raises(InvalidInputError, match="loss_fn"):
        required_primitive(lambda a, b: output, trials=1)


def test_without_process_group_equals_single_process_losses():
    Z, G = w.global_embedding(), views_relation(4, 2)
    assert world_size() == 1
    assert gather_embeddings(Z) is Z
    assert_close(
        w.LOSSES["vicreg"](Z, G),
        vicreg_loss(Z, G, alpha=1.0, beta=0.5, gamma=2.0),
        rtol=0.0,
        atol=0.0,
    )
    assert_close(w.LOSSES["simclr"](Z, G), simclr_loss(Z, G, tau=0.5), rtol=0.0, atol=0.0)
    assert_close(
        w.LOSSES["barlow_twins"](Z, G),
        barlow_twins_loss_from_relation(Z, G, alpha=0.3),
        rtol=0.0,
        atol=0.0,
    )


@pytest.mark.parametrize("name", ["vicreg", "barlow_twins"])
def test_statistics_equal_gather_without_process_group(name):
    Z, G = w.global_embedding(), views_relation(4, 2)
    assert_close(w.LOSSES[f"{name}_statistics"](Z, G), w.LOSSES[name](Z, G), **TOL)


def test_statistics_column_norm_floor_is_eps_not_its_square_root():
    # sqrt(max(s, eps^2)) = max(||column||, eps): a column of norm 1e-4, between eps = 1e-6
    # and sqrt(eps) = 1e-3, is not floored. Flooring s at eps instead of eps^2 would read its
    # norm as 1e-3 and shrink its correlations tenfold; the gather path (F.normalize) does not.
    Z, G = w.global_embedding(), views_relation(4, 2)
    Z[:, 1] *= 1e-4 / Z[:, 1].norm()
    expected = distributed_barlow_twins_loss(Z, G, alpha=0.3, eps=1e-6)
    got = distributed_barlow_twins_loss(Z, G, alpha=0.3, eps=1e-6, statistics=True)
    assert_close(got, expected, **TOL)


def test_statistics_keep_a_zero_column_gradient_finite():
    # F.normalize's floor: a zero column gives C = 0 there and a finite gradient, not NaN.
    Z = w.global_embedding()
    Z[:, 1] = 0
    Z.requires_grad_()
    w.LOSSES["barlow_twins_statistics"](Z, views_relation(4, 2)).backward()
    assert torch.isfinite(Z.grad).all()


def test_global_relation_is_block_diagonal():
    G = views_relation(2, 2)
    assert torch.equal(global_relation(G, 3).dense(), torch.block_diag(G, G, G))
    assert torch.equal(global_relation(G, 1).dense(), G)


def test_readme_example_runs_as_one_rank(monkeypatch, capsys):
    # README's "Distributed losses" block, as torchrun would start it with one rank.
    section = README.read_text().split("## Distributed losses", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    for key, value in {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
    }.items():
        monkeypatch.setenv(key, value)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    assert not dist.is_initialized()
    assert re.fullmatch(r"(step \d: global loss \d+\.\d{6}\n){3}", capsys.readouterr().out)
