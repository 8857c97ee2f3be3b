"""GA23-X8 (proxy): SimCLR is indifferent to dimension centring (A) and standardisation (B)
(GA23 Sec. 5.1, Fig. 2).

Decided per normalisation by TOST over paired seeds on the shared small-scale proxy
(tests/claims/ga23/protocols/proxies.py).
"""

from __future__ import annotations

from tests.claims.ga23.protocols import proxies
from tests.claims.ga23.protocols.proxy_stats import ALPHA, MARGIN_POINTS
from verify import Claim, Measurement, device, grid, profile
from verify import seed as run_seed

claim = Claim(
    id="GA23-X8",
    paper="GA23",
    source="Sec. 5.1; Fig. 2; docs/catalogue/GA23.md#ga23-x8",
    statement="Proxy: SimCLR with dimension centring (A) and with standardisation (B) each "
              "match plain SimCLR within 2 points (TOST over paired seeds)",
    provenance="TEXT",
    paper_asserts="SimCLR's normalisation (centring, dimension standardisation) does not "
                  "change its peak performance.",
    tolerance=ALPHA,
    measures="TOST p-value of |mean acc(SimCLR (A) or (B)) - acc(SimCLR)| < margin",
    unit="p-value",
    settings={"alpha": ALPHA, "margin_points": MARGIN_POINTS, **proxies.claim_settings(profile())},
    tags=("trains", "proxy", "downstream", "sweep"),
    notes="The full grid of the paper (secondary) is not reproduced. Large projector, d = 32, "
          "`tau = 0.15`; (A) = torch_impl's 'simclr-centred' (cosines of "
          "centred embeddings), (B) = 'simclr-standardised' (dot products of standardised "
          "ones); one sub-decision per normalisation, its extras reported under it. "
          + proxies.NOTES,
    finding="On the proxy, TOST finds SimCLR with dimension centring (A) (p = "
            "{{decision.simclr-centred.worst_error:.2g}}) and with standardisation (B) (p = "
            "{{decision.simclr-standardised.worst_error:.2g}}) each equivalent to plain SimCLR "
            "within {{setting.margin_points:g}} probe-accuracy points; this says nothing about "
            "absolute accuracy.",
)


@claim.numeric(grid=grid(variant=["simclr-centred", "simclr-standardised"]))
def _(variant: str):
    result = proxies.decide(proxies.Config(variant), proxies.Config("simclr"),
                            profile=profile(), run_seed=run_seed(), device=device())
    return Measurement(error=result.p_equivalent, parts={variant: result.p_equivalent},
                       extra=result.as_extra())
