"""Inputs for the tests of torch_impl.fit (test data, no test logic): VICReg problems with
closed-form optima, and the seed snippet of BL22 Sec. 2.2 written out independently."""

from __future__ import annotations

import math

import torch

from torch_impl.relations import views_relation

F64 = torch.float64
CPU = {"device": "cpu", "progress": False}


def seed_vicreg(Z: torch.Tensor, G: torch.Tensor, alpha: float, beta: float, gamma: float):
    """The seed snippet of BL22 Sec. 2.2, written out independently of torch_impl.losses."""
    N, K = Z.shape
    C = torch.cov(Z.T)
    var = K - torch.diag(C).clamp(1e-6, 1).sqrt().sum()
    cov = 2 * torch.triu(C, 1).square().sum()
    i, j = torch.nonzero(G, as_tuple=True)
    inv = (Z[i] - Z[j]).square().sum() / N
    return alpha * var + beta * cov + gamma * inv


# Views graph with N' = 6 samples, V = 2 views (N = 12): L = I - G has eigenvalue 0 on the 6
# "same sample" vectors e_i + e_{i+6} (5 of them orthogonal to 1) and eigenvalue 2 on the 6
# "view difference" vectors e_i - e_{i+6}. BL22-C2's closed form: column k of the centred
# optimum is sqrt(N-1) t_k u_k, t_k = min(1, alpha N / (4 gamma lambda_k (N-1))).
N_PRIME, N = 6, 12
G_VIEWS = views_relation(N_PRIME, 2)

# Views graph N' = 3, V = 2 (N = 6), K = 3 > N' - 1: one column on a view-difference direction
# (lambda = 2) where alpha N / (4 gamma lambda (N-1)) = 37.5 > 1 puts it ON the hinge kink.
G_SMALL = views_relation(3, 2)
SMALL_VICREG = {"alpha": 25.0, "beta": 1.0, "gamma": 0.1}


def shrink(alpha: float, gamma: float, lam: float) -> float:
    """t = min(1, alpha N / (4 gamma lambda (N-1))) for G_VIEWS (1 on lambda = 0)."""
    return 1.0 if lam == 0 else min(1.0, alpha * N / (4 * gamma * lam * (N - 1)))


def closed_form_loss(alpha: float, gamma: float, lambdas: list[float]) -> float:
    """BL22-C2's optimal VICReg loss on G_VIEWS for columns on the eigenvalues ``lambdas``."""
    # Per column: alpha (1 - t) + (2 gamma / N) lambda (N - 1) t^2; the covariance term is 0.
    ts = [shrink(alpha, gamma, lam) for lam in lambdas]
    return sum(
        alpha * (1 - t) + 2 * gamma / N * lam * (N - 1) * t**2
        for t, lam in zip(ts, lambdas, strict=True)
    )


def closed_form_z(alpha: float, gamma: float, n_null: int, n_diff: int) -> torch.Tensor:
    """sqrt(N-1) [u_1 .. u_K] diag(t): n_null columns with lambda = 0, n_diff with lambda = 2."""
    eye = torch.eye(N_PRIME, dtype=F64)
    same = torch.cat([eye, eye])
    # The 5 centred "same sample" directions: left singular vectors of the centred indicators.
    null_basis = torch.linalg.svd(same - same.mean(0), full_matrices=False)[0][:, : N_PRIME - 1]
    diff = torch.cat([eye, -eye]) / math.sqrt(2)
    U = torch.cat([null_basis[:, :n_null], diff[:, :n_diff]], dim=1)
    t = torch.tensor([1.0] * n_null + [shrink(alpha, gamma, 2.0)] * n_diff, dtype=F64)
    return math.sqrt(N - 1) * U * t


def support_convention_objective(convention: str, k: int, *, sim: float, std: float, cov: float):
    """(smooth, hinge_args, weight) as the claims' support modules assembled the codebases'
    VICReg before torch_impl.fit offered it (tests/claims/bl22/_vicreg_support.py)."""
    from torch_impl.losses import branches_from_views, vicreg_loss_convention

    def smooth(z: torch.Tensor) -> torch.Tensor:
        z_a, z_b = branches_from_views(z)
        return vicreg_loss_convention(z_a, z_b, convention=convention, sim_coeff=sim,
                                      std_coeff=0.0, cov_coeff=cov)

    def hinge_args(z: torch.Tensor) -> torch.Tensor:
        return torch.cat([1 - torch.sqrt(b.var(dim=0) + 1e-4) for b in branches_from_views(z)])

    return smooth, hinge_args, std * {"official": 0.5, "lightly": 0.5, "solo": 1.0}[convention] / k


# BL22-C2-hinge's saddle (issue 12): path graph N = 8, K = 2, VICReg alpha = 25, beta = 1e3,
# gamma = 1. Both columns sit on the variance hinge at the decoupled point
# Z = sqrt(N-1) [u_1 u_2] (u_k the Laplacian eigenvectors of the two smallest nonzero
# eigenvalues); tilting the pair lowers the loss by c^2 (lambda_2 - lambda_1)^2 / (8 beta),
# c = 2 gamma (N-1)/N (the coupled optimum, Gram spectrum 1 -+ c (lambda_2 - lambda_1)/(4 beta)).
SADDLE_N, SADDLE_K = 8, 2
SADDLE_VICREG = {"alpha": 25.0, "beta": 1e3, "gamma": 1.0}


def saddle_point() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(G, Z, lambdas): the path graph, the all-hinge point (N, K) and its two eigenvalues."""
    from torch_impl.relations import laplacian, path_relation

    G = path_relation(SADDLE_N)
    eigenvalues, vectors = torch.linalg.eigh(laplacian(G))
    lambdas, U = eigenvalues[1 : SADDLE_K + 1], vectors[:, 1 : SADDLE_K + 1]
    return G, math.sqrt(SADDLE_N - 1) * U, lambdas


def tilt_gain(lambdas: torch.Tensor) -> float:
    """c^2 (lambda_2 - lambda_1)^2 / (8 beta): the loss the tilt removes from the saddle."""
    c = 2 * SADDLE_VICREG["gamma"] * (SADDLE_N - 1) / SADDLE_N
    return c**2 * float(lambdas[1] - lambdas[0]) ** 2 / (8 * SADDLE_VICREG["beta"])


# A scale-invariant loss on which L-BFGS, from this seeded start, steps far along the flat
# radial directions (rows beyond 1e8 after ~90 iterations) while the loss converges: GA23's
# DCL on N = 3 samples x 2 views in R^2, tau = 2 (GA23-P1-simplex, seed 6).
RADIAL_DRIFT = {"n": 3, "m": 2, "tau": 2.0, "seed": 6}


def radial_drift_loss(z: torch.Tensor) -> torch.Tensor:
    from torch_impl.losses import SIMCLR_VARIANTS, simclr_two_branch_loss

    n = RADIAL_DRIFT["n"]
    return simclr_two_branch_loss(z[:n], z[n:], tau=RADIAL_DRIFT["tau"],
                                  **SIMCLR_VARIANTS["dcl"])
