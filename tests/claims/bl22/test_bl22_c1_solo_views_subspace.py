"""BL22-C1-solo: BL22-C1's subspace conclusion under the solo-learn VICReg code.

Two branches (z_a, z_b) = the two views; F.mse_loss invariance; per-branch variance hinge
relu(1 - sqrt(Var + 1e-4)) averaged over the K columns and summed over the two branches
(no /2: twice the official variance weight); per-branch covariance
sum of squared off-diagonals / K; default weights sim/std/cov = 25/25/1
(``torch_impl.losses.vicreg_loss_convention``). Is the centred span of the trained free-Z
optimum still the bottom eigenspace of the views graph's Laplacian (BL22-C1a)?
"""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st

from derivations.bl22.laplacian import view_invariant_optimum
from tests.claims import graphs
from tests.claims.bl22.protocols.laplacian import (
    CONVENTION_NOTES,
    convention_derivations,
    draw_rank,
    measure_convention,
)
from tests.claims.bl22.protocols.settings import GAP_RTOL, GRAD_TOL, RANK_RTOL
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="BL22-C1-solo",
    paper="BL22",
    source="Abstract / Sec. 3 (VICReg <-> Laplacian Eigenmaps); "
           "docs/catalogue/BL22.md#codebase-conventions",
    statement="With the solo VICReg code on two views, the centred span of the free-Z "
              "optimum is the bottom-r eigenspace of the views graph's L (r = rank Z*)",
    provenance="DERIVED",
    paper_asserts="VICReg recovers Laplacian Eigenmaps on the positive-pair (views) graph G "
                  "(abstract; the paper's loss is the pooled one of its Sec. 2.2 snippet).",
    tolerance=1e-4,
    measures="largest principal angle between span(H Z*) and the bottom-r eigenspace of the "
             "views graph's L (degeneracy-aware)",
    unit="rad",
    settings={"rank_rtol": RANK_RTOL, "gap_rtol": GAP_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains", "convention"),
    families=("views",),
    families_why="the two-branch loss takes each sample's two views: V = 2 views graphs only",
    notes=(
        "Convention: docs/catalogue/BL22.md#codebase-conventions, solo-learn; lightly's "
        "loss equals the official one exactly (tests/torch_impl/losses/test_conventions.py), "
        "so BL22-C1-official covers lightly; solo-learn differs only by the variance term's "
        "missing /2 (BL22-C1-official and BL22-C1-solo audit one each). "
        # the protocol's text, its input tolerances marked as code (not this module's to edit)
        + CONVENTION_NOTES
    ),
    finding="Under solo-learn's VICReg code the optimum on the two-view views graphs drawn still "
            "spans the bottom Laplacian eigenvectors.",
)


@claim.symbolic(scope="claim")
def _():
    return convention_derivations() + [view_invariant_optimum(n, 2, sp.Integer(1))
                                       for n in (2, 3)]


@claim.numeric(
    trials={"quick": 2, "full": 20},
    seed=st.integers(0, 2**16),
    graph=graphs.two_views((3, 6 if profile() == "quick" else 32)),
    k=st.integers(1, 8),
)
def _(seed: int, graph: str, k: int):
    trial = measure_convention(graphs.two_view_originals(graph), k, "solo", seed,
                               device=device())
    return Measurement(error=trial.comparison.angle, extra=trial.extra(),
                       figure_data=trial.figure_data())


@claim.figure(name="rank")
def _(trials, fig):
    draw_rank(trials, fig, title="BL22-C1-solo: rank of the optimum against K")
