"""The scale profile: only the claims tagged ``scale`` run, numeric checks only, with the full
profile's settings and ``verify.at_scale()`` true."""

from __future__ import annotations

import pytest

from tests.verify.helpers import audit, by_id, claim_source
from verify import profiles

# Records what the claim saw: the settings profile and at_scale().
SEEN = """
from verify import at_scale, profile

@claim.numeric(trials={"quick": 1, "full": 2}, n=st.integers(0, 5))
def _(n):
    return Measurement(0.0, {"full": float(profile() == "full"), "scale": float(at_scale())})
"""


def test_scale_runs_only_the_tagged_claims_numeric_checks(tmp_path, claims_dir):
    claims_dir("scaled", claim_source("T-C1", SEEN, tags=("scale",)))
    claims_dir("other", claim_source("T-C2", SEEN))
    code, doc, out = audit(tmp_path, "--profile", "scale")
    assert code == 0, out
    assert doc["run"]["profile"] == "scale"
    claims = by_id(doc)
    assert list(claims) == ["T-C1"]
    numeric = claims["T-C1"]["numeric"]
    assert numeric["trials"] == 2  # the full profile's count
    assert numeric["measurements"]["full"] == {"min": 1.0, "max": 1.0}
    assert numeric["measurements"]["scale"] == {"min": 1.0, "max": 1.0}


def test_the_scale_tag_needs_a_numeric_check(tmp_path, claims_dir):
    source = claim_source("T-C3", "\n@claim.symbolic(scope=\"claim\")\ndef _():\n    return []\n",
                          tags=("scale",))
    claims_dir("symbolic", source)
    code, doc, out = audit(tmp_path, "--profile", "scale")
    assert code == 2, out
    assert "'scale' requires a numeric check" in out


@pytest.mark.parametrize(("name", "settings", "scaled"),
                         [("quick", "quick", False), ("full", "full", False),
                          ("scale", "full", True)])
def test_profile_names(monkeypatch, name, settings, scaled):
    monkeypatch.setenv(profiles.ENV_PROFILE, name)
    assert (profiles.run_profile(), profiles.profile(), profiles.at_scale()) == \
        (name, settings, scaled)
