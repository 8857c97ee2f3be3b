"""Declaring claims: validation of every field, and the decorators."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import strategies as st

from verify import TAGS, Claim, ClaimDeclarationError, Measurement, grid
from verify.claim import InvalidMeasurement

FIELDS = {"id": "T-C1", "paper": "T", "source": "Eq. 1", "statement": "s",
          "provenance": "TEXT", "paper_asserts": "p", "tolerance": 1e-9}


MEASURED = {"measures": "absolute difference of the two sides", "unit": "absolute"}


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
    claim.symbolic(scope="claim")(lambda: None)
    with pytest.raises(ClaimDeclarationError, match="'symbolic'"):
        claim.symbolic(scope="claim")(lambda: None)


def test_symbolic_check_declares_its_scope():
    claim = declare()
    fn = claim.symbolic(scope="lemma", why="G's spectrum; the optimum is measured")(lambda: None)
    assert claim.symbolic_check is fn
    assert (claim.symbolic_scope, claim.symbolic_why) == (
        "lemma", "G's spectrum; the optimum is measured")
    assert claim.declaration()["symbolic_scope"] == "lemma"
    assert declare().symbolic(scope="claim")(fn) is fn


@pytest.mark.parametrize(("kwargs", "field"), [
    ({}, "symbolic.scope"),
    ({"scope": "theorem"}, "symbolic.scope"),
    ({"scope": "lemma"}, "symbolic.why"),  # a lemma says what it proves and what it does not
    ({"scope": "lemma", "why": "  "}, "symbolic.why"),
    ({"scope": "lemma", "why": "two\nlines"}, "symbolic.why"),
    ({"scope": "lemma", "why": "x" * 241}, "symbolic.why"),
    ({"scope": "claim", "why": "a reason"}, "symbolic.why"),
])
def test_symbolic_scope_is_declared_right(kwargs, field):
    with pytest.raises(ClaimDeclarationError) as info:
        declare().symbolic(**kwargs)
    assert info.value.field == field


def test_bare_symbolic_decorator_is_an_error():
    with pytest.raises(ClaimDeclarationError, match="scope='claim'"):
        declare().symbolic(lambda: None)


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


# -- what the error measures, settings, tags, holds_where (schema 3) -------------------------
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"measures": "angle"}, "unit", "declare measures= and unit= together"),
    ({"unit": "rad"}, "measures", "declare measures= and unit= together"),
    ({"measures": "two\nlines", "unit": "rad"}, "measures", "one line"),
    ({"measures": "angle", "unit": "radians between subspaces"}, "unit", "at most 16"),
    ({"measures": "angle", "unit": 1}, "unit", "must be a string"),
    ({"settings": [("rank_rtol", 1e-6)]}, "settings", "dict of name -> value"),
    ({"settings": {"rankRtol": 1e-6}}, "settings.rankRtol", "snake_case"),
    ({"settings": {"rank_rtol": float("nan")}}, "settings.rank_rtol", "finite"),
    ({"settings": {"grad_tol": None}}, "settings.grad_tol", "finite number, a bool"),
    ({"settings": {"loss": "two\nlines"}}, "settings.loss", "one-line string"),
    ({"tags": "trains"}, "tags", "tuple of tags"),
    ({"tags": ("trains", "slow")}, "tags", "unknown tag 'slow'; the vocabulary"),
    ({"tags": ("trains", "trains")}, "tags", "given twice"),
    ({"tags": ("exact",)}, "tags", "'exact' requires tolerance=0"),
    ({"holds_where": "T-C2"}, "holds_where", "expected to HOLD"),
    ({"expected": "FAILS", "holds_where": "not an id"}, "holds_where", "not a claim id"),
    ({"expected": "FAILS", "holds_where": "T-C1"}, "holds_where", "the claim itself"),
    ({"families": ("views",)}, "families_why", "declare families= and families_why="),
    ({"families_why": "two branches"}, "families", "declare families= and families_why="),
    ({"families": "views", "families_why": "w"}, "families", "tuple of family names"),
    ({"families": ("Views",), "families_why": "w"}, "families", "a spec's prefix"),
    ({"families": ("views", "views"), "families_why": "w"}, "families", "given twice"),
    ({"families": (), "families_why": "two\nlines"}, "families_why", "one line"),
])
def test_new_fields_are_validated(changes, field, message):
    with pytest.raises(ClaimDeclarationError, match=message) as info:
        declare(**changes)
    assert info.value.field == field


def test_new_fields_are_recorded_in_the_declaration():
    claim = declare(expected="FAILS", tolerance=0, measures="rank of Z* minus min(K, c)",
                    unit="rank", settings={"rank_rtol": np.float64(1e-6),
                                           "restarts": np.int64(2), "loss": "bt",
                                           "centred": False},
                    tags=("trains", "exact"), holds_where="T-C1b")
    claim.numeric(x=st.integers())(lambda x: 0.0)
    claim.validate_complete()
    decl = claim.declaration()
    assert {k: decl[k] for k in ("measures", "unit", "settings", "tags", "holds_where")} == {
        "measures": "rank of Z* minus min(K, c)", "unit": "rank",
        "settings": {"rank_rtol": 1e-6, "restarts": 2, "loss": "bt", "centred": False},
        "tags": ["trains", "exact"], "holds_where": "T-C1b"}
    assert [type(v) for v in decl["settings"].values()] == [float, int, str, bool]
    assert (decl["families"], decl["families_why"]) == (None, "")
    assert declare(families=(), families_why="no relation").declaration()["families"] == []
    assert claim.settings["rank_rtol"] == 1e-6  # claim code reads back the declared value
    with pytest.raises(TypeError):
        claim.settings["rank_rtol"] = 1.0  # read-only


def test_old_style_declaration_has_empty_new_fields():
    decl = declare().declaration()
    assert (decl["measures"], decl["unit"], decl["settings"], decl["tags"],
            decl["holds_where"]) == ("", "", {}, [], "")


def test_measures_required_with_a_numeric_check():
    claim = declare()
    claim.numeric(x=st.integers())(lambda x: 0.0)
    with pytest.raises(ClaimDeclarationError, match="required with a numeric check") as info:
        claim.validate_complete()
    assert info.value.field == "measures"
    measured = declare(**MEASURED)
    measured.numeric(x=st.integers())(lambda x: 0.0)
    measured.validate_complete()
    symbolic = declare()
    symbolic.symbolic(scope="claim")(lambda: None)
    symbolic.validate_complete()  # no numeric check: nothing to measure


def test_measures_without_a_numeric_check_is_an_error():
    claim = declare(measures="angle", unit="rad")
    claim.symbolic(scope="claim")(lambda: None)
    with pytest.raises(ClaimDeclarationError, match="no numeric check") as info:
        claim.validate_complete()
    assert info.value.field == "measures"


@pytest.mark.parametrize(("tags", "grid", "numeric", "message"), [
    (("sweep",), False, True, "'sweep' requires a numeric check declared with grid="),
    (("sweep",), False, False, "'sweep' requires a numeric check declared with grid="),
    (("symbolic_only",), False, True, "'symbolic_only' requires a claim without"),
])
def test_checked_tags_must_be_true_of_the_claim(tags, grid, numeric, message):
    claim = declare(tags=tags, **(MEASURED if numeric else {}))
    claim.symbolic(scope="claim")(lambda: None)
    if numeric:
        claim.numeric(x=st.integers())(lambda x: 0.0)
    with pytest.raises(ClaimDeclarationError, match=message):
        claim.validate_complete()


def test_checked_tags_that_hold_are_accepted():
    swept = declare(tags=("sweep", "trains"), **MEASURED)
    swept.numeric(grid={"x": [1, 2]})(lambda x: 0.0)
    swept.validate_complete()
    symbolic = declare(tags=("symbolic_only",))
    symbolic.symbolic(scope="claim")(lambda: None)
    symbolic.validate_complete()


def test_every_tag_is_documented_in_one_line():
    assert TAGS
    assert all(re.match(r"^[a-z][a-z_]*$", t) for t in TAGS)
    assert all(m and "\n" not in m for m in TAGS.values())


# -- grids -------------------------------------------------------------------------------
def test_numeric_grid_forms_give_the_same_points():
    product = declare()
    product.numeric(grid={"graph": ["g1", "g2"], "seed": [0, 1]})(lambda graph, seed: 0.0)
    helper = declare()
    helper.numeric(grid=grid(graph=["g1", "g2"], seed=[0, 1]))(lambda graph, seed: 0.0)
    explicit = declare()
    explicit.numeric(grid=[{"graph": "g1", "seed": 0}, {"graph": "g1", "seed": 1},
                           {"graph": "g2", "seed": 0}, {"graph": "g2", "seed": 1}])(
        lambda graph, seed: 0.0)
    grids = [c.numeric_check.grid for c in (product, helper, explicit)]
    assert grids[0] == grids[1] == grids[2]
    assert product.numeric_check.strategies == {}
    assert product.numeric_check.trials is None


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"grid": {"x": [1]}, "trials": 3}, "numeric.trials", "not with a grid"),
    ({"grid": {"x": [1]}, "y": st.integers()}, "numeric.grid", "not both"),
    ({"grid": {"x": [object()]}}, "numeric.grid", "must be a str, int, float or bool"),
    ({"grid": {"x": [float("inf")]}}, "numeric.grid", "must be finite"),
    ({"grid": {"x": [1, 1]}}, "numeric.grid", "declared twice"),
    ({"grid": {"x": []}}, "numeric.grid", "axis 'x': no value"),
    ({"grid": {"x": "abc"}}, "numeric.grid", "list or tuple of values"),
    ({"grid": []}, "numeric.grid", "no point"),
    ({"grid": [{"x": 1}, {"y": 2}]}, "numeric.grid", "differ from the first point's"),
    ({"grid": 3}, "numeric.grid", "expected a dict of axis"),
])
def test_malformed_grid_is_a_declaration_error(kwargs, field, message):
    with pytest.raises(ClaimDeclarationError, match=message) as info:
        declare().numeric(**kwargs)
    assert info.value.field == field


def test_grid_parameters_must_match_the_function():
    with pytest.raises(ClaimDeclarationError, match="the grid's parameters") as info:
        declare().numeric(grid={"x": [1], "y": [2]})(lambda x: 0.0)
    assert info.value.field == "numeric.y"


def test_direction_words_need_declared_directions():
    with pytest.raises(ClaimDeclarationError, match="'only'.*directions=") as info:
        declare(finding="holds only on regular graphs")
    assert info.value.field == "directions"
    claim = declare(finding="holds only on regular graphs",
                    directions={"fails off regular graphs": ("T-C2",),
                                "holds on regular graphs": ("T-C1",)})
    assert claim.directions == {"fails off regular graphs": ("T-C2",),
                                "holds on regular graphs": ("T-C1",)}
    assert claim.declaration()["directions"]["holds on regular graphs"] == ["T-C1"]
    assert declare(finding="holds on the regular graphs drawn").directions == {}


@pytest.mark.parametrize("directions", [
    {"if": ()}, {"if": "T-C1"}, {"if": ("not an id",)}, {"": ("T-C1",)}, {"a\nb": ("T-C1",)},
    {"if": ("T-C1", "T-C1")}, ["T-C1"],
])
def test_malformed_directions(directions):
    with pytest.raises(ClaimDeclarationError) as info:
        declare(directions=directions)
    assert info.value.field.startswith("directions")


def test_typed_numbers_in_a_finding_are_refused():
    with pytest.raises(ClaimDeclarationError, match=r"typed numbers \['64%'\]") as info:
        declare(finding="the decoupled form is up to 64% lower")
    assert info.value.field == "finding"
    declare(finding="the decoupled form is up to {{max.loss_gap:.1%}} lower on C_6 (K = 4), "
                    "Lemma 3.4")


def test_bad_placeholders_are_declaration_errors():
    with pytest.raises(ClaimDeclarationError, match="no setting 'beta'") as info:
        declare(notes="weights {{setting.beta}}", settings={"alpha": 1.0})
    assert info.value.field == "notes"
    with pytest.raises(ClaimDeclarationError, match="unknown placeholder path"):
        declare(finding="gap {{loss_gap}}")


@pytest.mark.parametrize(("parts", "error", "message"), [
    ({"a": 0.1, "b": 0.3}, 0.1, "not the maximum"),
    ({"a": -1.0}, -1.0, "non-negative"),
    ({"a b": 0.1}, 0.1, "name"),
    ({"a": float("nan")}, 0.0, "non-negative"),
])
def test_invalid_parts_are_invalid_measurements(parts, error, message):
    with pytest.raises(InvalidMeasurement, match=message):
        Measurement.coerce(Measurement(error=error, parts=parts))


def test_parts_are_kept_by_coerce():
    measured = Measurement.coerce(Measurement(error=0.3, parts={"a": 0.1, "b": 0.3}))
    assert measured.parts == {"a": 0.1, "b": 0.3}
