"""Fit time to a certificate: our L-BFGS fit against Adam at its best learning rate (issue 11).

For each loss (BL22 VICReg, SimCLR, BarlowTwins on a views relation, V = 2) and size (N, K),
both optimisers start from the same seeded draw and stop at the same certificate,
``||g|| / max(1, |loss|) <= CERTIFICATE`` (the minimum-norm subgradient for VICReg's hinge,
:func:`torch_impl.fit.certify`), evaluated at the row-normalised point for SimCLR (its loss
depends on normalize(Z) only, so a long row would shrink the gradient without any progress).

* L-BFGS: :func:`torch_impl.fit.fit_free` with one restart, no Newton polish, no margin and no
  curvature step (so that the time is the optimiser's, as Adam's is).
* Adam: ``torch.optim.Adam`` on Z with each learning rate of ``ADAM_LRS``, the certificate
  checked every ``CHECK_EVERY`` steps (checks included in the time), each run capped at
  ``TARGET`` times the L-BFGS time, or at the best Adam time found so far when lower (a slower
  learning rate cannot become the best one). Reaching no certificate within the cap means
  Adam is at least ``TARGET`` times slower: the target is met, and the cell says ``>``.

Rows are measured from the smallest configuration up and skipped, with the reason, once the
remaining budget is below a row's estimated cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from torch_impl.fit import fit_free, vicreg_objective
from torch_impl.fit.certificates import certify
from torch_impl.losses import barlow_twins_loss_from_relation, simclr_loss
from torch_impl.relations import Relation, views_relation

__all__ = ["CONFIGS", "CERTIFICATE", "TARGET", "ADAM_LRS", "FitConfig", "fit_rows"]

CERTIFICATE = 1e-6
TARGET = 10.0
ADAM_LRS = (1e-3, 1e-2, 1e-1)
CHECK_EVERY = 25
MAX_ITER = 20000
LOSSES = ("vicreg", "simclr", "bt")
SIZES = ((200, 16), (200, 64), (1000, 16), (1000, 64), (4000, 16), (4000, 64))
# Iterations grow with N: a row's estimated cost is the previous one's, scaled by the cost of
# one evaluation, times this.
_GROWTH = 1.5


@dataclass(frozen=True)
class FitConfig:
    loss: str
    n: int
    k: int


CONFIGS = tuple(FitConfig(loss, n, k) for n, k in SIZES for loss in LOSSES)


def objective(loss: str, relation: Relation) -> Callable[[torch.Tensor], torch.Tensor]:
    """The loss of Z (N, K) the rows fit: VICReg (alpha 25, beta 1, gamma 1, as a hinge
    objective), SimCLR (tau 0.5) or BarlowTwins (alpha 5e-3)."""
    if loss == "vicreg":
        return vicreg_objective(relation, alpha=25.0, beta=1.0, gamma=1.0)
    if loss == "simclr":
        return lambda z: simclr_loss(z, relation, tau=0.5)
    return lambda z: barlow_twins_loss_from_relation(z, relation, alpha=5e-3)


def _normalise(loss: str) -> Callable[[torch.Tensor], torch.Tensor] | None:
    return (lambda z: F.normalize(z, dim=1)) if loss == "simclr" else None


def adam_to_certificate(fn, z0: torch.Tensor, lr: float, cap_s: float,
                        normalise) -> tuple[float | None, int, float]:
    """Adam from ``z0`` until the certificate holds or ``cap_s`` passes.

    Returns (seconds to the certificate or None, iterations, last certificate).
    """
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    started = time.perf_counter()
    cert = math.inf
    for it in range(1, MAX_ITER + 1):
        opt.zero_grad(set_to_none=True)
        value = fn(z)
        value.backward()
        opt.step()
        if it % CHECK_EVERY == 0:
            point = z.detach() if normalise is None else normalise(z.detach())
            _, cert = certify(fn, point, 1e-8)
            if cert <= CERTIFICATE:
                return time.perf_counter() - started, it, cert
            if not math.isfinite(cert) or time.perf_counter() - started > cap_s:
                break
    return None, it, cert


def fit_row(config: FitConfig, device: torch.device, seed: int = 0) -> dict:
    """One row: L-BFGS time and iterations, Adam's best, and their ratio."""
    relation = Relation.from_tensor(views_relation(config.n // 2, 2, device=device))
    fn = objective(config.loss, relation)
    gen = torch.Generator().manual_seed(seed)
    z0 = torch.randn(config.n, config.k, generator=gen, dtype=torch.float64).to(device)
    result = fit_free(fn, (config.n, config.k), init=z0, restarts=1, seed=seed, device=device,
                      progress=False, grad_tol=CERTIFICATE, margin=1.0, polish_steps=0,
                      continue_on_stall=0, curvature=False, max_iter=MAX_ITER,
                      normalise=_normalise(config.loss))
    row = {"loss": config.loss, "N": config.n, "K": config.k,
           "L-BFGS (s)": round(result.seconds, 3), "L-BFGS iters": result.iterations,
           "L-BFGS certificate": f"{result.certificate:.1e}"}
    if not result.converged:
        row["Adam"] = "not run"
        row["Adam/L-BFGS"] = f"gap: L-BFGS not certified ({result.status})"
        return row
    best: tuple[float, float, int] | None = None
    cap = TARGET * result.seconds
    for lr in ADAM_LRS:
        seconds, iters, _ = adam_to_certificate(fn, z0, lr, cap if best is None else
                                                min(cap, best[0]), _normalise(config.loss))
        if seconds is not None and (best is None or seconds < best[0]):
            best = (seconds, lr, iters)
    if best is None:
        row["Adam"] = f"no lr in {ADAM_LRS} certified within {cap:.2f} s"
        row["Adam/L-BFGS"] = f"> {TARGET:g} (target >= {TARGET:g} met)"
    else:
        ratio = best[0] / result.seconds
        row["Adam"] = f"{best[0]:.3f} s, lr {best[1]:g}, {best[2]} iters"
        row["Adam/L-BFGS"] = (f"{ratio:.2f}" if ratio >= TARGET
                              else f"gap {ratio:.2f} (target >= {TARGET:g})")
    return row


def _cost(config: FitConfig) -> float:
    """Relative cost of one loss evaluation: N^2 K for SimCLR, N K^2 for the others."""
    return config.n ** 2 * config.k if config.loss == "simclr" else config.n * config.k ** 2


def fit_rows(device: torch.device, budget_s: float, configs=CONFIGS) -> list[dict]:
    """Every configuration that fits ``budget_s``, smallest first; skipped ones say why.

    A row's cost is estimated from the same loss's previous row, scaled by the cost of one
    evaluation (:func:`_cost`) and a margin of ``_GROWTH`` for the iterations growing with N.
    """
    # One untimed tiny fit per loss first: the first call of each code path pays one-off costs
    # (kernel selection, allocator growth) that are not the optimiser's.
    for loss in LOSSES:
        fit_row(FitConfig(loss, 20, 4), device)
    rows, started, last = [], time.perf_counter(), {}
    for config in configs:
        left = budget_s - (time.perf_counter() - started)
        seconds, previous = last.get(config.loss, (0.0, config))
        estimate = seconds * _cost(config) / _cost(previous) * _GROWTH
        if estimate > left:
            rows.append({"loss": config.loss, "N": config.n, "K": config.k,
                         "Adam/L-BFGS": f"skipped: estimated {estimate:.0f} s > the "
                                        f"{left:.0f} s left of the fit budget"})
            continue
        t0 = time.perf_counter()
        rows.append(fit_row(config, device))
        last[config.loss] = (time.perf_counter() - t0, config)
    return rows
