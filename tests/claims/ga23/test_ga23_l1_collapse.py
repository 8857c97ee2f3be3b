"""GA23-L1-collapse: "both bounds of Lemma 3.4 correspond to collapsed representations".

True of the upper bound (one nonzero row: rank 1), false of the lower one: a doubly normalised
Gaussian K (unit columns, equal rows) attains N^2 / M and has full rank min(M, N).
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from derivations.base import lambdify_torch
from derivations.ga23 import duality as sym
from tests.claims.ga23.protocols import duality
from tests.claims.ga23.protocols.duality import RANK_RTOL, SCALING_TOL
from torch_impl.metrics import rank_decades, rank_report
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="GA23-L1-collapse",
    paper="GA23",
    source="Sec. 3, remark after Lemma 3.4",
    statement="A K with unit columns attaining either bound of Lemma 3.4 (a) is collapsed "
              "(rank 1)",
    provenance="TEXT",
    paper_asserts="Both bounds of Lemma 3.4 correspond to collapsed representations.",
    tolerance=0.0,
    expected="FAILS",
    holds_where="GA23-L1-equality",
    measures="numerical rank - 1 of a unit-column K at the lower bound N^2 / M (checked to "
             "1e-12 relative)",
    unit="rank",
    settings={"scaling_tol": SCALING_TOL, "rank_rtol": RANK_RTOL},
    tags=("exact",),
    notes="K: a Gaussian draw scaled alternately to unit columns and rows of norm sqrt(N/M) "
          "(tests/claims/ga23/protocols/duality.py, doubly_normalise); the trial first checks "
          "that sum_j ||K_j.||^4 is N^2/M to `1e-12` (else the check is broken and raises). "
          "Collapsed = numerical rank 1 at rank_rtol; margin = 10^decades between the second "
          "singular value and the threshold. The upper-bound half of the remark is right "
          "(GA23-L1-equality); the printed 'the constant matrix attains the lower bound' is "
          "right too, but it is one of many K that do. Shapes 2..24. Symbolic witness: "
          "I_2 has unit rows and columns, attains N^2/M = 2 and has rank 2.",
    finding="The lower bound of Lemma 3.4 does not mean collapse: full-rank doubly normalised "
            "Gaussian K attain it (counterexample M = {{counterexample.m}}, N = "
            "{{counterexample.n}}, rank {{max.rank:.0f}}; symbolic witness I_2).",
)


@claim.symbolic(scope="claim")
def _():
    return sym.collapse_counterexample(2)


_low = lambdify_torch(sym.LEMMA_LOWER, [sym.M, sym.N, sym.A])
_MAX = 8 if profile() == "quick" else 24


@claim.numeric(seed=st.integers(0, 2**16), m=st.integers(2, _MAX), n=st.integers(2, _MAX))
def _(seed: int, m: int, n: int):
    K = duality.doubly_normalise(duality.random_matrix("gaussian", m, n, seed, device=device())).K
    low = duality.closed_form(_low, m, n, 1.0)
    miss = abs(duality.duality_terms(K).row4 - low) / low
    if miss > 1e-12:
        raise AssertionError(f"doubly normalised K misses the lower bound by {miss:.1e}")
    report = rank_report(K, RANK_RTOL)
    decades = rank_decades(report, 1, RANK_RTOL)
    return Measurement(error=float(report.rank - 1), extra={"rank": float(report.rank)},
                       margin=10.0**decades if math.isfinite(decades) else math.inf)
