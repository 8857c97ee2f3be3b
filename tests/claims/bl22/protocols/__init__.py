"""BL22's claim protocols: the predictions and training protocols the claim modules share.

One module per family, named after its derivations in :mod:`derivations.bl22`. Each function
takes what decides its result (profile, seed, device) as arguments and returns plain values or
frozen dataclasses; each is unit-tested in ``tests/protocols/bl22/``. General pieces (relation
families, principal angles, rank reports, losses) live in :mod:`torch_impl`; only what is specific
to a BL22 claim lives here.

- :mod:`.settings`: the thresholds that decide verdicts (rank, eigen-gap, certificate).
- :mod:`.runtime`: single-threaded blocks and seeded generators.
"""
