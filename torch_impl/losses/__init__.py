"""SSL losses of BL22 Sec. 2 (VICReg, SimCLR, BarlowTwins), the spectral contrastive loss, the
GA23 criteria and method losses (two-branch SimCLR / DCL variants, TCR, VICReg-exp / -ctr), and
the reference codebases' conventions. Each BL22 loss matches the paper's PyTorch snippet
(Sec. 2) exactly.

Every loss taking a relation G accepts a tensor (validated on each call) or a
:class:`torch_impl.relations.Relation` (validated once, no O(N^2) work per call); each public
function has ``.unchecked`` (the raw function, for optimiser loops) and ``.constraints``.
"""

from torch_impl.losses.barlow_twins import (
    barlow_twins_correlation,
    barlow_twins_loss,
    barlow_twins_loss_from_relation,
)
from torch_impl.losses.contrastive import (
    DIMENSION_NORMALISATIONS,
    SIMCLR_VARIANTS,
    SIMILARITY_TRANSFORMS,
    normalise_dimensions,
    simclr_two_branch_loss,
    spectral_contrastive_two_branch_loss,
)
from torch_impl.losses.conventions import (
    BARLOW_TWINS_CONVENTIONS,
    VICREG_CONVENTIONS,
    barlow_twins_loss_convention,
    branches_from_views,
    vicreg_convention_hinge_arguments,
    vicreg_convention_hinge_weight,
    vicreg_convention_smooth_part,
    vicreg_loss_convention,
)
from torch_impl.losses.criteria import (
    dimension_contrastive_criterion,
    regularization_criterion,
    sample_contrastive_criterion,
)
from torch_impl.losses.simclr import simclr_loss
from torch_impl.losses.spectral_contrastive import spectral_contrastive_loss
from torch_impl.losses.tcr import total_coding_rate_loss
from torch_impl.losses.vicreg import (
    VICRegTerms,
    vicreg_hinge_arguments,
    vicreg_loss,
    vicreg_smooth_part,
    vicreg_terms,
)
from torch_impl.losses.vicreg_variants import (
    logsumexp_covariance,
    vicreg_ctr_loss,
    vicreg_exp_loss,
)

__all__ = [
    "VICRegTerms",
    "vicreg_terms",
    "vicreg_loss",
    "vicreg_hinge_arguments",
    "vicreg_smooth_part",
    "simclr_loss",
    "barlow_twins_loss",
    "barlow_twins_loss_from_relation",
    "barlow_twins_correlation",
    "spectral_contrastive_loss",
    "sample_contrastive_criterion",
    "dimension_contrastive_criterion",
    "regularization_criterion",
    "VICREG_CONVENTIONS",
    "BARLOW_TWINS_CONVENTIONS",
    "vicreg_loss_convention",
    "barlow_twins_loss_convention",
    "branches_from_views",
    "vicreg_convention_hinge_arguments",
    "vicreg_convention_smooth_part",
    "vicreg_convention_hinge_weight",
    "simclr_two_branch_loss",
    "SIMCLR_VARIANTS",
    "SIMILARITY_TRANSFORMS",
    "DIMENSION_NORMALISATIONS",
    "normalise_dimensions",
    "spectral_contrastive_two_branch_loss",
    "total_coding_rate_loss",
    "logsumexp_covariance",
    "vicreg_exp_loss",
    "vicreg_ctr_loss",
]
