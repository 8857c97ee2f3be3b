"""GA23-E1 (Eqs. 8-10) with every constant and the centring explicit (our statement).

VICReg's covariance term of the official code on a batch-first branch Z (N, M), K = Z^T (M, N):

    c(Z) = (1/M) sum_{j != j'} Cov_jj'^2,  Cov = (K H)(K H)^T / (N - 1),  H = I_N - 1 1^T / N
         = L_nc(K H) / (M (N-1)^2) = (L_c + L_reg)(K H) / (M (N-1)^2)

so the matrix that is centred is K H: each row of K (one dimension) centred over the batch, in
L_c and L_reg alike. Eq. 8's c(K^T) (the same term with samples and dimensions swapped, i.e. the
code applied to K (M, N) as if its M rows were samples) centres each embedding across its
dimensions: c(K^T) = L_c(H_M K) / (N (M-1)^2).
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivations.base import lambdify_torch
from derivations.ga23 import duality as sym
from tests.claims.ga23.protocols import duality
from torch_impl.losses import regularization_criterion, vicreg_loss_convention
from verify import Claim, Measurement, device, profile

claim = Claim(
    id="GA23-E1",
    paper="GA23",
    source="Sec. 3, Eqs. 8-10",
    statement="Official VICReg's covariance term c(Z) = (L_c + L_reg)(K H) / (M (N-1)^2), "
              "K = Z^T, H = I_N - 1 1^T / N (rows of K centred); and c applied to K (Eq. 8's "
              "c(K^T)) = L_c(H_M K) / (N (M-1)^2)",
    provenance="DERIVED",
    paper_asserts="VICReg's covariance criterion is L_nc of the centred embeddings, c(K^T) = "
                  "L_c(K) (Eq. 8), and VICReg is L_c + L_reg plus variance and invariance "
                  "terms: a sample-contrastive method in disguise (Eq. 10).",
    tolerance=1e-12,
    measures="max of |M (N-1)^2 c - (L_c + L_reg)(K H)| / (L_c + col4 + row4)(K H) and "
             "|N (M-1)^2 c(K^T) - L_c(H_M K)| / L_c(H_M K) at random branches (N, M)",
    unit="relative",
    notes="c: torch_impl.losses.vicreg_loss_convention(z, z, convention='official', "
          "sim_coeff=0, std_coeff=0, cov_coeff=1) / 2 (the two identical branches each "
          "contribute c). Predictions: torch_impl's L_c and L_reg (GA23 Eq. 9) of K H, scaled "
          "by the lambdified 1 / (M (N-1)^2); the mirror with L_c(H_M K) / (N (M-1)^2). "
          "Constants of Eq. 10: VICReg's nu multiplies c = (L_c + L_reg)(K H) / (M (N-1)^2), "
          "so nu_Eq10 = nu / (M (N-1)^2); the invariance term of Eq. 10 is a sum over samples "
          "where the code takes a mean over the N M entries (lambda_Eq10 = lambda / (N M)); "
          "the variance term v is unchanged. Symbolic: both identities expanded at explicit "
          "sizes (2 x 2, 2 x 3, 3 x 2), and T1 for symbolic sizes (which turns L_nc(K H) into "
          "(L_c + L_reg)(K H) at every size). Shapes N, M in 2..32, Gaussian, Cauchy or "
          "low-rank branches.",
    finding="VICReg's official covariance term equals (L_c + L_reg) of the batch-centred K "
            "divided by M (N-1)^2, and the same term applied to K equals L_c(H_M K) / "
            "(N (M-1)^2) (symbolic at 2 x 2, 2 x 3, 3 x 2; numeric at N, M from 2 to 32): "
            "Eq. 10's covariance part holds with K centred over the batch and that constant "
            "absorbed.",
)


@claim.symbolic(scope="claim")
def _():
    return ([sym.duality_general()]
            + [d for m, n in ((2, 2), (2, 3), (3, 2))
               for d in sym.vicreg_covariance_explicit(m, n)])


_scale = lambdify_torch(sym.VICREG_SCALE, [sym.M, sym.N])
_scale_transposed = lambdify_torch(sym.VICREG_TRANSPOSED_SCALE, [sym.M, sym.N])
_MAX = 8 if profile() == "quick" else 32
_TINY = 1e-300


def _covariance_term(z):
    """Official VICReg's c of one batch-first branch z (rows = samples)."""
    return float(vicreg_loss_convention(z, z, convention="official", sim_coeff=0.0,
                                        std_coeff=0.0, cov_coeff=1.0)) / 2


@claim.numeric(seed=st.integers(0, 2**16), n=st.integers(2, _MAX), m=st.integers(2, _MAX),
               family=st.sampled_from(["gaussian", "heavy_tailed", "low_rank"]))
def _(seed: int, n: int, m: int, family: str):
    Z = duality.random_matrix(family, n, m, seed, device=device())  # batch-first branch (N, M)
    K = Z.T
    rows_centred = K - K.mean(dim=1, keepdim=True)  # K H
    cols_centred = K - K.mean(dim=0, keepdim=True)  # H_M K
    # Each identity is compared at the scale of the non-negative terms it sums (L_c, col4,
    # row4): L_c + col4 - row4 can cancel, and round-off is relative to the terms, not to c.
    terms = duality.duality_terms(rows_centred)
    l_reg = float(regularization_criterion(rows_centred))
    scale = duality.closed_form(_scale, m, n)
    errors = (abs(_covariance_term(Z) * scale - (terms.l_c + l_reg))
              / max(terms.l_c + terms.col4 + terms.row4, _TINY),
              duality.relative_difference(
                  _covariance_term(K) * duality.closed_form(_scale_transposed, m, n),
                  duality.duality_terms(cols_centred).l_c))
    return Measurement(error=max(errors), parts={"covariance": errors[0], "transposed": errors[1]},
                       extra={"c": _covariance_term(Z)})
