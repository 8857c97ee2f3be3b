"""The family and repulsion tests on lightly 1.6's loss classes (``nox -s lightly``).

Skipped when lightly is absent. lightly's package ``__init__`` files import torchvision (its
full dependencies do not install beside the CPU torch), so the loss modules are loaded on their
own: ``lightly``, ``lightly.loss``, ``lightly.models``, ``lightly.models.modules`` and
``lightly.utils`` are registered as bare packages pointing at lightly's folders, and only the
modules the losses below import are executed; ``lightly.models.utils`` (torchvision) is an
empty stand-in, which NTXentLoss's memory bank needs only when gathering across ranks.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

import pytest
import torch

from torch_impl.family import loss_family

SETTINGS = {"n": 8, "m": 5, "trials": 4, "seed": 0}


def _lightly_losses() -> types.SimpleNamespace:
    spec = importlib.util.find_spec("lightly")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("lightly is not installed (nox -s lightly installs lightly==1.6.0)")
    root = Path(next(iter(spec.submodule_search_locations)))
    saved = {name: mod for name, mod in sys.modules.items() if name.split(".")[0] == "lightly"}
    for package in ("lightly", "lightly.loss", "lightly.models", "lightly.models.modules",
                    "lightly.utils"):
        if package not in sys.modules:
            bare = types.ModuleType(package)
            bare.__path__ = [str(root.joinpath(*package.split(".")[1:]))]
            sys.modules[package] = bare
    if "lightly.models.utils" not in sys.modules:
        # NTXentLoss's memory bank imports it for distributed gathering only (unused here, the
        # bank is off); the real module imports torchvision.
        sys.modules["lightly.models.utils"] = types.ModuleType("lightly.models.utils")
        sys.modules["lightly.models"].utils = sys.modules["lightly.models.utils"]
    try:
        def load(module, name):
            return getattr(importlib.import_module(f"lightly.loss.{module}"), name)

        return types.SimpleNamespace(
            NTXentLoss=load("ntx_ent_loss", "NTXentLoss"),
            DCLLoss=load("dcl_loss", "DCLLoss"),
            DCLWLoss=load("dcl_loss", "DCLWLoss"),
            BarlowTwinsLoss=load("barlow_twins_loss", "BarlowTwinsLoss"),
            VICRegLoss=load("vicreg_loss", "VICRegLoss"),
            TiCoLoss=load("tico_loss", "TiCoLoss"),
            NegativeCosineSimilarity=load("negative_cosine_similarity",
                                          "NegativeCosineSimilarity"),
            SIGReg=load("lejepa_loss", "SIGReg"),
        )
    except ImportError as exc:  # a lightly other than 1.6 may import torchvision here
        pytest.skip(f"lightly's loss modules need more than torch: {exc}")
    finally:
        sys.modules.update(saved)


class _Sliced(torch.nn.Module):
    """SIGReg (LeJEPA's sliced regulariser, random directions drawn per call) on both branches
    stacked, plus the alignment: its one-argument forward as a two-branch loss."""

    def __init__(self, sigreg: torch.nn.Module) -> None:
        super().__init__()
        self.sigreg = sigreg

    def forward(self, z_a, z_b):
        return (z_a - z_b).square().mean() + self.sigreg(torch.stack([z_a, z_b]))


def _cases(lightly):
    return [
        ("NTXentLoss", lightly.NTXentLoss(), "sample-contrastive", "repulsive"),
        ("DCLLoss", lightly.DCLLoss(), "sample-contrastive", "repulsive"),
        ("DCLWLoss", lightly.DCLWLoss(), "sample-contrastive", "repulsive"),
        ("BarlowTwinsLoss", lightly.BarlowTwinsLoss(), "dimension-contrastive", "repulsive"),
        ("VICRegLoss", lightly.VICRegLoss(), "dimension-contrastive", "repulsive"),
        ("TiCoLoss", lightly.TiCoLoss(), "sample-contrastive", "repulsive"),
        ("NegativeCosineSimilarity", lightly.NegativeCosineSimilarity(), "sample-contrastive",
         "no repulsion"),
        # The projections' empirical characteristic function sees every moment of the batch,
        # not only its mean and covariance: with the draw fixed, neither rotation keeps it
        # (only permutations of the samples do).
        ("SIGReg (sliced)", _Sliced(lightly.SIGReg()), "neither", "repulsive"),
    ]


def test_lightly_losses_get_their_family_and_repulsion():
    lightly = _lightly_losses()
    measured, expected = {}, {}
    for name, loss, family, repulsion in _cases(lightly):
        report = loss_family(loss.double(), **SETTINGS)
        measured[name] = (report.family, report.repulsion.repulsion)
        expected[name] = (family, repulsion)
        print(f"{name:<26} {report.family:<22} {report.repulsion.repulsion:<13} "
              f"{report.sample_centred_error:.1e} {report.dimension_centred_error:.1e} "
              f"{report.repulsion.min_excess:.2e}")
    assert measured == expected
