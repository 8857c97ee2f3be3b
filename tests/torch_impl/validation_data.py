"""Valid arguments for every public function of torch_impl (data for test_public_validation).

``VALID`` maps ``"module.function"`` to a builder of keyword arguments that the function
accepts. The common bad-input test starts from these and spoils one argument at a time, so
any error it sees is caused by the spoiled argument. Sizes are small (N = 6 samples, K = 3).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from torch_impl.metrics import RankReport

N, K = 6, 3
F64 = torch.float64


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def embedding(n: int = N, k: int = K) -> torch.Tensor:
    """A generic float64 (n, k) embedding with independent columns."""
    return torch.randn(n, k, generator=_gen(), dtype=F64)


def relation(n: int = N) -> torch.Tensor:
    """Two views of n // 2 samples, dense float64."""
    from torch_impl.relations import views_relation

    return views_relation(n // 2, 2)


def connected_relation(n: int = N) -> torch.Tensor:
    """The ring C_n, connected (for the methods that warn on a disconnected graph)."""
    from torch_impl.relations import ring_relation

    return ring_relation(n)


def spd(n: int = N) -> torch.Tensor:
    A = torch.randn(n, n, generator=_gen(), dtype=F64)
    return A @ A.T + n * torch.eye(n, dtype=F64)


def distances(n: int = N) -> torch.Tensor:
    X = embedding(n, 2)
    return torch.cdist(X, X)


def _loss(Z: torch.Tensor) -> torch.Tensor:
    return Z.square().sum()


def _rank_report() -> RankReport:
    return RankReport(2, 0.5, 0.0, (1.0, 0.5))


VALID: dict[str, Callable[[], dict[str, object]]] = {
    # relations
    "relations.views_relation": lambda: {"n_samples": 3, "n_views": 2},
    "relations.labels_relation": lambda: {"labels": torch.tensor([0, 0, 1, 1, 2])},
    "relations.class_relation": lambda: {"sizes": (2, 3)},
    "relations.knn_relation": lambda: {"X": embedding(), "k": 2},
    "relations.ring_relation": lambda: {"n": 5},
    "relations.path_relation": lambda: {"n": 4},
    "relations.regular_relation": lambda: {"n": 6, "degree": 2, "seed": 0},
    "relations.validate_relation": lambda: {"G": relation()},
    "relations.degree": lambda: {"G": relation()},
    "relations.laplacian": lambda: {"G": relation(), "normalized": False},
    "relations.positive_pairs": lambda: {"G": relation()},
    "relations.connected_components": lambda: {"G": relation()},
    "relations.component_indicators": lambda: {"G": relation()},
    # losses
    "losses.vicreg_terms": lambda: {"Z": embedding(), "G": relation()},
    "losses.vicreg_loss": lambda: {
        "Z": embedding(),
        "G": relation(),
        "alpha": 1.0,
        "beta": 1.0,
        "gamma": 1.0,
    },
    "losses.vicreg_hinge_arguments": lambda: {"Z": embedding()},
    "losses.vicreg_smooth_part": lambda: {
        "Z": embedding(),
        "G": relation(),
        "beta": 1.0,
        "gamma": 1.0,
    },
    "losses.simclr_loss": lambda: {
        "Z": embedding(),
        "G": relation(),
        "tau": 0.5,
        "chunk_size": 2,
    },
    "losses.barlow_twins_loss": lambda: {
        "Z_left": embedding(),
        "Z_right": embedding() + 1,
        "alpha": 0.1,
        "eps": 1e-6,
    },
    "losses.barlow_twins_loss_from_relation": lambda: {
        "Z": embedding(),
        "G": relation(),
        "alpha": 0.1,
        "eps": 1e-6,
    },
    "losses.barlow_twins_correlation": lambda: {"Z": embedding(), "G": relation(), "eps": 1e-6},
    "losses.spectral_contrastive_loss": lambda: {"Z": embedding(), "G": relation()},
    "losses.sample_contrastive_criterion": lambda: {"K": embedding(), "samples_as_rows": True},
    "losses.dimension_contrastive_criterion": lambda: {"K": embedding(), "samples_as_rows": True},
    "losses.regularization_criterion": lambda: {"K": embedding(), "samples_as_rows": False},
    "losses.vicreg_loss_convention": lambda: {
        "z_a": embedding(3),
        "z_b": embedding(3) + 1,
        "convention": "official",
        "sim_coeff": 25.0,
        "std_coeff": 25.0,
        "cov_coeff": 1.0,
    },
    "losses.barlow_twins_loss_convention": lambda: {
        "z_a": embedding(3),
        "z_b": embedding(3) + 1,
        "convention": "solo",
        "lambd": 0.005,
    },
    "losses.branches_from_views": lambda: {"Z": embedding(), "n_views": 3},
    "losses.vicreg_convention_hinge_arguments": lambda: {"Z": embedding()},
    "losses.vicreg_convention_smooth_part": lambda: {
        "Z": embedding(),
        "convention": "solo",
        "sim_coeff": 25.0,
        "cov_coeff": 1.0,
    },
    "losses.vicreg_convention_hinge_weight": lambda: {
        "convention": "lightly",
        "n_components": 3,
        "std_coeff": 25.0,
    },
    # spectral
    "spectral.generalized_eigh": lambda: {
        "A": spd(),
        "B": spd() + torch.eye(N, dtype=F64),
        "n_components": 2,
        "largest": True,
        "gap_rtol": 1e-8,
    },
    "spectral.laplacian_eigenmaps": lambda: {
        "G": connected_relation(),
        "n_components": 2,
        "normalized": True,
        "drop_first": True,
        "gap_rtol": 1e-8,
    },
    "spectral.locality_preserving_projections": lambda: {
        "X": embedding(),
        "G": relation(),
        "n_components": 2,
        "gap_rtol": 1e-8,
    },
    "spectral.kernel_pca": lambda: {"K": spd(), "n_components": 2, "gap_rtol": 1e-8},
    "spectral.classical_mds": lambda: {
        "distances": distances(),
        "n_components": 2,
        "squared": False,
        "gap_rtol": 1e-8,
    },
    "spectral.geodesic_distances": lambda: {"X": embedding(), "n_neighbors": 3},
    "spectral.hop_distances": lambda: {"G": relation()},
    "spectral.kernel_isomap": lambda: {
        "X": embedding(),
        "n_neighbors": 3,
        "n_components": 2,
        "gap_rtol": 1e-8,
    },
    "spectral.cca": lambda: {
        "X": embedding(),
        "Y": embedding() ** 3,
        "n_components": 2,
        "reg": 0.1,
        "gap_rtol": 1e-8,
    },
    # metrics
    "metrics.principal_angles": lambda: {"A": embedding(), "B": embedding(N, 2) + 1},
    "metrics.largest_principal_angle": lambda: {"A": embedding(), "B": embedding(N, 2) + 1},
    "metrics.subspace_distance": lambda: {"A": embedding(), "B": embedding(N, 2) + 1},
    "metrics.projector_distance": lambda: {
        "A": embedding(),
        "B": embedding(N, 2) + 1,
        "norm": "spectral",
    },
    "metrics.numerical_rank": lambda: {"A": embedding(), "rtol": 1e-8, "atol": 1e-12},
    "metrics.effective_rank": lambda: {"Z": embedding()},
    "metrics.relative_error": lambda: {
        "actual": embedding(),
        "expected": embedding() + 1,
        "scale": 2.0,
    },
    "metrics.relative_difference": lambda: {"measured": 1.5, "predicted": 2.0},
    "metrics.relative_eigengap": lambda: {
        "values": torch.tensor([3.0, 2.0, 1.0], dtype=F64),
        "k": 2,
    },
    "metrics.rank_report": lambda: {"A": embedding(), "rtol": 1e-6},
    "metrics.rank_decades": lambda: {"report": _rank_report(), "predicted": 2, "rtol": 1e-6},
    "metrics.span_basis": lambda: {"A": embedding(), "rtol": 1e-6},
    "metrics.containment_angle": lambda: {"A": embedding(), "B": embedding(N, 2) + 1, "rtol": 1e-6},
    # device
    "device.resolve_device": lambda: {"device": "cpu"},
    "device.synchronize": lambda: {"device": torch.device("cpu")},
    # fit (declared by torch_impl.fit; only the bad-input walk calls these)
    "fit.restart_inits": lambda: {
        "shape": (N, K),
        "restarts": 2,
        "seed": 0,
        "init": None,
        "inits": None,
        "init_noise": 0.0,
        "init_scale": 1.0,
        "device": "cpu",
        "dtype": F64,
    },
    "fit.min_norm_subgradient": lambda: {
        "base": torch.ones(4, dtype=F64),
        "kink_grads": torch.eye(4, dtype=F64)[:2],
    },
    "fit.optimality_certificate": lambda: {"loss_fn": _loss, "z": embedding(), "kink_tol": 1e-8},
    "fit.vicreg_objective": lambda: {"G": relation(), "alpha": 1.0, "beta": 1.0, "gamma": 1.0},
    "fit.vicreg_convention_objective": lambda: {
        "convention": "solo",
        "n_components": K,
        "sim_coeff": 25.0,
        "std_coeff": 25.0,
        "cov_coeff": 1.0,
    },
    "fit.cached_fit": lambda: {"function": _loss},
    "fit.fit_free": lambda: {"loss_fn": _loss, "shape": (N, K), "device": "cpu", "progress": False},
    "fit.fit_linear": lambda: {
        "loss_fn": _loss,
        "X": embedding(),
        "n_components": 2,
        "device": "cpu",
        "progress": False,
    },
    # family
    "family.loss_family": lambda: {
        "loss_fn": lambda z_a, z_b: (z_a - z_b).square().sum(),
        "n": 4,
        "m": 3,
        "trials": 1,
        "seed": 0,
        "tolerance": 1e-10,
        "device": "cpu",
    },
    "family.loss_repulsion": lambda: {
        "loss_fn": lambda z_a, z_b: (z_a - z_b).square().sum(),
        "n": 4,
        "m": 3,
        "trials": 1,
        "seed": 0,
        "tolerance": 1e-10,
        "device": "cpu",
    },
}

#: Public callables that are not validated by declared constraints, with the reason.
EXEMPT = {
    "relations.as_relation": "the relation validator itself (errors name its `name` argument); "
    "tested in test_relations",
}

#: Functions whose valid call is too expensive or has side effects for the sanity check.
NOT_CALLED = {"fit.fit_free", "fit.fit_linear"}

# GA23 method losses (torch_impl.losses.contrastive, .tcr, .vicreg_variants): two branches of
# shape (3, K), row i of each = the two views of sample i.
VALID.update(
    {
        "losses.simclr_two_branch_loss": lambda: {
            "z_a": embedding(3),
            "z_b": embedding(3) + 1,
            "tau": 0.5,
            "similarity_transform": "abs",
            "decoupled": True,
            "transform_positive": False,
            "dimension_normalisation": "centre",
            "cosine": True,
        },
        "losses.normalise_dimensions": lambda: {"z": embedding(), "mode": "standardise"},
        "losses.spectral_contrastive_two_branch_loss": lambda: {
            "z_a": embedding(3),
            "z_b": embedding(3) + 1,
        },
        "losses.total_coding_rate_loss": lambda: {"Z": embedding(), "eps": 0.1, "normalise": True},
        "losses.logsumexp_covariance": lambda: {"z": embedding(), "tau": 0.5, "d": 2.0},
        "losses.vicreg_exp_loss": lambda: {
            "z_a": embedding(3),
            "z_b": embedding(3) + 1,
            "tau": 0.5,
            "sim_coeff": 25.0,
            "std_coeff": 25.0,
            "cov_coeff": 1.0,
            "d": 2.0,
            "convention": "official",
        },
        "losses.vicreg_ctr_loss": lambda: {
            "z_a": embedding(3),
            "z_b": embedding(3) + 1,
            "tau": 0.5,
            "sim_coeff": 25.0,
            "std_coeff": 25.0,
            "cov_coeff": 1.0,
            "d": 2.0,
            "convention": "solo",
        },
    }
)

# torch_impl.distributed: without a process group (world size 1) the losses are the
# single-process ones on the local batch; group=None is the default group.
VALID.update(
    {
        "distributed.world_size": lambda: {"group": None},
        "distributed.gather_embeddings": lambda: {"Z": embedding(), "group": None},
        "distributed.all_reduce_sum": lambda: {"x": embedding(), "group": None},
        "distributed.global_relation": lambda: {"G": relation(), "world": 2},
        "distributed.distributed_vicreg_loss": lambda: {
            "Z": embedding(),
            "G": relation(),
            "alpha": 1.0,
            "beta": 1.0,
            "gamma": 1.0,
            "statistics": True,
            "group": None,
        },
        "distributed.distributed_simclr_loss": lambda: {
            "Z": embedding(),
            "G": relation(),
            "tau": 0.5,
            "group": None,
        },
        "distributed.distributed_barlow_twins_loss": lambda: {
            "Z": embedding(),
            "G": relation(),
            "alpha": 0.1,
            "eps": 1e-6,
            "statistics": True,
            "group": None,
        },
        "distributed.global_batch": lambda: {
            "loss_fn": lambda z_a, z_b: (z_a - z_b).square().sum(),
            "group": None,
        },
        "distributed.required_primitive": lambda: {
            "loss_fn": lambda z_a, z_b: (z_a - z_b).square().sum(),
            "n": 4,
            "m": 3,
            "trials": 1,
            "seed": 0,
            "tolerance": 1e-10,
        },
    }
)

# torch_impl.diagnostics: collapse diagnostics; LiDAR groups N = 6 rows into 3 samples x 2 views.
VALID.update(
    {
        "diagnostics.singular_spectrum": lambda: {
            "Z": embedding(),
            "spectrum": "squared",
            "centre": True,
        },
        "diagnostics.effective_rank": lambda: {
            "Z": embedding(),
            "spectrum": "squared",
            "centre": True,
        },
        "diagnostics.rankme": lambda: {
            "Z": embedding(),
            "eps": 1e-5,
            "spectrum": "singular",
            "centre": False,
        },
        "diagnostics.alpha_req": lambda: {
            "Z": embedding(),
            "fit_first": 1,
            "fit_last": 3,
            "spectrum": "squared",
            "centre": False,
        },
        "diagnostics.lidar": lambda: {
            "Z": embedding(),
            "samples": torch.arange(N) % 3,
            "delta": 1e-4,
            "eps": 1e-7,
            "spectrum": "squared",
        },
    }
)
