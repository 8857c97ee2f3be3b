"""BL22-K1a-official-bt: left singular vectors under the codebases' BatchNorm BarlowTwins.

For K <= c - 1 the zero-loss optimum has bn(z_a) = bn(z_b) with orthogonal columns constant on
components: the stacked representation lies in H span P. For K >= c zero loss is out of reach and
the optimum pushes the diagonal below 1 by making the two views DIFFER (bn(z_a) != bn(z_b)), so
the stacked representation leaves G's top eigenspace.
"""

from __future__ import annotations

from derivations.bl22 import rank as sym
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import BN_RANK_RTOL, GRAD_TOL
from torch_impl.losses import branches_from_views
from torch_impl.metrics import containment_angle
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

claim = Claim(
    id="BL22-K1a-official-bt",
    paper="BL22",
    source="BL22-K1a-bt, official / solo-learn BarlowTwins "
           "(docs/catalogue/BL22.md#codebase-conventions)",
    statement="Under the official and solo-learn BarlowTwins losses, the span of the stacked "
              "BN-standardised optimum and H span P are nested, for K below, at and above c",
    provenance="DERIVED",
    paper_asserts="All SSL methods' optimal Z have top left singular vectors aligned with the "
                  "ones of G.",
    tolerance=1e-4,
    expected="FAILS",
    measures="max over K of the largest principal angle between range(bn(Z*)) and span(H P)",
    unit="rad",
    settings={"bn_rank_rtol": BN_RANK_RTOL, "grad_tol": GRAD_TOL},
    tags=("trains", "sweep", "convention"),
    notes="Re-run of BL22-K1a-bt with barlow_twins_loss_convention (official lambd `0.0051`; solo "
          "`5e-3`, x `0.025`; lightly not offered), branches = the two views of the views graph "
          "N'=4, V=2, K in c-2..c+1. Representation: the BN-standardised branches stacked (what "
          "the loss sees); its numerical range at threshold 1e-4 (BN eps floor, BN_RANK_RTOL). "
          "error = max over K of the largest principal angle to span(H P), tolerance 1e-4 rad. Why "
          "it fails for K >= c (extra 'views_gap' = max |bn(z_a) - bn(z_b)|, non-zero only there): "
          "the optimum decorrelates the two views to bring c_kk = lambda < 1 (its loss is "
          "BL22-C6b's with c - 1, BL22-C5b-bt-official-centred). Condition under which it holds: K "
          "<= c - 1, where the loss reaches 0 with bn(z_a) = bn(z_b).",
    finding="On the views graph N' = 4, V = 2 of the grid, under the codebases' BatchNorm "
            "BarlowTwins (official and solo) the optimum is not nested with G's centred top "
            "eigenspace once K reaches the number of components.",
)


@claim.symbolic(scope="lemma",
                why="proves G P = (V-1) P and L P = 0 (span P is G's top eigenspace); the "
                 "codebase optimum's span is measured")
def _():
    return sym.top_eigenspace(4, 2)


@claim.numeric(grid=rank.case_points(rank.convention_cases(profile(), run_seed()),
                                     convention=rank.conventions(profile())))
def _(graph: str, seed: int, convention: str):
    basis = rank.component_basis(rank.relation(graph), centred=True)
    c = basis.shape[1] + 1
    optima = rank.sweep(f"bt-{convention}", graph, seed, 0.0, profile=profile(),
                        device=device())
    extra: dict[str, float] = {"n": basis.shape[0],
                               "min_tangent_eig": min(opt.min_tangent_eig for _, opt in optima)}
    angles = []
    for k, opt in optima:
        angles.append(containment_angle(opt.canonical, basis, BN_RANK_RTOL))
        bn_a, bn_b = branches_from_views(opt.canonical)
        extra[f"views_gap_at_K=c{k - c:+d}"] = float((bn_a - bn_b).abs().max())
        extra[f"angle_at_K=c{k - c:+d}"] = angles[-1]
    return Measurement(error=max(angles), extra=extra)
