"""Do two audit reports agree? The reproducibility check between machines and entry points.

Two runs of the same code and seed must give the same verdicts, trials and counterexamples on
any CPU and through any entry point; their worst errors may differ at rounding level, but only
by a small part of their distance to the tolerance (a larger move could flip a verdict on a
third machine).
``python -m verify.compare A/claims.json B/claims.json`` prints the differences (exit 1 if any).

Only fields every schema since 2 records are compared (verdicts, trial counts,
counterexamples, worst errors), so reports of schemas 2 to 6 compare with each other: the
check that migrating declarations to a newer schema's fields (schema 3's measures and tags,
schema 4's symbolic scope, schema 5's families, schema 6's sub-decisions) moved no verdict.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

from verify.verdict import as_float

__all__ = ["Difference", "compare_reports", "errors_agree", "main"]


@dataclasses.dataclass(frozen=True)
class Difference:
    """One way in which report B disagrees with report A for one claim."""

    claim: str
    field: str
    a: Any
    b: Any

    def __str__(self) -> str:
        return f"{self.claim}: {self.field}: {self.a!r} != {self.b!r}"


def errors_agree(a: float, b: float, tolerance: float) -> bool:
    """Whether two runs' worst errors agree: equal, or apart by at most a tenth of their
    distance to the tolerance, ``|a - b| <= |tolerance - max(a, b)| / 10``.

    A move that small cannot flip the verdict; rounding-level moves of an exact result (0
    against 3e-16 under a tolerance of 1e-10) agree, and a counterexample whose error moves by
    O(1) (6.3 against 9.1 with a tolerance of 1e-10) does not.
    """
    if a == b:
        return True
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= abs(tolerance - max(a, b)) / 10


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
    # Sub-decisions (schema 6): compared where both reports record them.
    dx, dy = x.get("decisions") or {}, y.get("decisions") or {}
    if dx and dy:
        for name in sorted(set(dx) | set(dy)):
            same(f"numeric.decisions.{name}.verdict", (dx.get(name) or {}).get("verdict"),
                 (dy.get(name) or {}).get("verdict"))
    ex, ey = as_float(x.get("worst_error")), as_float(y.get("worst_error"))
    if (ex is None) != (ey is None) or (
            ex is not None and not errors_agree(ex, ey, float(a["tolerance"]))):
        found.append(Difference(cid, "numeric.worst_error", ex, ey))
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
        counts and counterexamples, and worst errors that agree (:func:`errors_agree`).

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
    schemas = [d.get("schema") for d in docs]
    if schemas[0] != schemas[1]:
        print(f"(schema {schemas[0]} against schema {schemas[1]}: the fields both record)")
    print(f"{common} claims in both; {len(differences)} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
