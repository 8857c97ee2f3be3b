"""BL22-K1a-simclr-normalised: normalize(Z*) of SimCLR lies in G's top eigenspace.

The condition under which BL22-K1a-simclr holds: the row-normalised optimum (what the loss
sees). Every view of a sample sits at the same unit vector (positives collapse), so
normalize(Z*) is constant on components: its span lies in span P; for K >= c - 1 it is the
centred simplex, span H P exactly (BL22-C4c).
"""

from __future__ import annotations

import math

from derivations.bl22 import rank as sym
from derivations.bl22.simclr import simplex_gram_spectrum, views_kernel_centring
from tests.claims.bl22.protocols import rank
from tests.claims.bl22.protocols.settings import GRAD_TOL, RANK_RTOL
from torch_impl.metrics import containment_angle
from verify import Claim, Measurement, device, profile
from verify import seed as run_seed

# Clique-structured graphs (span P is G's top-c eigenspace there) at every audited tau: the
# optima of BL22-C5b-simclr(-centred).
_POINTS = rank.case_points(rank.cases(profile(), run_seed(), families=rank.CLIQUE_FAMILIES),
                           tau=rank.simclr_taus(profile()))

claim = Claim(
    id="BL22-K1a-simclr-normalised",
    paper="BL22",
    source="Sec. 1 intro keypoint 1 (transcribed); condition found by the audit (BL22-K1a-simclr)",
    statement="SimCLR's row-normalised free-Z optimum normalize(Z*) has its span inside G's top "
              "eigenspace span P (= H span P for K >= c - 1)",
    provenance="DERIVED",
    paper_asserts="All SSL methods' optimal Z have top left singular vectors aligned with the "
                  "ones of G.",
    tolerance=1e-4,
    measures="max over K of the largest principal angle between range(normalize(Z*)) and "
             "span P",
    unit="rad",
    settings={"rank_rtol": RANK_RTOL, "grad_tol": GRAD_TOL,
              "graphs": rank.settings_text(_POINTS),
              "taus": ", ".join(map(str, rank.simclr_taus(profile())))},
    tags=("trains", "sweep"),
    families=("views", "labels"),
    families_why="span P is G's top-c eigenspace only for clique components",
    notes="Formalisation: the largest principal angle between the numerical range of "
          "normalize(Z*) (1e-6) and span P (G's eigenvalue V-1 eigenspace; symbolic G P = (V-1) "
          "P), max over K in c-2..c+1, tolerance 1e-4 rad; extra: the same angle against the "
          "centred H span P (dimension c-1; the simplex's Gram kernel H (G+I) H, symbolic), "
          "near 0 when the optimum is centred (for K < c-1 the c directions on views4x2, K = 2, "
          "form a square: centred by symmetry). Loss: BL22's "
          "L_simCLR, tau in {0.5, 0.25, 1}, the C5 optima (protocols.rank, fit_simclr of the C4 "
          "family, certificate at the normalised rows); clique-structured graphs, views V = 2..4 "
          "and labels with unequal classes (c = 2..4, N 5..12; settings.graphs), where span P is "
          "G's top-c eigenspace (sbm / kNN components are not cliques: there SimCLR's optimum is "
          "not collapsed, BL22-C5b-simclr-centred's notes). Extras: G's gap lambda_c - "
          "lambda_(c+1) (V on a views graph, the smallest class on labels), N, the smallest "
          "tangent Hessian eigenvalue.",
    finding="On clique-structured relations (views, labels) SimCLR's row-normalised optimum "
            "lies inside G's top eigenspace, as the paper says.",
)


@claim.symbolic(scope="lemma",
                why="proves span P is G's top eigenspace and the simplex Gram kernel's facts; "
                 "that normalize(Z*) lies in span P is measured")
def _():
    return (sym.top_eigenspace(4, 2) + sym.top_eigenspace(3, 3) + views_kernel_centring(4, 2)
            + simplex_gram_spectrum(4, 2))


@claim.numeric(grid=_POINTS)
def _(graph: str, seed: int, tau: float):
    G = rank.relation(graph)
    span_p = rank.component_basis(G, centred=False)
    span_hp = rank.component_basis(G, centred=True)
    angles, centred = [], []
    curvature = math.inf
    for _, opt in rank.sweep("simclr", graph, seed, tau, profile=profile(), device=device()):
        curvature = min(curvature, opt.min_tangent_eig)
        angles.append(containment_angle(opt.canonical, span_p, RANK_RTOL))
        centred.append(containment_angle(opt.canonical, span_hp, RANK_RTOL))
    return Measurement(error=max(angles),
                       extra={"angle_to_span_HP": max(centred),
                              "eigengap_G": rank.component_gap(G), "n": G.n,
                              "min_tangent_eig": curvature})
