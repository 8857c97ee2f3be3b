"""Numeric core of ssl-spectral-audit: relations G, SSL losses, spectral methods, fitting, metrics.

Float64 by default, any device. Submodules: ``validation`` (one validation path: constraints
declared per function with ``validate_params``), ``device``, ``relations`` (``Relation``: a G
validated once, for optimiser loops), ``losses``, ``spectral``, ``metrics``, ``fit``.
Every public function exposes ``.constraints`` and ``.unchecked`` (the raw function).
"""
