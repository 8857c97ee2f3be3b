"""Replaying one trial of a claim from anywhere, and the commands the report prints for it.

:func:`replay` runs a claim's numeric check once on given parameters (a report's
counterexample) under a chosen profile and seed, whatever the working directory: it finds the
claim's module under the repository's ``tests/claims/`` (or ``claims_dir``), imports it afresh
under those settings (claim modules read :func:`verify.profile` at import time to choose their
sizes), and restores the caller's settings and modules afterwards. :func:`load_claims` imports
every claim module that way, for checks across claims (``holds_where`` ids, notes).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from verify import profiles
from verify.claim import Claim, Measurement

__all__ = ["CLAIMS_DIR", "replay", "find_claim", "load_claims", "reproduce_commands"]

CLAIMS_DIR = Path(__file__).resolve().parents[1] / "tests" / "claims"
"""The repository's claim modules, located from this package's own place in the checkout."""


def reproduce_commands(claim_id: str, params: Mapping[str, Any] | None = None, *,
                       profile: str | None = None, seed: int | None = None) -> list[str]:
    """Shell commands that replay a claim's numeric check, one per entry.

    The first audits this one claim (``ssl-audit --id``, exact match); the second, when the
    trial's ``params`` are known, replays that trial alone through :func:`replay`.

    Parameters
    ----------
    claim_id : str
    params : dict, optional
        The trial's parameters (the counterexample).
    profile, seed : optional
        Default: the active run's.

    Examples
    --------
    >>> for line in reproduce_commands("T-C1", {"n": 2}, profile="full", seed=0):
    ...     print(line)
    ssl-audit --id T-C1 --profile full --seed 0
    python -c "import verify; print(verify.replay('T-C1', {'n': 2}, profile='full', seed=0))"
    """
    profile = profiles.run_profile() if profile is None else profile
    seed = profiles.seed() if seed is None else seed
    commands = [f"ssl-audit --id {claim_id} --profile {profile} --seed {seed}"]
    if params is not None:
        code = (f"import verify; print(verify.replay({claim_id!r}, {dict(params)!r}, "
                f"profile={profile!r}, seed={seed}))")
        # Double quotes read best; a repr holding a shell-special character gets single ones.
        if any(c in code for c in '"$`\\!'):
            commands.append("python -c '" + code.replace("'", "'\"'\"'") + "'")
        else:
            commands.append(f'python -c "{code}"')
    return commands


def replay(claim_id: str, params: Mapping[str, Any] | None = None, *, profile: str = "full",
           seed: int = 0, device: str | None = None,
           claims_dir: str | os.PathLike[str] | None = None) -> Measurement:
    """Run claim ``claim_id``'s numeric check once on ``params``, from any directory.

    Parameters
    ----------
    claim_id : str
        Exactly as declared, e.g. ``"BL22-C2"``.
    params : dict, optional
        The trial's parameters, e.g. a report's counterexample (a dict, not keywords: claims
        have parameters named ``seed``).
    profile : {'quick', 'full', 'scale'}, default='full'
        The profile the report was made with (the audit's default is 'full').
    seed : int, default=0
        The run seed (``--seed``).
    device : str, optional
        ``auto``, ``cpu`` or ``cuda[:i]``; default: the current ``$SSL_AUDIT_DEVICE``.
    claims_dir : path, optional
        Where the claim modules are (default: :data:`CLAIMS_DIR`).

    Returns
    -------
    Measurement
        As the audit measured it; an invalid one raises
        :class:`verify.claim.InvalidMeasurement`.

    Examples
    --------
    >>> import verify
    >>> verify.replay("BL22-C0", {"seed": 0, "n": 2, "k": 1, "kind": "views"})  # doctest: +SKIP
    Measurement(error=0.0, extra={...}, margin=None)
    """
    if profile not in profiles.PROFILES:
        raise ValueError(f"profile: expected one of {', '.join(profiles.PROFILES)}, "
                         f"got {profile!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed: expected an int (the run seed), got {type(seed).__name__}")
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"params: expected a dict of the trial's parameters, got "
                        f"{type(params).__name__}")
    settings = {profiles.ENV_PROFILE: profile, profiles.ENV_SEED: str(seed)}
    if device is not None:
        settings[profiles.ENV_DEVICE] = device
    directory = _claims_directory(claims_dir)
    with _run_settings(settings, directory):
        claim = find_claim(claim_id, directory)
        if claim.numeric_check is None:
            raise ValueError(f"claim_id: {claim_id} has no numeric check")
        return Measurement.coerce(claim.numeric_check.fn(**dict(params or {})))


def find_claim(claim_id: str, claims_dir: str | os.PathLike[str] | None = None) -> Claim:
    """Import the module declaring ``claim_id`` (under the current settings) and return its
    claim. Modules that mention the id literally are tried first; the others only if none
    declares it (an id may be built, not written)."""
    directory = _claims_directory(claims_dir)
    modules = sorted(directory.rglob("test_*.py"))
    literal = (f'"{claim_id}"', f"'{claim_id}'")
    first = [m for m in modules if any(s in m.read_text(encoding="utf-8") for s in literal)]
    for path in first + [m for m in modules if m not in first]:
        for value in vars(_import_fresh(path)).values():
            if isinstance(value, Claim) and value.id == claim_id:
                return value
    raise LookupError(f"claim_id: no claim module under {directory} declares {claim_id!r}")


def load_claims(claims_dir: str | os.PathLike[str] | None = None, *, profile: str = "quick",
                seed: int = 0) -> dict[str, Claim]:
    """Every claim declared under ``claims_dir``, imported afresh under ``profile`` and
    ``seed``; the caller's settings and imports are restored afterwards.

    Returns
    -------
    dict of str to Claim
        Claim id -> claim, in module path order (a module that imports another's claim does
        not declare it: only the declaring module's claims count).

    Raises
    ------
    ValueError
        Two modules declare the same id (the message names both).
    """
    if profile not in profiles.PROFILES:
        raise ValueError(f"profile: expected one of {', '.join(profiles.PROFILES)}, "
                         f"got {profile!r}")
    directory = _claims_directory(claims_dir)
    settings = {profiles.ENV_PROFILE: profile, profiles.ENV_SEED: str(seed)}
    claims: dict[str, Claim] = {}
    with _run_settings(settings, directory):
        # Cleared once, not per module: protocol modules are shared by many claim modules.
        for name in [k for k, m in sys.modules.items() if _is_under(m, directory)]:
            del sys.modules[name]
        for path in sorted(directory.rglob("test_*.py")):
            module = _import(path)
            for value in vars(module).values():
                if not isinstance(value, Claim) or value.module_name != module.__name__:
                    continue
                other = claims.setdefault(value.id, value)
                if other is not value:
                    raise ValueError(f"{value.id!r} is declared in {other.module_path} and "
                                     f"in {value.module_path}")
    return claims


def _claims_directory(claims_dir: str | os.PathLike[str] | None) -> Path:
    directory = Path(CLAIMS_DIR if claims_dir is None else claims_dir).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(
            f"claims_dir: {directory} is not a directory; pass claims_dir= the checkout's "
            "tests/claims (an installed package does not carry the claim modules)")
    return directory


def _package_root(path: Path) -> tuple[Path, str]:
    """(directory to put on sys.path, dotted module name) of ``path``, as pytest's default
    'prepend' import mode finds them: up through the directories holding ``__init__.py``."""
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").exists():
        parts.append(root.name)
        root = root.parent
    return root, ".".join(reversed(parts))


def _import(path: Path) -> Any:
    """Import ``path`` under the name pytest gives it (its package root on ``sys.path``)."""
    root, name = _package_root(path)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(name)


def _import_fresh(path: Path) -> Any:
    """Import ``path`` anew, with its package's modules that live beside it (protocol modules
    read the settings at import time too)."""
    _, name = _package_root(path)
    package = name.rsplit(".", 1)[0] if "." in name else name
    for loaded in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[loaded]
    importlib.invalidate_caches()
    return _import(path)


def _is_under(module: Any, directory: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().is_relative_to(directory)


@contextlib.contextmanager
def _run_settings(settings: Mapping[str, str], directory: Path) -> Iterator[None]:
    """Set the run settings; on exit restore them, ``sys.path``, and the caller's own imports
    of the modules under ``directory`` (other new imports, e.g. torch, stay loaded)."""
    saved_env = {k: os.environ.get(k) for k in settings}
    saved_modules = {k: m for k, m in sys.modules.items() if _is_under(m, directory)}
    saved_path = list(sys.path)
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for name in [k for k, m in sys.modules.items() if _is_under(m, directory)]:
            del sys.modules[name]
        sys.modules.update(saved_modules)
        sys.path[:] = saved_path
