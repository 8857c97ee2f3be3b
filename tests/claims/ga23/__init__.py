"""GA23 (Garrido et al. ICLR 2023) claim modules."""
