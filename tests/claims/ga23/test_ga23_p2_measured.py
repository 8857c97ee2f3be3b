"""GA23-P2-measured: the family of every method of GA23 Sec. 4, derived from its formula and
decided by the invariance test (torch_impl.family.loss_family).

For each method four tests: rotating the embedding dimensions (z -> z Q^T) in general and with
Q 1 = 1, rotating the samples (z -> Q z) in general and with Q 1 = 1. The derived outcome of
each (tests/claims/ga23/protocols/families.py, DERIVED_INVARIANCE with its REASONS) must be
the measured one: invariant tests change the loss by round-off only, the others by far more
than the tolerance. The error is the number of tests whose outcome differs (exact criterion).
"""

from __future__ import annotations

import sympy as sp

from derivations.base import Derivation, symbolic_matrix
from tests.claims.ga23.protocols import families
from torch_impl.family import DEFAULT_TOLERANCE
from verify import Claim, Measurement, device, grid, profile
from verify import seed as run_seed

claim = Claim(
    id="GA23-P2-measured",
    paper="GA23",
    source="Prop. 3.2, Sec. 3; the methods of Sec. 4-5 (Eqs. 11-14)",
    statement="Sample-contrastive (invariant under z -> z Q^T): SimCLR, SimCLR-sq/-abs, DCL, "
              "DCL-sq/-abs, SimCLR with dimension centring, TCR on normalised embeddings, "
              "VICReg-ctr (Q 1 = 1); dimension-contrastive (z -> Q z, Q 1 = 1): VICReg, "
              "VICReg-exp, BarlowTwins; both: spectral contrastive, unnormalised TCR; neither: "
              "SimCLR with dimension standardisation",
    provenance="DERIVED",
    paper_asserts="Prop. 3.2 classifies SimCLR-abs/-sq, DCL-sq/-abs and the spectral "
                  "contrastive loss as sample-contrastive, BarlowTwins, VICReg and TCR as "
                  "dimension-contrastive; Sec. 4 calls VICReg-exp dimension- and VICReg-ctr "
                  "sample-contrastive.",
    tolerance=0.0,
    measures="number of the four invariance tests (dimensions / samples, general / Q 1 = 1) "
             "whose measured outcome differs from the derived one",
    unit="tests",
    settings={"invariance_tolerance": DEFAULT_TOLERANCE, "tau": families.TAU,
              "trials_per_point": families.trials(profile())},
    tags=("exact", "sweep"),
    notes="A test counts as invariant when the loss's relative change, max over seeded draws "
          "(fresh inputs and Haar rotations each), is at most invariance_tolerance (float64 "
          "round-off scale). margin: the smallest factor between a test's error and that "
          "tolerance, on the side of its derived outcome. extra: invariant_error_max, the "
          "largest change among the invariant tests (round-off), and violation_min, the "
          "smallest among the others: every method is either exactly invariant or violates by "
          "a large factor; none is approximately invariant. Reasons per method: "
          "families.REASONS (InfoNCE: cosines of rows; BarlowTwins / VICReg: batch-centred "
          "cross-covariances, kept when Q 1 = 1; TCR: log det(I + a K K^T) = log det(I + a "
          "K^T K) of the normalised K; spectral: ||Z Z^T||_F = ||Z^T Z||_F with the i = j "
          "pairs counted as negatives). The same losses and inputs as GA23-P2; the methods not "
          "named in Prop. 3.2 (SimCLR, DCL, the normalised SimCLRs of Sec. 5.1, VICReg-exp, "
          "VICReg-ctr, unnormalised TCR) are added. Symbolic: lemmas at explicit sizes "
          "(Sylvester's determinant identity, ||K K^T||_F = ||K^T K||_F, centring commutes "
          "with rotations fixing 1, right rotations keep the Gram matrix); the invariance "
          "tests themselves are numeric.",
    finding="Measured by invariance, Prop. 3.2 holds for the InfoNCE variants, BarlowTwins "
            "and VICReg (the latter two with the batch centring), but the spectral "
            "contrastive loss as implemented here (self-pairs counted among the negatives, no "
            "ball projection) is both sample- and dimension-contrastive, TCR on normalised "
            "embeddings is sample- not dimension-contrastive, and SimCLR with dimension "
            "standardisation is neither (at N > M and N < M; invariant tests change the loss by "
            "at most {{max.invariant_error_max:.1g}}, the others by at least "
            "{{min.violation_min:.2g}}, relative).",
)


def _cos_sin(t: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """cos and sin of the angle 2 atan(t), rational in t: the residuals cancel without trig
    simplification (slow in sympy)."""
    return (1 - t**2) / (1 + t**2), 2 * t / (1 + t**2)


def _rotation_fixing_ones(t: sp.Symbol) -> sp.Matrix:
    """Rotation of R^3 by the angle 2 atan(t) about the axis 1 / sqrt(3) (Rodrigues): Q 1 = 1."""
    cos, sin = _cos_sin(t)
    u = sp.Matrix([1, 1, 1]) / sp.sqrt(3)
    cross = sp.Matrix([[0, -u[2], u[1]], [u[2], 0, -u[0]], [-u[1], u[0], 0]])
    return cos * sp.eye(3) + sin * cross + (1 - cos) * u * u.T


@claim.symbolic(scope="lemma",
                why="proves identities the invariance tests rely on (Sylvester, ||K K^T||_F = "
                 "||K^T K||_F, centring and rotations) at explicit sizes; the classification "
                 "itself is measured")
def _():
    t = sp.Symbol("t", real=True)
    out = []
    for m, n in ((2, 3), (3, 2)):
        K = symbolic_matrix("k", m, n, real=True)
        a = sp.Symbol("a", positive=True)
        out.append(Derivation(
            f"det(I_M + a K K^T) = det(I_N + a K^T K), M={m}, N={n} (TCR is a function of both)",
            sp.expand((sp.eye(m) + a * K * K.T).det() - (sp.eye(n) + a * K.T * K).det())))
        out.append(Derivation(
            f"||K K^T||_F^2 = ||K^T K||_F^2, M={m}, N={n} (the spectral loss's negatives)",
            sp.expand(((K * K.T) ** 2).trace() - ((K.T * K) ** 2).trace())))
    Q = _rotation_fixing_ones(t)
    P = sp.eye(3) - sp.ones(3, 3) / 3
    about_ones = ["Q: Rodrigues rotation by t about 1 / sqrt(3)"]
    out.append(Derivation("Q 1 = 1 for a rotation about 1 (N=3)",
                          (Q * sp.ones(3, 1) - sp.ones(3, 1)).applyfunc(sp.cancel),
                          assumptions=about_ones))
    out.append(Derivation("Q^T P Q = P (P = I - 1 1^T / 3, the batch centring) for a rotation "
                          "about 1 (N=3)", (Q.T * P * Q - P).applyfunc(sp.cancel),
                          assumptions=about_ones))
    z = symbolic_matrix("z", 3, 2, real=True)
    cos, sin = _cos_sin(t)
    R = sp.Matrix([[cos, -sin], [sin, cos]])
    out.append(Derivation("(z R^T)(z R^T)^T = z z^T for a rotation R of the dimensions (N=3, M=2)",
                          ((z * R.T) * (z * R.T).T - z * z.T).applyfunc(sp.cancel)))
    return out


@claim.numeric(grid=grid(method=list(families.METHODS),
                         shape=[f"{n}x{m}" for n, m in families.shapes(profile())],
                         seed=[run_seed()]))
def _(method: str, shape: str, seed: int):
    n, m = (int(s) for s in shape.split("x"))
    report = families.classify(method, n, m, seed, families.trials(profile()), device())
    expected = families.DERIVED_INVARIANCE[method]
    errors = (report.sample_error, report.sample_centred_error, report.dimension_error,
              report.dimension_centred_error)
    mismatches = sum(o != e for o, e in zip(families.outcomes(report), expected, strict=True))
    tol = report.tolerance
    # A zero error (exactly invariant) is an infinite margin.
    margins = [(tol / err if err > 0 else float("inf")) if inv else err / tol
               for err, inv in zip(errors, expected, strict=True)]
    invariant = [err for err, inv in zip(errors, expected, strict=True) if inv]
    violated = [err for err, inv in zip(errors, expected, strict=True) if not inv]
    extra = {}
    if invariant:
        extra["invariant_error_max"] = max(invariant)
    if violated:
        extra["violation_min"] = min(violated)
    return Measurement(error=float(mismatches), extra=extra, margin=min(margins),
                       figure_data=(method, errors))


# One (label, marker) per test of families.OUTCOMES, in that order.
_SERIES = (("z Q^T (sample)", "o"), ("z Q^T, Q 1 = 1", "s"), ("Q z (dimension)", "^"),
           ("Q z, Q 1 = 1", "v"))


@claim.figure
def _(trials, fig):
    ax = fig.add_subplot()
    methods = list(dict.fromkeys(t.measurement.figure_data[0] for t in trials))
    for k, (label, marker) in enumerate(_SERIES):
        xs = [methods.index(t.measurement.figure_data[0]) + (k - 1.5) * 0.12 for t in trials]
        # An exactly unchanged loss (0) is drawn at 1e-18 so that the log axis can show it.
        ys = [max(t.measurement.figure_data[1][k], 1e-18) for t in trials]
        ax.scatter(xs, ys, marker=marker, s=14, label=label)
    ax.axhline(claim.settings["invariance_tolerance"], color="k", ls="--", lw=1,
               label="invariance tolerance")
    ax.set_xticks(range(len(methods)), methods, rotation=60, ha="right", fontsize=7)
    ax.set(yscale="log", ylabel="max relative change of the loss",
           title="GA23-P2-measured: change of each loss under the four rotations")
    ax.legend(fontsize=7)
