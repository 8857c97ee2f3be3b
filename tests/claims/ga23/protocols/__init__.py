"""GA23's claim protocols: the paper-specific pieces the GA23 claim modules share.

One module per family, named after its derivations in :mod:`derivations.ga23`. Each function
takes what decides its result (profile, seed, device) as arguments and returns plain values or
frozen dataclasses; each module is unit-tested in ``tests/protocols/ga23/test_<module>.py``.
General pieces (losses, criteria, fits, metrics) live in :mod:`torch_impl`; no module reads the
run's profile, seed or device itself.

Modules
-------
- :mod:`.duality` (GA23-D2, T1, C0*, L1*, C1*, E1*): random K families (``random_matrix``:
  Gaussian, Cauchy, low-rank, integer), normalisations (``normalise_columns``,
  ``normalise_rows``, ``doubly_normalise`` by alternating scaling to ``SCALING_TOL``), the
  quantities of Thm. 3.3 (``duality_terms``), Lemma 3.4's equality-case matrices
  (``constant_matrix``, ``one_row_matrix``, ``interval_position``), minimisation over the
  doubly normalised set (``minimise_doubly_normalised``) and free branches trained with each
  method's loss (``train_branches``, ``METHODS``).
- :mod:`.sphere` (GA23-P1): cosines of independent uniform unit vectors and of trained
  negatives.
- :mod:`.proxies`, :mod:`.proxy_stats` (GA23-X*): the small-scale proxies of the experiments
  and their paired statistics.
"""
