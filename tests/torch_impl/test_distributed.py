"""torch_impl.distributed against the single-process losses on the concatenated batch.

Two gloo ranks on CPU are spawned once per module (torch.multiprocessing, a free port, a
timeout); each holds 4 of the 8 rows. The equivalence checked is the one lightly#1528 broke
(1 device x batch 8 vs 2 devices x batch 4 did not train alike because the gather's backward
dropped the other ranks' gradients).
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

from tests.torch_impl import distributed_workers as w
from torch_impl.distributed import gather_embeddings, global_relation, world_size
from torch_impl.losses import barlow_twins_loss_from_relation, simclr_loss, vicreg_loss
from torch_impl.relations import views_relation

WORLD = 2
TOL = {"rtol": 1e-10, "atol": 1e-10}
TIMEOUT_S = 90.0
README = Path(__file__).resolve().parents[2] / "README.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> list[dict[str, object]]:
    """The results of the WORLD spawned ranks (see distributed_workers.run_rank)."""
    out = tmp_path_factory.mktemp("distributed")
    context = mp.spawn(w.run_rank, args=(WORLD, _free_port(), str(out)), nprocs=WORLD, join=False)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        # join returns False as soon as one rank ends while another runs: wait for all.
        while not context.join(timeout=max(deadline - time.monotonic(), 0.0)):
            if time.monotonic() >= deadline:
                pytest.fail(f"the {WORLD} gloo ranks did not finish within {TIMEOUT_S} s")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.terminate()
    return [torch.load(out / f"rank{r}.pt") for r in range(WORLD)]


def _single(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss and gradient on the concatenated batch, one process, block-diagonal relation."""
    Z = w.global_embedding().requires_grad_()
    loss = w.LOSSES[name](Z, global_relation(w.local_relation(w.N_GLOBAL // WORLD), WORLD))
    loss.backward()
    return loss.detach(), Z.grad


@pytest.mark.parametrize("name", list(w.LOSSES))
def test_loss_equals_single_process_on_every_rank(ranks, name):
    expected, _ = _single(name)
    for result in ranks:
        assert_close(result[f"{name}/loss"], expected, **TOL)


@pytest.mark.parametrize("name", list(w.LOSSES))
def test_gradient_is_sum_over_ranks_of_global_gradient(ranks, name):
    # Every rank computes the same global L, so rank r receives W * dL/dZ_r: DDP's mean over
    # the W ranks then gives dL/dtheta (not 1/W of it, not W times it).
    _, grad_nk = _single(name)
    n = w.N_GLOBAL // WORLD
    for rank, result in enumerate(ranks):
        assert_close(result[f"{name}/grad"], WORLD * grad_nk[rank * n : (rank + 1) * n], **TOL)


@pytest.mark.parametrize("name", list(w.LOSSES))
def test_ddp_two_ranks_train_like_one_rank(ranks, name):
    G = global_relation(w.local_relation(w.N_GLOBAL // WORLD), WORLD)
    expected = w.train(w.encoder(), w.global_inputs(), G, name)
    # The run must move the weight, or equality would be vacuous (VICReg ignores the bias:
    # its covariance is centred and its invariance takes differences).
    assert (expected[0] - w.encoder().weight.detach()).abs().max() > 1e-3
    for result in ranks:
        for got, want in zip(result[f"{name}/params"], expected, strict=True):
            assert_close(got, want, **TOL)


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
