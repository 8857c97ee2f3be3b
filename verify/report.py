"""The report: ``claims.json`` (schema 1), ``claims.md`` and ``figures/``, written atomically.

A run writes the report of the claims *it* ran (a ``-k`` run writes a report of that subset;
``run.selection`` records the arguments). Everything is first written to a staging directory
``<report dir>/.tmp-<id>/``; only then do ``os.replace`` calls put each file in place, so a run
that is interrupted or killed before the end leaves the previous report untouched.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from tabulate import tabulate

from verify import profiles
from verify.verdict import CheckOutcome, Verdict, combine, jsonable, matches_expected

__all__ = [
    "SCHEMA",
    "build_document",
    "render_markdown",
    "summary_lines",
    "write_report",
    "discard_staging",
]

SCHEMA = 1


def _natural_key(claim_id: str) -> list[Any]:
    # BL22-C2 sorts before BL22-C10.
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", claim_id)]


def _versions() -> dict[str, str]:
    import hypothesis
    import numpy
    import sympy
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__,
            "sympy": sympy.__version__, "numpy": numpy.__version__,
            "hypothesis": hypothesis.__version__}


def _git_commit(root: Path) -> str | None:
    """HEAD's hash, with ``-dirty`` when the tree has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty.strip() else "")


def _device() -> str:
    try:
        resolved = str(profiles.device())
    except Exception as exc:  # no torch, or CUDA asked for and absent
        resolved = f"unavailable ({exc})"
    return f"{profiles.device_name()} -> {resolved}"


def _numeric_record(o: CheckOutcome) -> dict[str, Any]:
    return {"verdict": o.verdict.value, "worst_error": o.worst_error, "tolerance": o.tolerance,
            "trials": o.trials, "counterexample": o.counterexample, "seed": o.seed,
            "reproduce": o.reproduce, "measurements": o.measurements, "message": o.message,
            "seconds": o.seconds}


def _symbolic_record(o: CheckOutcome) -> dict[str, Any]:
    return {"verdict": o.verdict.value, "residual": o.residual, "message": o.message,
            "counterexample": o.counterexample, "seconds": o.seconds}


def _claim_record(decl: dict[str, Any], outcomes: dict[str, CheckOutcome]) -> dict[str, Any]:
    sym, num = outcomes.get("symbolic"), outcomes.get("numeric")
    verdict = combine(*(o.verdict if o else None for o in (sym, num)))
    expected = Verdict(decl["expected"])
    return {
        **{k: decl[k] for k in ("id", "paper", "source", "statement", "provenance",
                                "paper_asserts", "expected")},
        "verdict": verdict.value,
        "matches_expected": matches_expected(verdict, expected),
        "symbolic": _symbolic_record(sym) if sym else None,
        "numeric": _numeric_record(num) if num else None,
        "seconds": sum(o.seconds for o in (sym, num) if o),
        "figures": [f"figures/{name}" for name in (num.figures if num else [])],
        "tolerance": decl["tolerance"],
        "notes": decl["notes"],
        "module": decl["module"],
    }


def build_document(config, state) -> dict[str, Any]:
    """The claims.json document of a finished run (see README, "claims.json schema")."""
    claims = [_claim_record(state.declarations[i], state.outcomes[i])
              for i in sorted(state.outcomes, key=_natural_key)]
    run = {
        "seed": profiles.seed(),
        "profile": profiles.profile(),
        "device": _device(),
        "versions": _versions(),
        "git_commit": _git_commit(config.rootpath),
        "started": state.started_iso,
        "seconds": round(time.perf_counter() - state.started, 3),
        "selection": config.getoption("claims_command")
        or shlex.join(["pytest", *config.invocation_params.args]),
    }
    return jsonable({"schema": SCHEMA, "run": run, "claims": claims,
                     "collection_errors": state.collection_errors})


def _fmt_error(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else f"{value:.2e}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _match(value: bool | None) -> str:
    return {True: "yes", False: "**NO**", None: "n/a"}[value]


def render_markdown(doc: dict[str, Any]) -> str:
    """claims.md: the table, one section per failing or erroring claim, figures, metadata."""
    run = doc["run"]
    rows = []
    for c in doc["claims"]:
        num = c["numeric"] or {}
        rows.append([
            c["id"], _cell(c["statement"]), c["provenance"],
            c["symbolic"]["verdict"] if c["symbolic"] else "-",
            num.get("verdict", "-"), _fmt_error(num.get("worst_error")),
            f"{c['tolerance']:.0e}", num.get("trials", "-"), f"{c['seconds']:.2f}",
            c["verdict"], _match(c["matches_expected"]),
        ])
    headers = ["id", "statement", "provenance", "symbolic", "numeric", "worst error",
               "tolerance", "trials", "seconds", "verdict", "matches expected"]
    out = [f"# Claims audit ({run['profile']} profile)", "",
           tabulate(rows, headers=headers, tablefmt="github"), ""]
    for c in doc["claims"]:
        if c["verdict"] == "HOLDS" and c["matches_expected"]:
            continue
        out += [f"## {c['id']}: {c['verdict']} (expected {c['expected']})", "",
                f"*{_cell(c['statement'])}* ({c['source']}; {c['provenance']})", "",
                f"Paper asserts: {c['paper_asserts']}", ""]
        for kind in ("symbolic", "numeric"):
            part = c[kind]
            if part is None or part["verdict"] == "HOLDS":
                continue
            out.append(f"- {kind}: **{part['verdict']}**")
            if part.get("residual") and part["residual"] != "0":
                out.append(f"  - residual: `{part['residual']}`")
            if part.get("counterexample"):
                out.append(f"  - counterexample: `{json.dumps(part['counterexample'])}`")
            if part.get("reproduce"):
                out.append(f"  - reproduce: `{part['reproduce']}`")
            if part.get("message"):
                out += ["", "```", part["message"], "```"]
        if c["notes"]:
            out += ["", f"Notes: {c['notes']}"]
        out.append("")
    figures = [(c["id"], f) for c in doc["claims"] for f in c["figures"]]
    if figures:
        out += ["## Figures", ""] + [f"- {cid}: [{f}]({f})" for cid, f in figures] + [""]
    if doc["collection_errors"]:
        out += ["## Claim modules that failed to load", ""]
        for err in doc["collection_errors"]:
            out += [f"- `{err['module']}`", "", "```", err["message"], "```", ""]
    v = run["versions"]
    out += ["## Run", "",
            f"- seed {run['seed']}, profile {run['profile']}, device {run['device']}",
            f"- git commit {run['git_commit']}, started {run['started']}, "
            f"{run['seconds']:.1f} s",
            "- " + ", ".join(f"{k} {v[k]}" for k in v),
            f"- command: `{run['selection']}`", ""]
    return "\n".join(out)


def summary_lines(doc: dict[str, Any], report_dir: Path, limit: int = 25) -> list[str]:
    """The one-screen terminal summary: mismatches first, then counts and where the report is."""
    claims = doc["claims"]
    # On a long audit only the claims that need attention fit on one screen.
    shown = claims if len(claims) <= limit else [
        c for c in claims if c["matches_expected"] is False][:limit]
    rows = [[c["id"], c["symbolic"]["verdict"] if c["symbolic"] else "-",
             (c["numeric"] or {}).get("verdict", "-"),
             _fmt_error((c["numeric"] or {}).get("worst_error")), c["verdict"],
             c["expected"], _match(c["matches_expected"]).strip("*")] for c in shown]
    lines = tabulate(rows, headers=["claim", "symbolic", "numeric", "worst error", "verdict",
                                    "expected", "match"]).splitlines() if rows else [
        f"every verdict matches its expected one (the table is {report_dir / 'claims.md'})"]
    counts: dict[str, int] = {}
    for c in claims:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    bad = sum(c["matches_expected"] is False for c in claims)
    lines.append("")
    lines.append(f"{len(claims)} claims: " + ", ".join(f"{n} {k}" for k, n in counts.items())
                 + f"; {bad} differ from expected")
    if doc["collection_errors"]:
        lines.append(f"{len(doc['collection_errors'])} claim module(s) failed to load")
    lines.append(f"report: {report_dir / 'claims.md'}")
    return lines


def discard_staging(staging: Path) -> None:
    """Remove a run's staging directory (nothing to report)."""
    shutil.rmtree(staging, ignore_errors=True)


def write_report(report_dir: Path, staging: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` as claims.json + claims.md and move the staged figures in place.

    Each file is written in ``staging`` and then renamed over its final path (``os.replace``
    is atomic on POSIX), so at any moment every report file is either the old or the new one.
    """
    staging.mkdir(parents=True, exist_ok=True)
    (staging / "claims.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")
    (staging / "claims.md").write_text(render_markdown(doc))
    new_figures = staging / "figures"
    new_figures.mkdir(exist_ok=True)
    figures = report_dir / "figures"
    if figures.exists():
        os.replace(figures, staging / "old-figures")
    os.replace(new_figures, figures)
    for name in ("claims.json", "claims.md"):
        os.replace(staging / name, report_dir / name)
    shutil.rmtree(staging, ignore_errors=True)
