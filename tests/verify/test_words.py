"""Direction words, typed numbers and placeholders (verify.words)."""

from __future__ import annotations

import pytest

from verify.words import (
    NOT_MEASURED,
    direction_words,
    placeholder_problems,
    placeholders,
    render,
    typed_numbers,
)


@pytest.mark.parametrize(("text", "words"), [
    ("holds only on regular graphs", ["only"]),
    ("Every graph; iff K >= 2; if and only if; can't; cannot; never",
     ["every", "iff", "if and only if", "can't", "cannot", "never"]),
    ("needs clique components, requires K >= 2", ["needs", "requires"]),
    ("holds exactly when beta >= beta*", ["exactly when"]),
    ("exactly the Dirichlet energy; anyone; nevertheless; onlyness", []),
    ("quoted `only` and {{max.only}} are not typed words", []),
])
def test_direction_words(text, words):
    assert direction_words(text) == words


@pytest.mark.parametrize(("text", "numbers"), [
    ("up to 64% lower, 5.8 % or 0.0575, tolerance 1e-6, 2.4e4", ["64%", "5.8 %", "0.0575",
                                                                "1e-6", "2.4e4"]),
    ("Lemma 3.4, Cor. 3.4.1, Sec. 2.2, Prop. 3.2, Eq. 10, arXiv 2205.11508 v3", []),
    ("C_6 with K = 4 and N' - 1 = 2 components, torch 2.13.0", []),
    ("`alpha = 0.5` and {{max.gap:.1%}} are quoted", []),
])
def test_typed_numbers(text, numbers):
    assert typed_numbers(text) == numbers


def test_placeholder_problems_name_what_is_wrong():
    assert placeholders("a {{max.gap:.1%}} b {{ trials }}") == [("max.gap", ".1%"),
                                                                  ("trials", "")]
    assert placeholder_problems("{{max.gap:.1%}} {{setting.alpha}} {{decision.tost.verdict}} "
                                "{{drawn.spec.n.max}}", {"alpha": 1.0}) == []
    assert placeholder_problems("{{drawn.k}}", {}) != []  # min or max, not the whole range
    problems = placeholder_problems("{{gap}} {{setting.beta}} {{min.x:zz}} }}", {"alpha": 1})
    assert len(problems) == 4
    assert "unknown placeholder path 'gap'" in problems[0]
    assert "no setting 'beta'" in problems[1]
    assert "bad format spec 'zz'" in problems[2]
    assert "braces" in problems[3]


def test_render_from_a_claim_record():
    record = {"tolerance": 0.05, "settings": {"alpha": 0.05},
              "numeric": {"worst_error": 0.129, "trials": 2, "margin": 2.58,
                          "measurements": {"gap": {"min": 0.01, "max": 0.0575}},
                          "counterexample": {"test": "matches"},
                          "drawn": {"spec.n": {"min": 3, "max": 12}},
                          "decisions": {"matches": {"verdict": "FAILS", "worst_error": 0.129,
                                                    "measurements": {"mean_diff": {
                                                        "min": 1.58, "max": 1.58}}}}}}
    text = ("gap {{max.gap:.1%}}, p {{decision.matches.worst_error:.3f}} "
            "({{decision.matches.verdict}}, mean {{decision.matches.max.mean_diff:.2f}}) at "
            "{{counterexample.test}} over {{trials}} trials, level {{setting.alpha}}, N' up to "
            "{{drawn.spec.n.max}}; {{min.absent}} {{drawn.k.max}}")
    assert render(text, record) == ("gap 5.8%, p 0.129 (FAILS, mean 1.58) at matches over 2 "
                                    f"trials, level 0.05, N' up to 12; {NOT_MEASURED} "
                                    f"{NOT_MEASURED}")
    assert render("{{worst_error}}", {"numeric": None}) == NOT_MEASURED
