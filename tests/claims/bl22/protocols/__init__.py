"""BL22's claim protocols: the predictions and training protocols the claim modules share.

One module per family, named after its derivations in :mod:`derivations.bl22`. Each function
takes what decides its result (profile, seed, device) as arguments and returns plain values or
frozen dataclasses; each module is unit-tested in ``tests/protocols/bl22/test_<module>.py``.
General pieces (relation families, principal angles, rank reports, losses, fits) live in
:mod:`torch_impl`; only what is specific to a BL22 claim lives here. No module reads the run's
profile, seed or device itself: the claim module calls :func:`verify.profile`,
:func:`verify.seed` and :func:`verify.device` and passes them.

Modules
-------
- :mod:`.settings`: the thresholds that decide verdicts, each defined once (``RANK_RTOL``,
  ``BN_RANK_RTOL``, ``GAP_RTOL``, ``CLUSTER_TOL``, ``GRAD_TOL``); claims declare the ones they
  use in ``Claim(settings=...)``.
- :mod:`.vicreg_closed_form` (BL22-C2*, K3a): VICReg's free-Z optima in closed form on small
  test graphs (``graph``, ``laplacian_spectrum``), the decoupled and hinge regimes
  (``decoupled``, ``coupled``, ``embedding``, ``predicted_rank``), certified training from
  candidate starts (``train``, ``Training``), the error bundles of each regime and the
  codebases' two-branch convention (``train_convention``, ``convention_errors``).
- :mod:`.laplacian` (BL22-C1*): VICReg against Laplacian Eigenmaps: graphs (``knn_graph``,
  ``irregular_relation``), reference spectra (``nontrivial_spectrum``), the centred span of an
  optimum and its containment angles (``centred_range``, ``compare_span``), certified fits
  (``train_vicreg``, ``train_vicreg_convention``), whole trials (``measure_both_problems``,
  ``measure_convention``) and the family's figures.
- :mod:`.linear` (BL22-C3, C4-linear, C6-linear): linear encoders Z = X W: trial data
  (``graph_data`` for any relation, ``views_data``, ``irregular_data``), the
  generalized-eigenvalue pencils each loss solves (``vicreg_pencil``, ``lpp_pencil``,
  ``bt_pencil``, ``spectral_pencil``) and the span at their cut (``cut_span``), VICReg's
  closed-form regime in the pencil's coordinates (``vicreg_regime``, ``vicreg_map``) and
  certified fits (``fit_vicreg``, ``fit_bt``, ``fit_spectral``, ``fit_cosine_infonce``).
- :mod:`.simclr` (BL22-C4*): SimCLR and the global spectral embedding: views-graph specs at
  any size (``views_specs``), the certified free-Z SimCLR optimum (``fit_simclr``), the Gibbs
  bound and its certificate (``gibbs_bound``, ``ghat``, ``cross_entropy``, ``certificate_of``,
  ``pinsker_gap``, ``gibbs_certificate``, ``gap_bound``), the explicit embeddings an optimum is
  compared with and the exact K = 1 minimum.
- :mod:`.barlow_twins` (BL22-C5b-bt*, C6a, C6b, K1*-bt): BarlowTwins' free-Z optima: the audited
  off-diagonal weights (``bt_alphas``), the fit polished to its loss floor (``fit_bt``) and the
  codebases' BatchNorm standardisation (``bn_standardise``).
- :mod:`.rank` (BL22-C5*, C6a/b, K1*): rank and singular-vector protocols over the audited
  losses: sweeps (``cases``, ``k_grid``), cached certified optima (``optimum``), the
  representation each loss sees (``canonical``), rank laws (``rank_sweep``), rotation changes
  (``rotation_sweep``) and a Measurement margin from decades (``margin_factor``).
- :mod:`.downstream` (BL22-K2a, K2a-vicreg, K2-arxiv, K2-neurips): linear probes on SSL optima:
  class graphs with cross-class edges, labels aligned with any G's components up to flips
  (``classes_with_cross_edges``, ``component_labels``), the probe's component formula
  (``component_prediction``, ``probe_training``, free-Z fits
  ``fit_bt_free`` / ``fit_vicreg_free``), and the pre-registered recommendation protocol (data,
  methods, ``accuracies``, the abstracts' inequalities ``ARXIV`` / ``NEURIPS``, ``audit``).
"""
