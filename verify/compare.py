"""Do two audit reports agree? The reproducibility check between machines and entry points.

Two runs of the same code and seed must give the same verdicts, trials and counterexamples on
any CPU and through any entry point; their worst errors may differ at rounding level, but never
by more than the margin the report states (a move that large could flip a verdict elsewhere).
``python -m verify.compare A/claims.json B/claims.json`` prints the differences (exit 1 if any).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

__all__ = ["Difference", "compare_reports", "error_ratio", "main"]


@dataclasses.dataclass(frozen=True)
class Difference:
    """One way in which report B disagrees with report A for one claim."""

    claim: str
    field: str
    a: Any
    b: Any

    def __str__(self) -> str:
        return f"{self.claim}: {self.field}: {self.a!r} != {self.b!r}"


def _number(value: Any) -> float | None:
    # claims.json writes non-finite floats as the strings 'inf' / 'nan'.
    return None if value is None else float(value)


def error_ratio(a: float, b: float) -> float:
    """max(a / b, b / a) for non-negative errors: 1 when equal (both 0 included), inf when one
    of them is 0 and the other is not."""
    if a == b:
        return 1.0
    if min(a, b) == 0.0:
        return math.inf
    return max(a / b, b / a)


def _margin(claim: dict[str, Any]) -> float | None:
    """The claim's stated margin; older reports without it: from worst error and tolerance."""
    if "margin" in claim:
        return _number(claim["margin"])
    numeric = claim.get("numeric") or {}
    error, tolerance = _number(numeric.get("worst_error")), _number(claim.get("tolerance"))
    if error is None or tolerance is None or tolerance == 0.0:
        return None
    if error <= tolerance:
        return math.inf if error == 0.0 else tolerance / error
    return error / tolerance


def _claim_differences(cid: str, a: dict[str, Any], b: dict[str, Any]) -> list[Difference]:
    found = []

    def same(field: str, x: Any, y: Any) -> None:
        if x != y:
            found.append(Difference(cid, field, x, y))

    same("verdict", a["verdict"], b["verdict"])
    for kind in ("symbolic", "numeric"):
        x, y = a.get(kind) or {}, b.get(kind) or {}
        same(f"{kind}.verdict", x.get("verdict"), y.get("verdict"))
        same(f"{kind}.counterexample", x.get("counterexample"), y.get("counterexample"))
    x, y = a.get("numeric") or {}, b.get("numeric") or {}
    same("numeric.trials", x.get("trials"), y.get("trials"))
    ex, ey = _number(x.get("worst_error")), _number(y.get("worst_error"))
    if (ex is None) != (ey is None):
        found.append(Difference(cid, "numeric.worst_error", ex, ey))
    elif ex is not None and ey is not None:
        margins = [m for m in (_margin(a), _margin(b)) if m is not None]
        # Without a stated margin (exact criteria reporting none) only equality is safe.
        allowed = min(margins) if margins else 1.0
        if math.isnan(ex) or math.isnan(ey) or error_ratio(ex, ey) > allowed:
            found.append(Difference(cid, f"numeric.worst_error (allowed ratio {allowed:.3g})",
                                    ex, ey))
    return found


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> list[Difference]:
    """Every difference between two claims.json documents that reproducibility forbids.

    Parameters
    ----------
    a, b : dict
        Loaded ``claims.json`` documents of two runs with the same seed and profile.

    Returns
    -------
    list of Difference
        Empty when the runs agree: same claims, verdicts (per check and combined), trial
        counts and counterexamples, and worst errors whose ratio ``max(a/b, b/a)`` stays
        within the smaller of the two stated margins.

    Raises
    ------
    ValueError
        When ``a`` and ``b`` were run with different seeds or profiles (not comparable).
    """
    for key in ("seed", "profile"):
        if a["run"][key] != b["run"][key]:
            raise ValueError(f"reports differ in run.{key} ({a['run'][key]!r} vs "
                             f"{b['run'][key]!r}): only runs of one seed and profile compare")
    claims_a = {c["id"]: c for c in a["claims"]}
    claims_b = {c["id"]: c for c in b["claims"]}
    found = [Difference(cid, "present", cid in claims_a, cid in claims_b)
             for cid in sorted(set(claims_a) ^ set(claims_b))]
    for cid in sorted(set(claims_a) & set(claims_b)):
        found += _claim_differences(cid, claims_a[cid], claims_b[cid])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m verify.compare",
        description="Compare two claims.json reports of the same seed and profile.")
    parser.add_argument("a", type=Path, help="claims.json of the first run")
    parser.add_argument("b", type=Path, help="claims.json of the second run")
    args = parser.parse_args(argv)
    try:
        docs = [json.loads(p.read_text()) for p in (args.a, args.b)]
        differences = compare_reports(*docs)
    except (OSError, ValueError, KeyError) as exc:
        print(f"compare: error: {exc}", file=sys.stderr)
        return 2
    for difference in differences:
        print(difference)
    common = len({c["id"] for c in docs[0]["claims"]} & {c["id"] for c in docs[1]["claims"]})
    print(f"{common} claims in both; {len(differences)} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
