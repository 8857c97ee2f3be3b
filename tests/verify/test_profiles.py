"""Run settings, and draws that do not depend on how the project is installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.verify.helpers import ROOT
from verify import profiles

# Draws the seeded trials of a small claim through the engine and prints their parameters.
# argv: [module to import first or ""] [directory to put on sys.path or ""] ["raw" to run
# without verify.profiles.isolated_draws, the control that shows the test can fail].
DRAW = textwrap.dedent("""
    import contextlib, importlib, json, sys
    module, directory, mode = sys.argv[1:4]
    if directory:
        sys.path.insert(0, directory)
    if module:
        importlib.import_module(module)
    from hypothesis import strategies as st
    from verify import Claim, profiles
    from verify.checks import run_numeric
    if mode == "raw":
        profiles.isolated_draws = contextlib.nullcontext
    claim = Claim(id="T-C1", paper="T", source="Eq. 1", statement="s", provenance="DERIVED",
                  paper_asserts="p", tolerance=1.0)
    claim.numeric(n=st.integers(0, 10**6), x=st.floats(-1e6, 1e6))(lambda n, x: 0.0)
    outcome, trials = run_numeric(claim)
    print(json.dumps([t.params for t in trials]))
""")

# A module of distinctive constants, in the ranges drawn above (hypothesis ignores |int| < 100).
CONSTANTS = "TABLE = [" + ", ".join(
    f"{131 * i + 7}, {i + 0.123456789}, -{977 * i + 3}.5" for i in range(1, 60)) + "]\n"


def draw(tmp_path: Path, module: str = "", directory: Path | None = None,
         mode: str = "isolated") -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
           profiles.ENV_PROFILE: "full", profiles.ENV_SEED: "0"}
    proc = subprocess.run(
        [sys.executable, "-c", DRAW, module, str(directory or ""), mode], cwd=tmp_path,
        env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(proc.stdout)


def test_draws_do_not_depend_on_local_modules_or_installation(tmp_path):
    local = tmp_path / "project"
    installed = tmp_path / "venv" / "lib" / "site-packages"
    for directory in (local, installed):
        directory.mkdir(parents=True)
        (directory / "audit_constants.py").write_text(CONSTANTS)
    plain = draw(tmp_path)
    assert len(plain) == profiles.PROFILE_TRIALS["full"]
    assert draw(tmp_path, "audit_constants", local) == plain
    assert draw(tmp_path, "audit_constants", installed) == plain
    # The control: without isolated_draws, the local module's constants change the draws
    # (this is what made `ssl-audit` and `python -m verify` draw different trials).
    raw = draw(tmp_path, mode="raw")
    assert draw(tmp_path, "audit_constants", local, mode="raw") != raw
    assert draw(tmp_path, "audit_constants", installed, mode="raw") == raw


def test_isolated_draws_restores_hypothesis_on_exit():
    from hypothesis.internal.conjecture import providers

    original = providers._get_local_constants
    pools = []

    def crashing_trial():
        pools.append(providers._get_local_constants())
        raise KeyError("a trial crashed")

    with pytest.raises(KeyError), profiles.isolated_draws():
        crashing_trial()
    assert [len(pool.integers) + len(pool.floats) for pool in pools] == [0]
    assert providers._get_local_constants is original


def test_isolated_draws_fails_loudly_when_hypothesis_moves_its_internals(monkeypatch):
    from hypothesis.internal.conjecture import providers

    monkeypatch.delattr(providers, "_get_local_constants")
    with pytest.raises(RuntimeError, match="local-constant pool"), profiles.isolated_draws():
        pass


def test_check_seed_depends_on_run_seed_and_id_only():
    assert profiles.check_seed("T-C1", 0) == profiles.check_seed("T-C1", 0)
    assert profiles.check_seed("T-C1", 0) != profiles.check_seed("T-C2", 0)
    assert profiles.check_seed("T-C1", 1) != profiles.check_seed("T-C1", 0)


@pytest.mark.parametrize(("env", "value", "reader"), [
    (profiles.ENV_PROFILE, "slow", profiles.profile),
    (profiles.ENV_SEED, "zero", profiles.seed),
])
def test_bad_settings_name_their_variable(monkeypatch, env, value, reader):
    monkeypatch.setenv(env, value)
    with pytest.raises(ValueError, match=env):
        reader()
