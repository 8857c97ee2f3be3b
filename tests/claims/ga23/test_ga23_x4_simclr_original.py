"""GA23-X4 (proxy): SimCLR with its original hyper-parameters is below VICReg-ctr with the same
projector (GA23 Sec. 5: 66.33 vs 67.92).

Decided by a one-sided paired t-test over seeds on the shared small-scale proxy
(tests/claims/ga23/protocols/proxies.py).
"""

from __future__ import annotations

from tests.claims.ga23.protocols import proxies
from tests.claims.ga23.protocols.proxy_stats import ALPHA
from verify import Claim, Measurement, device, points, profile
from verify import seed as run_seed

claim = Claim(
    id="GA23-X4",
    paper="GA23",
    source="Sec. 5; docs/catalogue/GA23.md#ga23-x4",
    statement="Proxy: VICReg-ctr beats SimCLR with its original temperature (0.5) at the same "
              "projector (one-sided paired t-test over seeds)",
    provenance="TEXT",
    paper_asserts="SimCLR with its original hyper-parameters and the same projector stays "
                  "below VICReg-ctr: 66.33 vs 67.92.",
    tolerance=ALPHA,
    measures="one-sided paired t-test p-value of mean acc(VICReg-ctr) - acc(SimCLR-orig) > 0",
    unit="p-value",
    settings={"alpha": ALPHA, **proxies.claim_settings(profile())},
    tags=("trains", "proxy", "downstream"),
    expected="FAILS",
    notes="Why it may be the proxy: VICReg-ctr's near-collapse in this proxy (GA23-X3 notes); "
          "SimCLR's 'original hyper-parameters' are reduced here to its temperature. "
          "Large projector, d = 32; 'original hyper-parameters' = `tau = 0.5` (SimCLR's CIFAR "
          "setting), everything else shared; the ImageNet learning-rate schedule has no "
          "analogue here. " + proxies.NOTES,
    finding="Not reproduced on the proxy: the one-sided test does not find VICReg-ctr better "
            "than SimCLR at its original temperature (p = {{worst_error:.2g}}); VICReg-ctr minus "
            "SimCLR is {{max.mean_diff:.3g}} points (CI {{min.ci_low:.3g}} to "
            "{{max.ci_high:.3g}}), the reverse of the paper's ordering (VICReg-ctr's shared "
            "direction: GA23-X3, GA23-X9).",
)


@claim.numeric(grid=points({"better": "vicreg-ctr", "worse": "simclr-original"}))
def _(better: str, worse: str):
    result = proxies.decide(proxies.Config(better), proxies.Config(worse),
                            profile=profile(), run_seed=run_seed(), device=device())
    return Measurement(error=result.p_greater, extra=result.as_extra())
