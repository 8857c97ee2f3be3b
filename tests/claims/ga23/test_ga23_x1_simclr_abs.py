"""GA23-X1 (proxy): SimCLR-abs is as good as SimCLR (GA23 Sec. 3, supp. D: 68.71 vs 68.61).

Decided by TOST over paired seeds on the shared small-scale proxy
(tests/claims/ga23/protocols/proxies.py): equivalent when the 90% CI of the mean accuracy
difference lies inside +-MARGIN_POINTS.
"""

from __future__ import annotations

from tests.claims.ga23.protocols import proxies
from tests.claims.ga23.protocols.proxy_stats import ALPHA, MARGIN_POINTS
from verify import Claim, Measurement, device, points, profile
from verify import seed as run_seed

claim = Claim(
    id="GA23-X1",
    paper="GA23",
    source="Sec. 3; supp. D; docs/catalogue/GA23.md#ga23-x1",
    statement="Proxy: SimCLR-abs (absolute negative cosines) matches SimCLR (tau 0.15) in "
              "linear-probe accuracy within 2 points (TOST over paired seeds)",
    provenance="TEXT",
    paper_asserts="SimCLR-abs performs as well as the improved SimCLR (68.71 vs 68.61 top-1).",
    tolerance=ALPHA,
    measures="TOST p-value of |mean acc(SimCLR-abs) - acc(SimCLR)| < margin, paired seeds",
    unit="p-value",
    settings={"alpha": ALPHA, "margin_points": MARGIN_POINTS, **proxies.claim_settings(profile())},
    tags=("trains", "proxy", "downstream"),
    notes="Large projector, d = 32; SimCLR-abs as torch_impl's 'simclr-abs' (only the "
          "negatives' cosines are replaced by their absolute values). " + proxies.NOTES,
    finding="On the proxy, TOST over {{setting.seeds}} paired seeds finds SimCLR-abs's and "
            "SimCLR's probe accuracies equivalent within {{setting.margin_points:g}} points "
            "(p = {{worst_error:.2g}}; mean difference {{max.mean_diff:.2g}} points): the two "
            "trained encoders score alike there, which says nothing about absolute accuracy.",
)


@claim.numeric(grid=points({"variant": "simclr-abs", "reference": "simclr"}))
def _(variant: str, reference: str):
    result = proxies.decide(proxies.Config(variant), proxies.Config(reference),
                            profile=profile(), run_seed=run_seed(), device=device())
    return Measurement(error=result.p_equivalent, extra=result.as_extra())
