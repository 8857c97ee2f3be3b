"""GA23-X2 (proxy): the LogSumExp does not matter, VICReg ~ VICReg-exp (GA23 Sec. 5, Fig. 1).

Decided by TOST over paired seeds on the shared small-scale proxy
(tests/claims/ga23/protocols/proxies.py), with the large projector (where the paper reports
68.13 vs 68.00).
"""

from __future__ import annotations

from tests.claims.ga23.protocols import proxies
from tests.claims.ga23.protocols.proxy_stats import ALPHA, MARGIN_POINTS
from verify import Claim, Measurement, device, points, profile
from verify import seed as run_seed

claim = Claim(
    id="GA23-X2",
    paper="GA23",
    source="Sec. 5; Fig. 1; docs/catalogue/GA23.md#ga23-x2",
    statement="Proxy: VICReg-exp matches VICReg in linear-probe accuracy within 2 points "
              "(large projector; TOST over paired seeds)",
    provenance="TEXT",
    paper_asserts="Replacing VICReg's covariance term by a LogSumExp does not matter: 68.13 "
                  "vs 68.00 with a large projector.",
    tolerance=ALPHA,
    measures="TOST p-value of |mean acc(VICReg-exp) - acc(VICReg)| < margin, paired seeds",
    unit="p-value",
    settings={"alpha": ALPHA, "margin_points": MARGIN_POINTS, **proxies.claim_settings(profile())},
    tags=("trains", "proxy", "downstream"),
    notes="Large projector, d = 32; VICReg-exp = torch_impl's vicreg_exp_loss (official "
          "VICReg invariance and variance, c_exp with d = M). " + proxies.NOTES,
    finding="On the proxy (large projector), TOST over {{setting.seeds}} paired seeds finds "
            "VICReg-exp's and VICReg's probe accuracies equivalent within "
            "{{setting.margin_points:g}} points (p = {{worst_error:.2g}}; mean difference "
            "{{max.mean_diff:.2g}} points): the two trained encoders score alike there, which "
            "says nothing about absolute accuracy.",
)


@claim.numeric(grid=points({"variant": "vicreg-exp", "reference": "vicreg"}))
def _(variant: str, reference: str):
    result = proxies.decide(proxies.Config(variant), proxies.Config(reference),
                            profile=profile(), run_seed=run_seed(), device=device())
    return Measurement(error=result.p_equivalent, extra=result.as_extra())
