"""Declaring claims: validation of every field, and the decorators."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from verify import Claim, ClaimDeclarationError, Measurement
from verify.claim import InvalidMeasurement

FIELDS = {"id": "T-C1", "paper": "T", "source": "Eq. 1", "statement": "s",
          "provenance": "TEXT", "paper_asserts": "p", "tolerance": 1e-9}


def declare(**changes):
    fields = {**FIELDS, **changes}
    return Claim(**{k: v for k, v in fields.items() if v is not ...})


@pytest.mark.parametrize(("changes", "field"), [
    ({"provenance": "PAPER"}, "provenance"),
    ({"tolerance": ...}, "tolerance"),
    ({"tolerance": -1.0}, "tolerance"),
    ({"tolerance": "1e-9"}, "tolerance"),
    ({"statement": "two\nlines"}, "statement"),
    ({"id": "bl22 c1"}, "id"),
    ({"paper": "GA23"}, "paper"),
    ({"expected": "MAYBE"}, "expected"),
    ({"tolerence": 1e-9}, "tolerence"),
    ({"source": ""}, "source"),
])
def test_malformed_declaration_names_module_and_field(changes, field):
    with pytest.raises(ClaimDeclarationError) as info:
        declare(**changes)
    assert info.value.field == field
    assert "test_claim.py" in str(info.value)
    assert repr(field) in str(info.value)


def test_numeric_strategies_must_match_parameters():
    claim = declare()
    with pytest.raises(ClaimDeclarationError, match="numeric.n"):
        claim.numeric(m=st.integers())(lambda n: 0.0)
    with pytest.raises(ClaimDeclarationError, match="numeric.m"):
        declare().numeric(m=3)
    with pytest.raises(ClaimDeclarationError, match="numeric.m"):  # a strategy too many
        declare().numeric(n=st.integers(), m=st.integers())(lambda n: 0.0)


def test_second_check_is_an_error():
    claim = declare()
    claim.symbolic(lambda: None)
    with pytest.raises(ClaimDeclarationError, match="'symbolic'"):
        claim.symbolic(lambda: None)


def test_claim_without_checks_is_incomplete():
    with pytest.raises(ClaimDeclarationError, match="no check attached"):
        declare().validate_complete()


def test_trials_per_profile_and_replay():
    claim = declare(expected="FAILS")

    @claim.numeric(trials={"quick": 2}, x=st.integers())
    def _(x):
        return Measurement(error=x, extra={"twice": 2 * x})

    assert claim.numeric_check.trials == {"quick": 2}
    assert claim.replay(x=3) == Measurement(3.0, {"twice": 6.0})
    assert claim.declaration()["expected"] == "FAILS"


def test_measurement_coerce_rejects_non_numbers():
    with pytest.raises(TypeError, match="Measurement"):
        Measurement.coerce("small")


@pytest.mark.parametrize(("value", "message"), [
    (-1.0, r"error must be a non-negative float, got -1.0"),
    (float("-inf"), r"the check is broken: non-finite error -inf"),
    (float("nan"), r"the check is broken: non-finite error nan"),
    (Measurement(float("inf")), r"the check is broken: non-finite error inf"),
    (Measurement(0.0, margin=float("nan")), r"margin must be a non-negative float"),
    (Measurement(0.0, margin=-1.0), r"margin must be a non-negative float"),
    (Measurement(0.0, margin=float("-inf")), r"margin must be a non-negative float"),
])
def test_measurement_coerce_rejects_invalid_errors_and_margins(value, message):
    with pytest.raises(InvalidMeasurement, match=message):
        Measurement.coerce(value)


def test_measurement_coerce_accepts_zero_and_keeps_a_given_margin():
    assert Measurement.coerce(0) == Measurement(0.0)
    assert Measurement.coerce(Measurement(2, {"r": 1}, margin=1e3)) == Measurement(
        2.0, {"r": 1.0}, margin=1e3)
    assert Measurement.coerce(Measurement(0, margin=float("inf"))).margin == float("inf")


def test_replay_rejects_an_invalid_measurement():
    claim = declare()
    claim.numeric(x=st.integers())(lambda x: -x)
    with pytest.raises(InvalidMeasurement):
        claim.replay(x=2)
