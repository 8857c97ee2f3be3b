"""Numeric core of ssl-spectral-audit: relations G, SSL losses, spectral methods, fitting, metrics.

Float64 by default, any device. Submodules: ``validation``, ``device``, ``relations``,
``losses``, ``spectral``, ``metrics``, ``fit``.
"""
