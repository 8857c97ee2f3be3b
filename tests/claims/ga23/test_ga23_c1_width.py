"""GA23-C1-width: how far apart Cor. 3.4.1 lets L_c and L_nc be (our statement).

With unit columns, L_c - L_nc + N = sum_j ||K_j.||^4 ranges over exactly [N^2/M, N^2]: both
ends are attained (constant matrix, one-row matrix), so over unit-column K the difference
L_c - L_nc takes every value in an interval of width N^2 (1 - 1/M). Bounded for fixed sizes,
but the bound grows like N^2: "not arbitrarily far apart" holds only at fixed M, N.
"""

from __future__ import annotations

from derivations.base import lambdify_torch
from derivations.ga23 import duality as sym
from tests.claims.ga23.protocols import duality
from verify import Claim, Measurement, grid, profile

claim = Claim(
    id="GA23-C1-width",
    paper="GA23",
    source="Sec. 3, Cor. 3.4.1 and the sentence after it",
    statement="Unit columns: L_c - L_nc spans exactly [N^2/M - N, N^2 - N], width N^2 (1 - 1/M)"
              ", attained at both ends: bounded at fixed (M, N), unbounded as N grows",
    provenance="DERIVED",
    paper_asserts="Even without double normalisation the two criteria cannot be arbitrarily "
                  "far apart.",
    tolerance=1e-12,
    measures="|(attained max - attained min of L_c - L_nc) - N^2 (1 - 1/M)| / N^2 (1 - 1/M)",
    unit="relative",
    tags=("sweep",),
    notes="The attained range is measured at the constant matrix (the minimum of L_c - L_nc "
          "over unit-column K) and the one-row matrix (the maximum), both by torch_impl's "
          "criteria; it is compared with the lambdified width N^2 (1 - 1/M). Grid: M in "
          "{2, 16, 128}, N in {2, 64, 2048} (N = 2048 is GA23's batch size; 256 in the quick "
          "profile). Symbolic: "
          "Cor. 3.4.1's endpoints from T1 and Lemma 3.4 and the width. Reading: the paper's "
          "'cannot be arbitrarily far apart' is true for fixed sizes; at N = 2048 the gap can "
          "be anywhere in an interval of width {{max.width:.2g}} (M = 128), so the statement "
          "does not make the criteria close.",
    finding="Cor. 3.4.1's interval has width N^2 (1 - 1/M), both ends attained (symbolic; "
            "measured at M in {2, 16, 128}, N up to 2048: width up to {{max.width:.2g}}): how "
            "far apart the criteria can be is bounded at fixed sizes, by a bound that grows "
            "like N^2.",
)


@claim.symbolic(scope="claim")
def _():
    # The endpoints, and Lemma 3.4's equality cases: both ends are attained.
    return sym.sandwich() + sym.lemma_equality_cases()


_width = lambdify_torch(sym.INTERVAL_WIDTH, [sym.M, sym.N])


@claim.numeric(grid=grid(n=[2, 64, 256 if profile() == "quick" else 2048], m=[2, 16, 128]))
def _(n: int, m: int):
    lowest = duality.duality_terms(duality.constant_matrix(m, n))
    highest = duality.duality_terms(duality.one_row_matrix(m, n))
    attained = (highest.l_c - highest.l_nc) - (lowest.l_c - lowest.l_nc)
    width = duality.closed_form(_width, m, n)
    return Measurement(error=abs(attained - width) / width, extra={"width": width},
                       figure_data=(m, n, width))


@claim.figure
def _(trials, fig):
    ax = fig.add_subplot()
    for m in sorted({t.measurement.figure_data[0] for t in trials}):
        mine = sorted((t.measurement.figure_data for t in trials
                       if t.measurement.figure_data[0] == m), key=lambda d: d[1])
        ax.plot([d[1] for d in mine], [d[2] for d in mine], marker="o", label=f"M = {m}")
    ax.set(xscale="log", yscale="log", xlabel="N (batch size)",
           ylabel="attained range of L_c - L_nc",
           title="GA23-C1-width: Cor. 3.4.1's interval width N^2 (1 - 1/M)")
    ax.legend()
