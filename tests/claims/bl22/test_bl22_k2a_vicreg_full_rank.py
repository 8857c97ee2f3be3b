"""BL22-K2a-vicreg: the same 'iff' for a full-rank VICReg optimum (literal: 'the SSL optimum').

VICReg's free-Z optimum keeps every non-trivial Laplacian direction with t_k > 0 (BL22-C2), so
with K = N - 1 the probe on [Z* 1] can fit any labels: zero training error even when G links
classes. The component formula of BL22-K2a then fails in the 'only if' direction.
"""

from __future__ import annotations

from derivations.bl22 import downstream as sym
from derivations.bl22 import vicreg_closed_form as c2
from tests.claims.bl22.protocols import downstream as ds
from tests.claims.bl22.protocols.rank import margin_factor
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from torch_impl.metrics import numerical_rank
from verify import Claim, Measurement, device, points, profile

claim = Claim(
    id="BL22-K2a-vicreg",
    paper="BL22",
    source="Sec. 2 finding (3) (conditions on the downstream error of 'the optimal Z' of SSL "
           "methods); intro keypoint: VICReg's Z can be made full rank",
    statement="Least-squares probe on the free-Z VICReg optimum (K = N - 1): training error = "
              "sum_c (n_c - max_k n_ck) / N, zero iff labels are constant on G's components",
    provenance="DERIVED",
    paper_asserts="Necessary and sufficient conditions on G bound the downstream error of the "
                  "SSL optimum (for every method); VICReg can keep a full-rank Z.",
    tolerance=1e-12,
    expected="FAILS",
    holds_where="BL22-K2a",
    measures="|training error rate of the probe on the trained optimum - sum_c (n_c - max_k "
             "n_ck) / N|",
    unit="error rate",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains", "downstream", "sweep"),
    notes=(
        "Same probe and error as BL22-K2a (no projection: VICReg's optimum is full rank by "
        "design, every predicted t_k far above the optimiser's resolution, extra 'min_std'), "
        "two classes of sizes (2, 3), (2, 4) or (3, 4) joined by m in {1, 2} cross-class edges "
        "(misaligned; quick: the first case), BL22's VICReg, free Z, K = N - 1, in BL22-C2's "
        "closed-form regime (alpha = `0.9` * 4 gamma lambda_+ (N-1)/N with lambda_+ the smallest "
        "positive Laplacian eigenvalue, gamma = 1, beta = 2 max(1, C2's pair threshold); "
        "min-norm-subgradient certificate 1e-8, 2 restarts). Why the formula fails here: every "
        "t_k > 0, so the centred Z* keeps rank N - 1 (extra 'rank', threshold 1e-8), [Z* 1] "
        "spans every labelling, and the probe also fits labels that G's components do not "
        "separate. Condition under which the 'iff' holds: a "
        "rank-limited optimum, span([Z* 1]) = the component indicators (BarlowTwins with K = "
        "#components, BL22-K2a); for VICReg only in the limit gamma -> infinity (t_k -> 0 for "
        "lambda_k > 0, BL22-C2), never at finite gamma with K > #components - 1, since every "
        "t_k > 0. This is the paper's own 'VICReg can be full rank' read against its "
        "'necessary and sufficient conditions': the conditions are method-dependent."
    ),
    finding="The 'iff' fails for full-rank VICReg, whose probe also fits labels G does not "
            "respect: the downstream conditions depend on the method.",
)

# (seed, class sizes, cross-class edges): a fixed short list (quick: the first only).
_CASES = points(
    {"seed": 0, "size_a": 2, "size_b": 3, "n_cross": 1},
    {"seed": 1, "size_a": 2, "size_b": 4, "n_cross": 2},
    {"seed": 2, "size_a": 3, "size_b": 4, "n_cross": 1},
)


@claim.symbolic(scope="lemma",
                why="proves the residual of component-constant features (0 iff one class per "
                 "component); that VICReg's full-rank optimum fits beyond the components is "
                 "measured")
def _():
    return [*sym.component_residual(), c2.column_std_derivation()[0]]


@claim.numeric(grid=_CASES if profile() == "full" else points(_CASES.points[0]))
def _(seed: int, size_a: int, size_b: int, n_cross: int):
    G, y = ds.classes_with_cross_edges([size_a, size_b], n_cross, seed, device=device())
    fit, regime = ds.fit_vicreg_free(G, G.shape[0] - 1, seed=seed, device=device())
    measured = ds.probe_training(fit.z, y)
    predicted = ds.component_prediction(G, y)
    # The error is a difference of multiples of 1/N: it moves only if the probe's features
    # [Z* 1] change numerical rank.
    decades = ds.probe_decades(fit.z)
    return Measurement(
        error=abs(measured.error_rate - predicted.error_rate),
        extra={"predicted": predicted.error_rate, "measured": measured.error_rate,
               # A descriptive rank (not deciding): 1e-8 counts every column the fit kept.
               "rank": numerical_rank(fit.z - fit.z.mean(dim=0), rtol=1e-8),
               "min_std": float(regime.stds.min()), "margin_decades": decades,
               "min_tangent_eig": fit.min_tangent_eig},
        margin=margin_factor(decades),
    )
