"""BL22-C5b-bt-official-centred: under BatchNorm BarlowTwins the rank is min(K, c - 1).

The corrected reading for the codebases' convention (docs/catalogue/BL22.md#bl22-c6 flag (a)):
centring removes the constant direction, so the zero-loss optima (K <= c - 1) are centred columns
constant on the components, and for K >= c the optimum keeps c - 1 dimensions; its loss matches the
paper-convention closed form of BL22-C6b with c replaced by c - 1 (measured, extra).
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from derivations.base import lambdify_torch
from derivations.bl22 import barlow_twins as bt
from derivations.bl22 import rank as sym
from tests.claims.bl22 import _rank_support as rs
from verify import Claim

_predicted = lambdify_torch(sym.RANK_CENTRED, [sym.K, sym.C, sym.N])
_excess = lambdify_torch(bt.EXCESS_LOSS, [bt.ALPHA, bt.K, bt.C])
# (lambd, loss scale) of the two conventions (torch_impl.losses.conventions defaults).
_CONVENTION = {"official": (0.0051, 1.0), "solo": (5e-3, 0.025)}

claim = Claim(
    id="BL22-C5b-bt-official-centred",
    paper="BL22",
    source="BL22-C5b-bt (docs/catalogue/BL22.md#codebase-conventions); "
           "docs/catalogue/BL22.md#bl22-c6 flag (a)",
    statement="Under the official and solo-learn BarlowTwins losses the free-Z optimum on a "
              "2-views graph has rank min(K, c - 1) for K below, at and above c",
    provenance="DERIVED",
    paper_asserts="SimCLR and BarlowTwins strictly enforce rank(Z) = rank(G).",
    tolerance=0.0,
    notes="Same formalisation, optima and rank threshold (1e-4, BN eps floor) as "
          "BL22-C5b-bt-official; error = max over K of |rank - min(K, c - 1)|, tolerance 0. "
          "Symbolic: the rank laws and (G + I)/V = projector onto the c indicators, whose centred "
          "part H P has rank c - 1. Extra (measured, not derived: the two-branch C is not "
          "symmetric, so BL22-C6b's inertia argument does not carry over as is): for K > c - 1 "
          "the loss equals scale x EXCESS_LOSS(lambd, K, c - 1) of BL22-C6b (relative gap <= "
          "4e-10, 'loss_vs_excess_c_minus_1'), and the two branches differ there (bn(z_a) != "
          "bn(z_b): the diagonal c_kk = lambda < 1 is reached by de-correlating the views, not by "
          "tilting out of span P), see BL22-K1a-official-bt.",
    finding="Under the codebases' BatchNorm BarlowTwins the optimum has rank min(K, #components - "
            "1).",
)


@claim.symbolic
def _():
    return sym.views_relation_components(4, 2) + sym.rank_laws() + bt.excess_loss_derivation()


@claim.numeric(trials=len(rs.conventions()) * len(rs.convention_cases()),
               case=st.sampled_from(rs.convention_cases()),
               convention=st.sampled_from(rs.conventions()))
def _(case: str, convention: str):
    case = rs.Case(case)
    measurement = rs.rank_sweep(f"bt-{convention}", case, 0.0, _predicted,
                                rtol=rs.BN_RANK_RTOL)
    lambd, scale = _CONVENTION[convention]
    c = rs.indicators(rs.relation(case.graph)).shape[1]
    gaps = []
    for k, opt in rs.sweep(f"bt-{convention}", case, 0.0):
        if k > c - 1:
            args = (torch.tensor(v, dtype=torch.float64) for v in (lambd, float(k), c - 1.0))
            predicted = scale * float(_excess(*args))
            gaps.append(abs(opt.loss - predicted) / predicted)
    measurement.extra["loss_vs_excess_c_minus_1"] = max(gaps)
    return measurement
