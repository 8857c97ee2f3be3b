"""Tests of torch_impl.fit.newton: Newton polishing to the margin (on kinks) and to the floor."""

from __future__ import annotations

import pytest
import torch

from tests.torch_impl.fit.data import CPU, F64, G_SMALL, SMALL_VICREG
from torch_impl.fit import (
    NotConverged,
    certificates,
    fit_free,
    optimality_certificate,
    vicreg_objective,
)


def test_margin_stage_polishes_a_hinge_fit_to_margin():
    # grad_tol = 1e-6 lets the augmented Lagrangian stop at a certificate between grad_tol and
    # grad_tol / 100 (checked: without polishing it is not converged); the Newton polish on
    # the kinks then takes it below grad_tol / 100.
    obj = vicreg_objective(G_SMALL, **SMALL_VICREG)
    common = {"seed": 0, "restarts": 1, "grad_tol": 1e-6, "continue_on_stall": 0, **CPU}
    unpolished = fit_free(obj, (6, 3), polish_steps=0, **common)
    assert not unpolished.converged
    assert 1e-8 < unpolished.certificate <= 1e-6
    assert unpolished.polish_steps == 0
    with pytest.raises(NotConverged, match=r"margin .* of the required 100"):
        unpolished.require_converged()

    polished = fit_free(obj, (6, 3), **common)
    assert polished.converged, polished.status
    assert polished.polish_steps > 0
    assert polished.certificate <= 1e-8
    assert polished.margin >= 100
    assert polished.required_margin == 100
    loss, certificate, _ = optimality_certificate(obj, polished.z)
    assert (loss, certificate) == (polished.loss, polished.certificate)
    assert polished.loss <= unpolished.loss + 1e-10  # polishing never buys a higher loss
    # No column below the kink, and the view-difference column exactly on it (std 1); a
    # column in the null space of L may carry more variance at no cost.
    std = (polished.z - polished.z.mean(0)).std(dim=0)
    assert float(std.min()) >= 1 - 1e-10
    assert float((std - 1).abs().min()) <= 1e-10


def test_polish_to_floor_goes_past_the_target_on_a_quartic_valley():
    # A minimum of fourth order at 0: the certificate meets its target while |z| is still far
    # above the floor; polishing to the floor keeps taking Newton steps while they remove a
    # fraction of the loss.
    def quartic(Z):
        return (Z.pow(4) + Z.pow(6)).sum() + (Z[0] * Z[1]).square()

    start = torch.tensor([0.5, -0.3], dtype=F64)
    plain = fit_free(quartic, (2,), init=start, restarts=1, **CPU)
    floor = fit_free(quartic, (2,), init=start, restarts=1, polish_to_floor=True,
                     polish_steps=80, **CPU)
    assert plain.converged
    assert floor.converged
    assert plain.certificate <= 1e-10
    assert floor.polish_steps > plain.polish_steps
    assert float(floor.z.abs().max()) < 1e-3 * float(plain.z.abs().max())


def test_lazy_scoring_chooses_as_scoring_every_point_and_certifies_fewer(monkeypatch):
    # Trial points of a loss whose lowest point has a non-finite gradient (|z_0|^0.5 at 0):
    # the lazy scores pick the point certify() would, and certify only what the choice needs.
    from torch_impl.fit import newton

    def loss(z):
        return (z[1] - 1).square() + z[0].abs().sqrt() + z[0].square()

    points = [torch.tensor([a, b], dtype=F64)
              for a, b in ((0.0, 1.0), (0.01, 1.0), (0.5, 0.9), (2.0, 1.0))]
    full = [(p, *newton.certify(loss, p, 1e-8)) for p in points]
    full = [s for s in full if s[1] < float("inf")]
    calls = []
    monkeypatch.setattr(newton, "certify",
                        lambda *args: calls.append(1) or certificates.certify(*args))
    scored = newton._Scored(loss, points, 1e-8)
    lowest = scored.lowest()
    assert lowest[1] == min(s[1] for s in full)
    assert torch.equal(lowest[0], min(full, key=lambda s: s[1])[0])
    assert len(calls) == 2  # the lowest point (its gradient is not finite), then the next
    best = scored.best_certified(level=1.0)
    reference = min((s for s in full if s[1] <= 1.0), key=lambda s: s[2])
    assert torch.equal(best[0], reference[0])
    assert best[2] == reference[2]
