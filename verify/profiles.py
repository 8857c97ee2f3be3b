"""Audit profiles, and the run settings (profile, seed, device) that claim code can read.

The run settings travel in environment variables so that they reach claim modules at import
time, pytest-xdist workers and subprocesses alike; the plugin sets them from its options.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Iterator

import hypothesis
from hypothesis import HealthCheck, settings

__all__ = [
    "PROFILES",
    "PROFILE_TRIALS",
    "ENV_PROFILE",
    "ENV_SEED",
    "ENV_DEVICE",
    "ENV_THREADS",
    "apply_threads",
    "profile",
    "run_profile",
    "at_scale",
    "seed",
    "device_name",
    "device",
    "check_seed",
    "hypothesis_settings",
    "isolated_draws",
]

ENV_PROFILE = "SSL_AUDIT_PROFILE"
ENV_SEED = "SSL_AUDIT_SEED"
ENV_DEVICE = "SSL_AUDIT_DEVICE"
ENV_THREADS = "SSL_AUDIT_THREADS"

PROFILES = ("quick", "full", "scale")
"""``quick``: what CI runs (few trials, small sizes). ``full``: the audit. ``scale``: the
claims tagged ``scale`` only, at the sizes researchers train with (N >= 1024), on the chosen
device; every other setting as in ``full`` (see :func:`at_scale`)."""

PROFILE_TRIALS = {"quick": 10, "full": 100, "scale": 100}
"""Default number of hypothesis examples per numeric check (a claim may override it)."""

DEFAULT_PROFILE = "quick"
DEFAULT_SEED = 0

for _name in PROFILES:
    settings.register_profile(
        _name,
        max_examples=PROFILE_TRIALS[_name],
        # Trials may train a model: wall-clock deadlines only make such checks flaky.
        deadline=None,
        # A report must be reproducible: no example database replaying old failures, and
        # generation driven by a seed (each claim sets one explicitly, see check_seed).
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=False,
        # After a first failure hypothesis otherwise keeps drawing for "more bugs" until 10 s of
        # wall clock have passed: trials that train make the draws (and the shrunk
        # counterexample) depend on the machine's speed. One failure is enough for a verdict.
        report_multiple_bugs=False,
    )


def run_profile() -> str:
    """The profile the run was started with: ``'quick'``, ``'full'`` or ``'scale'``."""
    name = os.environ.get(ENV_PROFILE, DEFAULT_PROFILE)
    if name not in PROFILES:
        raise ValueError(f"{ENV_PROFILE}={name!r}: expected one of {', '.join(PROFILES)}")
    return name


def profile() -> str:
    """The settings profile, ``'quick'`` or ``'full'``: claims choose their sizes by it.

    The scale profile runs with the full profile's settings (``'full'`` here), so that claim
    modules read one of two names; the claims it selects ask :func:`at_scale` for their sizes.

    Examples
    --------
    >>> n_max = 12 if profile() == "quick" else 200  # doctest: +SKIP
    """
    name = run_profile()
    return "full" if name == "scale" else name


def at_scale() -> bool:
    """True in the scale profile: a claim tagged ``scale`` draws N from 1024 up (see
    ``tests/claims/graphs.py``) and the claims without the tag are deselected."""
    return run_profile() == "scale"


def seed() -> int:
    """The run seed (``--seed``); every claim's generation is derived from it."""
    text = os.environ.get(ENV_SEED, str(DEFAULT_SEED))
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{ENV_SEED}={text!r}: expected an integer") from None


def device_name() -> str:
    """The requested device as given (``'auto'``, ``'cpu'``, ``'cuda'``, ``'cuda:1'``...)."""
    return os.environ.get(ENV_DEVICE, "auto")


def device():
    """The torch device claims should compute on (``--device``; ``auto`` = CUDA when present).

    Returns
    -------
    torch.device
    """
    # Imported here: the engine itself never needs torch, only claims that ask for a device.
    from torch_impl.device import resolve_device

    return resolve_device(device_name())


def apply_threads() -> None:
    """Set torch's intra-op threads from ``$SSL_AUDIT_THREADS`` (``--threads``), if given.

    Claim problems are small (N, K in the tens): one thread avoids the synchronisation overhead
    that dominates such kernels, and ``--workers`` is the way to use more cores.
    """
    text = os.environ.get(ENV_THREADS)
    if not text:
        return
    try:
        threads = int(text)
    except ValueError:
        raise ValueError(f"{ENV_THREADS}={text!r}: expected a positive integer") from None
    if threads < 1:
        raise ValueError(f"{ENV_THREADS}={text!r}: expected a positive integer")
    import torch

    torch.set_num_threads(threads)


def check_seed(claim_id: str, run_seed: int | None = None) -> int:
    """The hypothesis seed of one claim's numeric check.

    Derived from the run seed and the claim id (not its position in the run), so a claim's
    trials do not change when other claims are added, removed or deselected.
    """
    run_seed = seed() if run_seed is None else run_seed
    return run_seed * 2**32 + zlib.crc32(claim_id.encode())


def hypothesis_settings(name: str | None = None, trials: int | None = None) -> settings:
    """Hypothesis settings of profile ``name`` (default: the active one), ``trials`` examples."""
    base = settings.get_profile(name or profile())
    return base if trials is None else settings(base, max_examples=trials)


def _constant_pool_internals():
    """Hypothesis's local-constant pool: (providers module, empty-pool factory).

    Raises
    ------
    RuntimeError
        When the internals :func:`isolated_draws` replaces are not where it expects them (a
        hypothesis release moved them): better no audit than draws that silently depend on
        the installation again.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError as exc:
        raise RuntimeError(_MOVED.format(hypothesis.__version__, exc)) from exc
    missing = [name for name in ("_get_local_constants", "CONSTANTS_CACHE")
               if not hasattr(providers, name)]
    if missing or not hasattr(providers.CONSTANTS_CACHE, "cache"):
        raise RuntimeError(_MOVED.format(hypothesis.__version__, f"missing {missing or 'cache'}"))
    return providers, Constants


_MOVED = ("hypothesis {} no longer has the local-constant pool verify.profiles.isolated_draws "
          "disables ({}); adapt isolated_draws to this release, or install the hypothesis "
          "range pyproject.toml pins")


@contextlib.contextmanager
def isolated_draws() -> Iterator[None]:
    """Make hypothesis's draws depend on the seed and the strategies only.

    Hypothesis mixes into its draws, now and then, literal constants it collects from every
    *local* module in ``sys.modules`` (source outside site-packages, tests excluded). Which
    modules are local depends on how the project is installed (a checkout, or site-packages)
    and on what happens to be imported, so the same seed drew different trials from
    ``ssl-audit`` and from ``python -m verify``. Inside this context that pool is empty (its
    built-in constants stay: they do not depend on the installation); the pool's cache is
    cleared on entry and exit so that no constant collected outside leaks in, or out.
    """
    providers, constants = _constant_pool_internals()
    original = providers._get_local_constants
    empty = constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()
