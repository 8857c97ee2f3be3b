"""Test data and the experiments of the downstream claims (BL22-K2a*, K2-arxiv, K2-neurips).

K2a (probe on a free-Z optimum): class graphs (cliques of distinct sizes) plus m random
cross-class edges (:func:`classes_with_cross_edges`), the least-squares probe's training error and
residual (:func:`probe_training`) against the component formula of
``derivations.bl22.downstream`` (:func:`component_prediction`).

PROTOCOL of the recommendation audit (K2-arxiv, K2-neurips), fixed BEFORE any accuracy was
computed, in this file's first version; nothing below was tuned on accuracies:

* Data: Gaussian mixture, C = 3 classes, D = 6 features, x = mu_y + diag(s) e, e ~ N(0, I),
  mu_c = 2 e_c (c = 0, 1, 2), s = (1, 1, 1, 1.5, 1.5, 1.5) (three informative features, three
  larger-variance nuisance features). Per seed: a fresh SSL pool of n samples per class
  ("enough data": n = 10, N = 30; "low data": n = 3, N = 9, still N - 1 >= D so every linear
  problem is well posed) and a fresh test set of 200 samples per class.
* Relation G on the pool: the class graph (cliques, aligned: G_ij = 1 => y_i = y_j) plus
  m = round(p / (1 - p) * #within-class edges) cross-class edges drawn uniformly without
  replacement, so that a fraction p of G's edges are cross-class (misaligned). Aligned: p = 0;
  misaligned: p = 0.3; the full profile's figure also shows p = 0.15.
* Linear network Z = X W, K = 3, every loss trained to a certified optimum (fit_linear, 2
  restarts): VICReg with BL22's weights (alpha, beta) = (25, 25) and gamma = 1 ("small") or
  gamma = 25 ("large", VICReg's customary invariance weight in BL22's naming); BarlowTwins with
  the paper's snippet weight alpha = 0.1; SimCLR through its spectral contrastive relaxation
  (BL22-C4-linear): the cosine InfoNCE has no certified linear optimum here (BL22-C4-linear-
  infonce notes).
* Probe: least squares on [Z_pool, 1] with one-hot targets, prediction = argmax on the test
  set (a linear probe, fitted on the same pool; "low data" = the small pool). Supervised
  baseline: the same probe on [X_pool, 1].
* Seeds: SEEDS[profile] (+ 100 x the run seed); accuracies are averaged over seeds (paired:
  within a setting every method sees the same data and graph; each (p, n) setting draws its
  own pool and test set, so the figure compares methods at each p, not p's with each other).
  The seed counts (1 quick, 3 full) were set by the time budget, before any accuracy was
  computed. Margin M = 0.02: "A preferred over B" means mean acc(A) >= mean acc(B) + M; "A
  recovers the supervised method" means |mean acc(A) - mean acc(sup)| <= M.

The inequalities each abstract version implies are listed in :data:`ARXIV` and :data:`NEURIPS`;
a claim's error is the largest violation (in accuracy units, 0 when all hold).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from derivations.base import lambdify_torch
from derivations.bl22 import downstream as sym
from tests.claims.bl22 import _linear_support as lin
from torch_impl.fit import FitResult, fit_free, vicreg_objective
from torch_impl.losses import barlow_twins_loss_from_relation
from torch_impl.metrics import numerical_rank
from torch_impl.relations import connected_components, labels_relation, laplacian
from verify import Measurement, profile
from verify import seed as run_seed

__all__ = [
    "classes_with_cross_edges",
    "component_prediction",
    "component_projection",
    "probe_training",
    "fit_bt_free",
    "fit_vicreg_free",
    "N_CLASSES",
    "DIM",
    "K",
    "N_ENOUGH",
    "N_LOW",
    "N_TEST",
    "P_MISALIGNED",
    "P_FIGURE",
    "MARGIN",
    "SEEDS",
    "METHODS",
    "mixture",
    "misaligned_relation",
    "least_squares_probe",
    "Setting",
    "accuracies",
    "mean_accuracies",
    "Inequality",
    "ARXIV",
    "NEURIPS",
    "violations",
    "audit",
    "draw_accuracy_vs_p",
]

_component_residual = lambdify_torch(sym.COMPONENT_RESIDUAL, sym.COUNTS)


# -------------------------------------------------------------------------------------------
# K2a: probes on free-Z optima
# -------------------------------------------------------------------------------------------


def classes_with_cross_edges(sizes: list[int], n_cross: int, g: torch.Generator
                             ) -> tuple[torch.Tensor, torch.Tensor]:
    """(G, y): cliques of the given sizes (consecutive labels) plus ``n_cross`` random
    cross-class edges (distinct pairs)."""
    y = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes)).to(lin.DEVICE)
    G = labels_relation(y).to(lin.DEVICE, lin.DTYPE)
    rows, cols = torch.triu_indices(len(y), len(y), 1)
    cross = (y[rows] != y[cols]).nonzero().reshape(-1)
    pick = cross[torch.randperm(cross.numel(), generator=g)[:n_cross].to(cross.device)]
    G[rows[pick], cols[pick]] = 1
    G[cols[pick], rows[pick]] = 1
    return G, y


def component_prediction(G: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(squared residual, training error rate) of a probe whose features span G's components.

    Per component: COMPONENT_RESIDUAL of its class counts (lambdified), and n - max_k n_k
    misclassified (each member gets the component's mean label; its argmax is the majority).
    """
    n_components, labels = connected_components(G)
    residual, wrong = 0.0, 0
    for c in range(n_components):
        counts = torch.bincount(y[labels == c], minlength=sym.N_CLASSES_MAX).to(lin.DTYPE)
        residual += float(_component_residual(*counts))
        wrong += int(counts.sum() - counts.max())
    return residual, wrong / len(y)


def component_projection(Z: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """Each column of Z replaced by its mean on every connected component of G (P_comp Z)."""
    n_components, labels = connected_components(G)
    E = torch.nn.functional.one_hot(labels, n_components).to(Z.dtype)
    return E @ ((E.T @ Z) / E.sum(dim=0)[:, None])


def probe_training(Z: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(squared residual, training error rate) of the least-squares probe on [Z 1], one-hot y."""
    targets = torch.nn.functional.one_hot(y, int(y.max()) + 1).to(Z.dtype)
    design = torch.cat([Z, torch.ones_like(Z[:, :1])], dim=1)
    fitted = design @ (torch.linalg.pinv(design) @ targets)
    residual = float((targets - fitted).square().sum())
    return residual, float((fitted.argmax(dim=1) != y).double().mean())


def fit_bt_free(G: torch.Tensor, k: int, *, alpha: float, seed: int) -> FitResult:
    """Certified free-Z BarlowTwins optimum (paper's loss over all ordered edges)."""
    return fit_free(lambda Z: barlow_twins_loss_from_relation(Z, G, alpha=alpha),
                    (G.shape[0], k), seed=seed, restarts=lin.RESTARTS, max_iter=3000,
                    device=lin.DEVICE, progress=False).require_converged()


def fit_vicreg_free(G: torch.Tensor, k: int, *,
                    seed: int) -> tuple[FitResult, lin.VicregRegime]:
    """Certified free-Z VICReg optimum in BL22-C2's closed-form regime (see vicreg_regime).

    The K = N - 1 non-trivial Laplacian eigenvalues give the spectrum; the zero ones (one per
    extra component) share t = 1, the positive ones get t < 1 (anchor = smallest positive).
    """
    values = torch.linalg.eigvalsh(laplacian(G))[1:]
    positive = values[values > 1e-9 * float(values.max())]
    regime = lin.vicreg_regime(values[:k].clamp_min(0), G.shape[0], fraction=0.9, gamma=1.0,
                               beta_factor=2.0, anchor=float(positive[0]))
    fit = fit_free(vicreg_objective(G, alpha=regime.alpha, beta=regime.beta, gamma=regime.gamma),
                   (G.shape[0], k), seed=seed, restarts=lin.RESTARTS, max_iter=3000,
                   device=lin.DEVICE, progress=False).require_converged()
    return fit, regime


# -------------------------------------------------------------------------------------------
# K2-arxiv / K2-neurips: the recommendation experiment
# -------------------------------------------------------------------------------------------

N_CLASSES, DIM, K = 3, 6, 3
N_ENOUGH, N_LOW, N_TEST = 10, 3, 200
P_MISALIGNED = 0.3
P_FIGURE = {"quick": (0.0, 0.3), "full": (0.0, 0.15, 0.3)}
MARGIN = 0.02
SEEDS = {"quick": (0,), "full": (0, 1, 2)}
METHODS = ("vicreg_small_gamma", "vicreg_large_gamma", "barlow_twins", "simclr", "supervised")

_VICREG = {"vicreg_small_gamma": 1.0, "vicreg_large_gamma": 25.0}
_VICREG_ALPHA = _VICREG_BETA = 25.0
_BT_ALPHA = 0.1
# Several VICReg columns may sit on the hinge kink (small gamma): a stiffer initial
# augmented-Lagrangian penalty (100 alpha instead of fit's 10 alpha) reaches the kink faster.
_VICREG_RHO = 100 * _VICREG_ALPHA


def mixture(g: torch.Generator, n_per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(X (C n, D), y (C n,)) from the protocol's Gaussian mixture."""
    y = torch.arange(N_CLASSES).repeat_interleave(n_per_class)
    means = torch.zeros(N_CLASSES, DIM, dtype=lin.DTYPE)
    means[torch.arange(N_CLASSES), torch.arange(N_CLASSES)] = 2.0
    scale = torch.ones(DIM, dtype=lin.DTYPE)
    scale[N_CLASSES:] = 1.5
    X = means[y] + scale * torch.randn(len(y), DIM, generator=g, dtype=lin.DTYPE)
    return X.to(lin.DEVICE), y.to(lin.DEVICE)


def misaligned_relation(y: torch.Tensor, p: float, g: torch.Generator) -> torch.Tensor:
    """Class cliques plus cross-class edges making up a fraction p of all edges."""
    G = labels_relation(y).to(lin.DEVICE, lin.DTYPE)
    if p > 0:
        rows, cols = torch.triu_indices(len(y), len(y), 1)
        cross = (y[rows] != y[cols]).nonzero().reshape(-1)
        m = round(p / (1 - p) * float(G.sum()) / 2)
        pick = cross[torch.randperm(cross.numel(), generator=g)[:m].to(cross.device)]
        G[rows[pick], cols[pick]] = 1
        G[cols[pick], rows[pick]] = 1
    return G


def least_squares_probe(Z_train: torch.Tensor, y_train: torch.Tensor, Z_test: torch.Tensor,
                        y_test: torch.Tensor) -> float:
    """Test accuracy of the least-squares probe on [Z, 1] with one-hot targets (argmax)."""
    ones = torch.ones(Z_train.shape[0], 1, dtype=Z_train.dtype, device=Z_train.device)
    targets = torch.nn.functional.one_hot(y_train, N_CLASSES).to(Z_train.dtype)
    design = torch.cat([Z_train, ones], dim=1)
    coef = torch.linalg.pinv(design) @ targets
    test_design = torch.cat([Z_test, torch.ones_like(Z_test[:, :1])], dim=1)
    return float(((test_design @ coef).argmax(dim=1) == y_test).double().mean())


def _fit_map(method: str, X: torch.Tensor, G: torch.Tensor, seed: int) -> torch.Tensor:
    """The certified optimal W (D, K) of one method (identity for the supervised baseline)."""
    if method in _VICREG:
        return lin.fit_vicreg(X, G, K, alpha=_VICREG_ALPHA, beta=_VICREG_BETA,
                              gamma=_VICREG[method], seed=seed, rho=_VICREG_RHO).w
    if method == "barlow_twins":
        return lin.fit_bt(X, G, K, alpha=_BT_ALPHA, seed=seed).w
    if method == "simclr":
        return lin.fit_spectral(X, G, K, seed=seed).w
    return torch.eye(DIM, dtype=X.dtype, device=X.device)


@dataclass(frozen=True)
class Setting:
    """One cell of the experiment: misalignment p and SSL pool size per class."""

    p: float
    n_per_class: int


@functools.cache
def accuracies(setting: Setting, seed: int) -> dict[str, float]:
    """Test accuracy (and the rank of H Z) of every method in one setting and seed.

    Cached within a run only (the two recommendation claims share it).
    """
    g = torch.Generator().manual_seed(1000 * seed + round(100 * setting.p) + setting.n_per_class)
    X, y = mixture(g, setting.n_per_class)
    X_test, y_test = mixture(g, N_TEST)
    G = misaligned_relation(y, setting.p, g)
    out = {}
    for method in METHODS:
        W = _fit_map(method, X, G, seed)
        out[method] = least_squares_probe(X @ W, y, X_test @ W, y_test)
        Z = X @ W
        out[f"rank.{method}"] = float(numerical_rank(Z - Z.mean(dim=0), rtol=1e-6))
    return out


def mean_accuracies(setting: Setting, seeds: tuple[int, ...] | None = None) -> dict[str, float]:
    """Accuracies (and ``rank.<method>``: numerical rank of the centred Z, 1e-6) averaged over
    the profile's seeds."""
    seeds = tuple(100 * run_seed() + s for s in SEEDS[profile()]) if seeds is None else seeds
    rows = [accuracies(setting, s) for s in seeds]
    return {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}


ENOUGH = Setting(0.0, N_ENOUGH)
LOW = Setting(0.0, N_LOW)
MISALIGNED = Setting(P_MISALIGNED, N_ENOUGH)


@dataclass(frozen=True)
class Inequality:
    """mean acc(best of ``left``... ) relation: min over ``left`` >= max over ``right`` + margin.

    kind "prefer": min_{a in left} acc(a) >= max_{b in right} acc(b) + MARGIN;
    kind "recovers": |acc(a) - acc("supervised")| <= MARGIN for every a in left.
    """

    name: str
    setting: Setting
    kind: str
    left: tuple[str, ...]
    right: tuple[str, ...] = ()

    def violation(self, acc: dict[str, float]) -> float:
        if self.kind == "recovers":
            return max(max(abs(acc[a] - acc["supervised"]) - MARGIN, 0.0) for a in self.left)
        worst_left = min(acc[a] for a in self.left)
        best_right = max(acc[b] for b in self.right)
        return max(best_right + MARGIN - worst_left, 0.0)


_SSL = ("vicreg_small_gamma", "vicreg_large_gamma", "barlow_twins", "simclr")

ARXIV = (
    Inequality("aligned: any SSL method recovers the supervised method", ENOUGH, "recovers",
               _SSL),
    Inequality("aligned, low data: VICReg's gamma should be high", LOW, "prefer",
               ("vicreg_large_gamma",), ("vicreg_small_gamma",)),
    Inequality("misaligned: small-gamma VICReg preferred over SimCLR or BarlowTwins", MISALIGNED,
               "prefer", ("vicreg_small_gamma",), ("simclr", "barlow_twins")),
)
"""arXiv v3 abstract, (i) and (ii)."""

NEURIPS = (
    Inequality("aligned: any SSL method recovers the supervised method", ENOUGH, "recovers",
               _SSL),
    Inequality("aligned, low data: SimCLR or high-gamma VICReg preferred", LOW, "prefer",
               ("simclr", "vicreg_large_gamma"), ("barlow_twins", "vicreg_small_gamma")),
    Inequality("misaligned: BarlowTwins or small-gamma VICReg preferred", MISALIGNED, "prefer",
               ("barlow_twins", "vicreg_small_gamma"), ("simclr", "vicreg_large_gamma")),
)
"""NeurIPS 2022 proceedings abstract, (i) and (ii)."""


def violations(inequalities: tuple[Inequality, ...]) -> dict[str, float]:
    """Each inequality's violation on the profile's mean accuracies."""
    return {q.name: q.violation(mean_accuracies(q.setting)) for q in inequalities}


_SETTING_NAMES = {"aligned": ENOUGH, "low_data": LOW, "misaligned": MISALIGNED}


def audit(inequalities: tuple[Inequality, ...]) -> Measurement:
    """The claim's measurement: error = largest violation; extras = every mean accuracy and
    rank, each inequality's violation (v1, v2, ...) and acc(BarlowTwins) - acc(small-gamma
    VICReg) under misalignment (where the two abstract versions disagree)."""
    extra = {f"{name}.{key}": value for name, setting in _SETTING_NAMES.items()
             for key, value in mean_accuracies(setting).items()}
    found = violations(inequalities)
    for number, value in enumerate(found.values(), start=1):
        extra[f"violation_{number}"] = value
    extra["misaligned.bt_minus_vicreg_small"] = (extra["misaligned.barlow_twins"]
                                                 - extra["misaligned.vicreg_small_gamma"])
    return Measurement(error=max(found.values()), extra=extra)


def draw_accuracy_vs_p(fig, title: str) -> None:
    """Mean test accuracy (over the profile's seeds) against the misalignment fraction p."""
    ax = fig.add_subplot()
    ps = P_FIGURE[profile()]
    rows = [mean_accuracies(Setting(p, N_ENOUGH)) for p in ps]
    for method in METHODS:
        ax.plot(ps, [r[method] for r in rows], "o-", label=method)
    low = mean_accuracies(LOW)
    for method in METHODS:
        ax.plot([0.0], [low[method]], "x", color="gray")
    ax.set(xlabel="fraction p of cross-class edges in G", ylabel="test accuracy (mean over seeds)",
           title=title + "\n(x: low-data pool, p = 0; each p draws its own data)")
    ax.legend(fontsize=7)
