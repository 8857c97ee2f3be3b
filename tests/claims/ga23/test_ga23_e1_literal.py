"""GA23-E1-literal: Eq. 8, c(K^T) = L_c(K), with c VICReg's own covariance term.

The official term applied with samples and dimensions swapped centres each embedding across its
dimensions and divides by N (M-1)^2: c(K^T) = L_c(H_M K) / (N (M-1)^2) (GA23-E1), not L_c(K).
Eq. 8 is exact only for the idealised c = L_nc without centring or constants.
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivations.ga23 import duality as sym
from tests.claims.ga23.protocols import duality
from torch_impl.losses import vicreg_loss_convention
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="GA23-E1-literal",
    paper="GA23",
    source="Sec. 3, Eq. 8",
    statement="c(K^T) = L_c(K) with c VICReg's covariance term (official code: centred, "
              "1/(N-1) covariance, 1/dimension)",
    provenance="TEXT",
    paper_asserts="Applying VICReg's covariance criterion to the transposed embedding matrix "
                  "gives the sample-contrastive criterion L_c.",
    tolerance=1e-12,
    expected="FAILS",
    holds_where="GA23-E1",
    measures="|c(K^T) - L_c(K)| / max(|c(K^T)|, |L_c(K)|) at random K (M, N)",
    unit="relative",
    notes="c(K^T): torch_impl.losses.vicreg_loss_convention(K, K, convention='official', "
          "sim_coeff=0, std_coeff=0, cov_coeff=1) / 2 with K (M, N) passed as M rows "
          "('samples') of N columns, which is the paper's c applied to K^T. It differs from "
          "L_c(K) by the factor 1 / (N (M-1)^2) and by the centring of each embedding across "
          "its dimensions (GA23-E1 states the exact relation). Symbolic: at M = N = 2, c(K^T) "
          "against L_c(K) expanded (nonzero: a witness). Gaussian K, M, N in 2..16.",
    finding="Eq. 8 fails for VICReg's official covariance term (symbolic witness at M = N = 2; "
            "random Gaussian K at the sizes drawn, M {{drawn.m.min}} to {{drawn.m.max}} and N "
            "{{drawn.n.min}} to {{drawn.n.max}}, c(K^T) / L_c(K) from {{min.ratio:.2g}} to "
            "{{max.ratio:.2g}}); with each embedding centred and the factor 1 / (N (M-1)^2) "
            "the relation holds (GA23-E1).",
    directions={"with the centring and the factor 1 / (N (M-1)^2) the relation holds":
                ("GA23-E1",)},
)


@claim.symbolic(scope="claim")
def _():
    return sym.literal_eq8(2, 2)


_MAX = 8 if profile() == "quick" else 16


@claim.numeric(seed=st.integers(0, 2**16), m=st.integers(2, _MAX), n=st.integers(2, _MAX))
def _(seed: int, m: int, n: int):
    K = duality.random_matrix("gaussian", m, n, seed, device=device())
    c = float(vicreg_loss_convention(K, K, convention="official", sim_coeff=0.0,
                                     std_coeff=0.0, cov_coeff=1.0)) / 2
    l_c = duality.duality_terms(K).l_c
    return Measurement(error=duality.relative_difference(c, l_c), extra={"ratio": c / l_c})
