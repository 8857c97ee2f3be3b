"""Deliberately broken claims, audited end to end: none may fake a verdict (issue 8, item 8).

A broken check (a negative or non-finite error, a non-finite residual, a crash) is ERROR, which
never matches an expected verdict, not even an expected FAILS; a residual sympy cannot decide
is UNDECIDED, which never matches either; a failing symbolic check fails the claim even when
its numeric check holds.
"""

from __future__ import annotations

from tests.verify.helpers import (
    NAN_RESIDUAL_BODY,
    RAISING_BODY,
    SYMBOLIC_FAILS_NUMERIC_HOLDS_BODY,
    UNDECIDED_BODY,
    audit,
    by_id,
    claim_source,
    numeric_body,
)

# id -> (body, expected, claim verdict, numeric verdict or None when not declared)
CASES = {
    "T-NEG": (numeric_body("-1.0"), "HOLDS", "ERROR", "ERROR"),
    "T-NEGINF": (numeric_body("float('-inf')"), "HOLDS", "ERROR", "ERROR"),
    "T-NAN": (numeric_body("float('nan')"), "FAILS", "ERROR", "ERROR"),
    "T-INF": (numeric_body("float('inf')"), "FAILS", "ERROR", "ERROR"),
    "T-CRASH": (RAISING_BODY, "FAILS", "ERROR", "ERROR"),
    "T-SYMNAN": (NAN_RESIDUAL_BODY, "FAILS", "ERROR", None),
    "T-SYMFAILS": (SYMBOLIC_FAILS_NUMERIC_HOLDS_BODY, "HOLDS", "FAILS", "HOLDS"),
    "T-UNDECIDED": (UNDECIDED_BODY, "HOLDS", "UNDECIDED", "HOLDS"),
}


def test_broken_checks_cannot_fake_a_verdict(tmp_path, claims_dir):
    for claim_id, (body, expected, _, _) in CASES.items():
        claims_dir(claim_id.lower().replace("-", "_"),
                   claim_source(claim_id, body, expected=expected))
    code, doc, out = audit(tmp_path)
    assert code == 2, out  # ERROR claims
    claims = by_id(doc)
    for claim_id, (_, _, verdict, numeric) in CASES.items():
        c = claims[claim_id]
        # None matches: ERROR and UNDECIDED never do, and T-SYMFAILS was expected to hold.
        assert (c["verdict"], c["matches_expected"]) == (verdict, False), claim_id
        assert (c["numeric"] or {}).get("verdict") == numeric, claim_id
    # Every numeric ERROR names its trial and how to replay it.
    for claim_id in ("T-NEG", "T-NAN", "T-CRASH"):
        numeric = claims[claim_id]["numeric"]
        assert set(numeric["counterexample"]) == {"n"}, claim_id
        assert numeric["reproduce"][0] == f"ssl-audit --id {claim_id} --profile quick --seed 0"
        assert numeric["reproduce"][1].startswith("python -c \"import verify; ")
    assert "non-finite error nan" in claims["T-NAN"]["numeric"]["message"]
    assert "non-negative float" in claims["T-NEG"]["numeric"]["message"]
    assert claims["T-SYMNAN"]["symbolic"]["message"].startswith(
        "the check is broken: non-finite residual")
    undecided = claims["T-UNDECIDED"]["symbolic"]
    assert (undecided["verdict"], undecided["residual"]) == ("UNDECIDED", "_ZeroValued(a)")
    assert "zero at 3 random points" in undecided["message"]
