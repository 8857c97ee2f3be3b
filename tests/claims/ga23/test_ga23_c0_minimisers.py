"""GA23-C0-minimisers: on the doubly normalised K, minimising L_c or L_nc is the same problem.

On unit columns with rows of norm sqrt(N/M), L_nc = L_c + N - N^2/M (GA23-C0-offset), so the two
criteria have the same minimisers: minimise each from the same seeded start and the end point
of either run minimises both (min L_c = max(0, N^2/M - N), min L_nc = max(0, N - N^2/M); the
minimisers are the unit-norm tight frames for M <= N, the orthonormal columns with equal rows
for M >= N, a set with continuous symmetries, so the two runs need not end at the same K).
"""

from __future__ import annotations

from derivations.base import lambdify_torch
from derivations.ga23 import duality as sym
from tests.claims.ga23.protocols import duality
from verify import Claim, Measurement, device, points, profile
from verify import seed as run_seed

_SHAPES = ([(2, 3), (3, 2)] if profile() == "quick"
           else [(2, 3), (3, 2), (3, 5), (5, 3), (4, 4), (6, 7), (7, 6)])
# Seeded starts per shape: 3 x 7 = 21 trials in the full profile (>= 20 for a trained claim).
_STARTS = 1 if profile() == "quick" else 3

claim = Claim(
    id="GA23-C0-minimisers",
    paper="GA23",
    source="Sec. 3, remark after Thm. 3.3 (its conclusion)",
    statement="Over doubly normalised K (unit columns, rows of norm sqrt(N/M)) minimising L_c "
              "and minimising L_nc from the same start both end at minimisers of both criteria",
    provenance="DERIVED",
    paper_asserts="With rows and columns normalised the two criteria differ by a constant, so "
                  "they are equivalent from an optimisation point of view.",
    tolerance=1e-10,
    measures="max over the two runs and the two criteria of |criterion(end) - its minimum| / "
             "N^2",
    unit="relative",
    tags=("trains", "sweep"),
    families=(),
    families_why="the criteria are functions of the embedding matrix K alone: no relation",
    settings={"step_tol": 1e-12},
    notes="Start: a Gaussian draw (seed = run seed + shape index) doubly normalised. Each run "
          "steps K <- doubly_normalise(K - (`0.5` / N) grad criterion(K)) (Euclidean gradient, "
          "then the alternating scaling back onto the set; fixed points are the constrained "
          "critical points) until a step moves K by < step_tol relative, else NOT_CONVERGED "
          "(tests/claims/ga23/protocols/duality.py, minimise_doubly_normalised). Minima: the "
          "lambdified max(0, N^2/M - N) and max(0, N - N^2/M) (Welch's bound for unit columns: "
          "L_c >= L_nc - N + N^2/M >= N^2/M - N by Cor. 3.4.1). M = 1 or N = 1 are left out: "
          "the set is then finite (signs), there is nothing to optimise. extra 'distance': "
          "||K_c - K_nc||_F / ||K_c||_F, how far apart the two end points are; extra "
          "'min_tangent_eig': the smaller end's smallest eigenvalue of the Riemannian Hessian "
          "on the set, relative to the largest (duality.tangent_curvature; < 0 beyond rounding "
          "would be a saddle, ~0 a flat direction of the minimiser set). Symbolic: the "
          "constant offset on the set (T1 with constant norms) and the two minima differing "
          "by it on each side of M = N.",
    finding="On the doubly normalised set, at 7 shapes from 2 x 3 to 7 x 6 with 3 starts "
            "each, the end point of minimising either criterion also minimises the other "
            "(worst miss {{decision.minimises-other.worst_error:.2g}} of N^2; own criterion "
            "{{decision.minimises-own.worst_error:.2g}}), as the constant offset predicts "
            "(GA23-C0-offset).",
    directions={"the two criteria differ by a constant on the doubly normalised set":
                ("GA23-C0-offset",)},
)


@claim.symbolic(scope="claim")
def _():
    return sym.offset_general() + sym.minima_offset()


_min_c = lambdify_torch(sym.MIN_L_C, [sym.M, sym.N])
_min_nc = lambdify_torch(sym.MIN_L_NC, [sym.M, sym.N])


@claim.numeric(grid=points(*({"m": m, "n": n, "seed": run_seed() + k + len(_SHAPES) * r}
                             for r in range(_STARTS) for k, (m, n) in enumerate(_SHAPES))))
def _(m: int, n: int, seed: int):
    start = duality.random_matrix("gaussian", m, n, seed, device=device())
    minima = (duality.closed_form(_min_c, m, n), duality.closed_form(_min_nc, m, n))
    ends = [duality.minimise_doubly_normalised(c, start,
                                               tol=claim.settings["step_tol"]).K
            for c in ("l_c", "l_nc")]
    misses = []
    for K in ends:
        terms = duality.duality_terms(K)
        misses += [abs(terms.l_c - minima[0]) / n**2, abs(terms.l_nc - minima[1]) / n**2]
    # misses: (L_c run on L_c, L_c run on L_nc, L_nc run on L_c, L_nc run on L_nc). The claim
    # is the cross terms: each run's end point minimises the criterion it did not descend.
    parts = {"minimises-own": max(misses[0], misses[3]),
             "minimises-other": max(misses[1], misses[2])}
    distance = float((ends[0] - ends[1]).norm() / ends[0].norm())
    # Second order: the smaller of the two ends' Riemannian Hessian eigenvalues (relative).
    curvature = min(duality.tangent_curvature(c, K).relative
                    for c, K in zip(("l_c", "l_nc"), ends, strict=True))
    return Measurement(error=max(misses), parts=parts,
                       extra={"distance": distance, "min_tangent_eig": curvature})
