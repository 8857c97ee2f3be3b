"""Replaying one trial from anywhere, under the profile and seed the report was made with."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.verify.helpers import ROOT, claim_source
from verify import Measurement, profiles, replay
from verify.checks import run_numeric
from verify.replay import find_claim, load_claims, reproduce_commands

# Reads the run settings at import time, as real claim modules choose their sizes.
SETTINGS_BODY = """
from verify import profile, seed
_SCALE = {"quick": 1.0, "full": 2.0}[profile()]
_RUN_SEED = seed()

@claim.numeric(n=st.integers(0, 50))
def _(n):
    return Measurement(error=_SCALE * n, extra={"run_seed": float(_RUN_SEED)})
"""


@pytest.fixture
def settings_claim(claims_dir, monkeypatch):
    monkeypatch.delenv(profiles.ENV_PROFILE, raising=False)
    monkeypatch.setenv(profiles.ENV_SEED, "3")
    claims_dir("settings", claim_source("T-C1", SETTINGS_BODY, expected="FAILS"))
    return claims_dir.dir


def test_replay_uses_the_given_profile_and_seed_and_restores_the_callers(settings_claim):
    assert replay("T-C1", {"n": 3}, profile="quick", claims_dir=settings_claim) == Measurement(
        3.0, {"run_seed": 0.0})
    assert replay("T-C1", {"n": 3}, claims_dir=settings_claim) == Measurement(
        6.0, {"run_seed": 0.0})  # the audit's default profile, full
    assert replay("T-C1", {"n": 3}, seed=7, claims_dir=settings_claim).extra == {
        "run_seed": 7.0}
    assert profiles.ENV_PROFILE not in os.environ
    assert os.environ[profiles.ENV_SEED] == "3"
    assert "test_settings" not in sys.modules
    assert str(settings_claim) not in sys.path


def test_replay_reproduces_the_audits_counterexample(settings_claim, monkeypatch):
    monkeypatch.setenv(profiles.ENV_PROFILE, "full")
    monkeypatch.setenv(profiles.ENV_SEED, "0")
    claim = find_claim("T-C1", settings_claim)
    outcome, trials = run_numeric(claim)
    shrunk = next(t for t in trials if t.params == outcome.counterexample)
    monkeypatch.delenv(profiles.ENV_PROFILE)
    again = replay("T-C1", outcome.counterexample, profile="full", claims_dir=settings_claim)
    assert again.error == shrunk.error > claim.tolerance


def test_replay_finds_an_id_that_is_not_written_literally(claims_dir):
    source = claim_source("T-C8", SETTINGS_BODY).replace("id='T-C8'", "id='T-' + 'C9'")
    claims_dir("built", source)
    claims_dir("other", claim_source("T-C2", SETTINGS_BODY))
    assert replay("T-C9", {"n": 1}, profile="quick", claims_dir=claims_dir.dir).error == 1.0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"claim_id": "T-C1", "profile": "slow"}, ValueError, "profile"),
    ({"claim_id": "T-C1", "seed": "0"}, TypeError, "seed"),
    ({"claim_id": "T-C1", "params": [3]}, TypeError, "params"),
    ({"claim_id": "T-C404"}, LookupError, "claim_id"),
])
def test_replay_names_the_bad_argument(settings_claim, kwargs, error, match):
    with pytest.raises(error, match=match):
        replay(**{"params": {"n": 1}, "claims_dir": settings_claim, **kwargs})


def test_replay_without_claim_modules_says_where_to_point(tmp_path):
    with pytest.raises(FileNotFoundError, match="claims_dir"):
        replay("T-C1", {"n": 1}, claims_dir=tmp_path / "nowhere")


def test_reproduce_commands_one_per_line_with_profile_and_seed():
    audit, python = reproduce_commands("BL22-C2", {"seed": 5, "kind": "knn"},
                                       profile="full", seed=2)
    assert audit == "ssl-audit --id BL22-C2 --profile full --seed 2"
    assert python == ("""python -c "import verify; print(verify.replay('BL22-C2', """
                      """{'seed': 5, 'kind': 'knn'}, profile='full', seed=2))\"""")
    assert reproduce_commands("BL22-C2", profile="quick", seed=0) == [
        "ssl-audit --id BL22-C2 --profile quick --seed 0"]
    # A value the shell would expand inside double quotes is single-quoted instead.
    [_, quoted] = reproduce_commands("T-C1", {"s": 'a"$b'}, profile="quick", seed=0)
    assert quoted.startswith("python -c 'import verify")


def test_printed_replay_command_works_from_another_directory(tmp_path):
    # The report's second command, run as printed, from outside the checkout.
    params = {"seed": 1, "n": 4, "k": 2, "kind": "knn"}
    [_, command] = reproduce_commands("BL22-C0", params, profile="quick", seed=0)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    for var in (profiles.ENV_PROFILE, profiles.ENV_SEED):
        env.pop(var, None)
    proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Measurement(error=")
    assert "'edges': " in proc.stdout


# A grid that reads the profile at import time: its points change with the profile.
GRID_SETTINGS_BODY = """
from verify import profile
_SIZES = [1, 2] if profile() == "quick" else [1, 2, 3]

@claim.numeric(grid={"n": _SIZES, "kind": ["a", "b"]})
def _(n, kind):
    return float(n) if kind == "b" else 0.0
"""


def test_replay_of_a_grid_point(claims_dir, monkeypatch):
    claims_dir("grid", claim_source("T-C1", GRID_SETTINGS_BODY, expected="FAILS"))
    monkeypatch.setenv(profiles.ENV_PROFILE, "full")
    claim = find_claim("T-C1", claims_dir.dir)
    assert len(claim.numeric_check.grid) == 6
    outcome, _ = run_numeric(claim)
    assert outcome.counterexample == {"n": 1, "kind": "b"}
    for point in claim.numeric_check.grid:  # every point replays, point by point
        assert replay("T-C1", point, profile="full", claims_dir=claims_dir.dir) == \
            claim.replay(**point)


def test_load_claims_imports_every_module_under_the_settings(claims_dir):
    claims_dir("grid", claim_source("T-C1", GRID_SETTINGS_BODY, expected="FAILS",
                                    holds_where="T-C2"))
    claims_dir("settings", claim_source("T-C2", SETTINGS_BODY) + "from .test_grid import "
               "claim as imported\n")
    (claims_dir.dir / "__init__.py").write_text("")
    claims = load_claims(claims_dir.dir, profile="quick")
    assert list(claims) == ["T-C1", "T-C2"]  # the imported claim is its own module's
    assert len(claims["T-C1"].numeric_check.grid) == 4
    assert claims["T-C1"].holds_where == "T-C2"
    assert len(load_claims(claims_dir.dir, profile="full")["T-C1"].numeric_check.grid) == 6
    assert not [m for m in sys.modules if m.startswith("claims.")]  # imports restored
    claims_dir("again", claim_source("T-C2", SETTINGS_BODY))
    with pytest.raises(ValueError, match="'T-C2' is declared in .*test_again.py and in "):
        load_claims(claims_dir.dir)
