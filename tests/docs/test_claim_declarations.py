"""The claim modules under ``tests/claims`` against each other and the README: every
``holds_where`` names a collected claim expected to hold, declarations are complete, notes
state no results (the report does), and the README lists the tag vocabulary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verify import TAGS, ClaimDeclarationError
from verify.claim import Claim
from verify.replay import load_claims

ROOT = Path(__file__).resolve().parents[2]

# Results stated in the notes: a label ("Result:", "Results:", "Measured:", "Measured (full
# profile):", "(measured): ...") or a measured number ("measured 0.3", "measured angles <= 4e-8").
_RESULTS = re.compile(r"""
    \b(?:results?|measured)\b (?:\s*\([^)]*\))? \)? \s*:
  | \bmeasured\b (?:\s+[a-z]+)? \s*[:=<>~]*\s*[<>=~]*\s*[-+]?\d
""", re.IGNORECASE | re.VERBOSE)


@pytest.fixture(scope="module")
def claims() -> dict[str, Claim]:
    """Every claim of tests/claims, imported under the quick profile and seed 0."""
    return load_claims(ROOT / "tests" / "claims", profile="quick", seed=0)


def test_every_claim_module_is_collected(claims):
    modules = sorted((ROOT / "tests" / "claims").rglob("test_*.py"))
    assert len(claims) == len(modules), "a claim module declares no claim, or several"


def test_holds_where_names_a_collected_claim_expected_to_hold(claims):
    wrong = [f"{c.id} (module {c.module_path}): holds_where={c.holds_where!r} "
             + ("is not a collected claim" if c.holds_where not in claims
                else f"is expected to {claims[c.holds_where].expected}")
             for c in claims.values() if c.holds_where
             and (c.holds_where not in claims or claims[c.holds_where].expected.value != "HOLDS")]
    assert not wrong, "\n".join(wrong)


def test_every_declaration_is_complete(claims):
    errors = []
    for claim in claims.values():
        try:
            claim.validate_complete()
        except ClaimDeclarationError as exc:
            errors.append(str(exc))
    assert not errors, "\n".join(errors)


def test_notes_state_no_results(claims):
    carrying = [f"{c.id}: {m.group(0)!r}" for c in claims.values()
                for m in [_RESULTS.search(c.notes)] if m]
    assert not carrying, ("notes that state results (the report states them):\n"
                          + "\n".join(carrying))


def test_readme_lists_the_tag_vocabulary():
    readme = (ROOT / "README.md").read_text()
    missing = [tag for tag in TAGS if f"| `{tag}` |" not in readme]
    assert not missing, f"README.md: the tag table lacks {missing} (verify.tags.TAGS)"


def test_directions_name_collected_claims(claims):
    wrong = [f"{c.id} (module {c.module_path}): direction {d!r} names {i!r}, not a collected "
             "claim" for c in claims.values() for d, ids in c.directions.items() for i in ids
             if i not in claims]
    assert not wrong, "\n".join(wrong)
