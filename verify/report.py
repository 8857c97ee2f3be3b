"""The report: ``claims.json`` (schema 6), ``claims.md`` and ``figures/``, written atomically.

A run writes the report of the claims *it* ran (a selected run writes a report of that subset;
``run.selection`` records the arguments). Everything is first written to a staging directory
``<report dir>/.tmp-<id>/``; only then do ``os.replace`` calls put each file in place, so a run
that is interrupted or killed before the end leaves the previous report untouched.

Figures are never lost by a run that could not redraw them: the figures of claims the run did
not run stay, and a claim that ran but drew nothing because it did not reach a verdict
(ERROR, NOT_CONVERGED, SKIPPED, or its numeric check not selected) keeps its previous figures,
marked ``figures_from_previous_run`` in the document.
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from verify import profiles
from verify.catalogue import coverage
from verify.markdown import (
    lines_of,
    margin_text,
    render_markdown,
    scope_share_text,
    symbolic_text,
)
from verify.verdict import (
    FRAGILE_MARGIN,
    CheckOutcome,
    Verdict,
    as_float,
    combine,
    families_drawn,
    is_fragile,
    jsonable,
    matches_expected,
)
from verify.words import render

__all__ = [
    "SCHEMA",
    "FRAGILE_MARGIN",
    "build_document",
    "build_summary",
    "claim_margin",
    "claim_fragile",
    "git_commit",
    "render_markdown",
    "summary_lines",
    "write_report",
    "discard_staging",
]

SCHEMA = 6
"""6: added per claim ``directions`` (each direction its finding asserts -> the claim ids
establishing it) and per numeric check ``decisions`` (each sub-decision judged on its own) and
``drawn`` (what the trials drew, per parameter); ``finding`` and ``notes`` are rendered (their
placeholders replaced by this run's values, :func:`verify.words.render`), and a numeric check's
``measurements`` leave out the trials that carry a single sub-decision (ranged per decision
instead); ``run.crosscheck`` (written by :mod:`verify.crosscheck`, never by an audit) records
the comparison under a second CPU kernel setting. 5: added per claim ``families`` (the relation
families its condition admits, null when every family is; ``[]`` for a claim drawing no
relation) and ``families_why``, and per summary part ``trained.restricted`` (the holding
trained claims that declare ``families``, with their families and reason). 4: added per
symbolic check ``scope`` (``claim``: it derives the claim itself; ``lemma``: a fact the claim
relies on) and ``why`` (a lemma's one line: what it proves,
why the claim itself is not derived), and per summary part ``symbolic_scope`` (how many
symbolic checks of each scope). 3: added per claim ``measures``, ``unit``, ``settings``,
``tags``, ``holds_where`` (the declaration's) and per numeric check ``sampling``
(``hypothesis`` or ``grid``; a grid's ``seed`` is null). 2: ``reproduce`` is a list of commands
(one per line); added ``margin``, ``fragile``, ``finding``, ``figures_from_previous_run`` per
claim and the top-level ``summary`` (with the catalogue ``coverage`` per paper)."""

_DECIDED = (Verdict.HOLDS.value, Verdict.FAILS.value)


CATALOGUE_DIR = Path("docs") / "catalogue"
"""Where the claim catalogues live, relative to the project root (see :mod:`verify.catalogue`)."""


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


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          timeout=10, check=True).stdout


def git_commit(root: Path, claim_paths: Sequence[Path] = ()) -> str | None:
    """HEAD's hash, with ``-dirty`` when the report may not be reproducible from it.

    Dirty means: a tracked file is modified, or an untracked (and not ignored) file lies under
    one of ``claim_paths`` (a brand-new claim module or protocol module the commit lacks).
    Paths outside the repository are not looked at. ``None`` outside a git checkout.
    """
    try:
        head = _git(root, "rev-parse", "HEAD").strip()
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no").strip()
        top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
        inside = [str(p) for p in (Path(q).resolve() for q in claim_paths)
                  if p == top or top in p.parents]
        if inside and not dirty:
            dirty = _git(top, "ls-files", "--others", "--exclude-standard", "--",
                         *inside).strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def _device() -> str:
    try:
        resolved = str(profiles.device())
    except Exception as exc:  # no torch, or CUDA asked for and absent
        resolved = f"unavailable ({exc})"
    return f"{profiles.device_name()} -> {resolved}"


def _numeric_record(o: CheckOutcome) -> dict[str, Any]:
    return {"verdict": o.verdict.value, "worst_error": o.worst_error, "tolerance": o.tolerance,
            "margin": o.margin, "trials": o.trials, "sampling": o.sampling,
            "counterexample": o.counterexample, "worst_trial": o.worst_trial, "seed": o.seed,
            "reproduce": lines_of(o.reproduce),
            "measurements": o.measurements, "coverage": o.coverage, "drawn": o.drawn,
            "decisions": o.decisions, "message": o.message, "seconds": o.seconds}


def _symbolic_record(o: CheckOutcome, decl: dict[str, Any]) -> dict[str, Any]:
    return {"verdict": o.verdict.value, "scope": decl.get("symbolic_scope"),
            "why": decl.get("symbolic_why", ""), "residual": o.residual, "message": o.message,
            "counterexample": o.counterexample, "reproduce": lines_of(o.reproduce),
            "seconds": o.seconds}


def _decided_by_numeric(verdict: Verdict, numeric: CheckOutcome | None) -> bool:
    # A HOLDS or FAILS that the numeric check reached (not a symbolic FAILS over a numeric
    # HOLDS, not a claim without a verdict).
    return numeric is not None and verdict.value in _DECIDED and numeric.verdict is verdict


def claim_margin(verdict: Verdict, numeric: CheckOutcome | None) -> float | None:
    """The claim's margin: its numeric check's, when that check decided the claim's verdict.

    ``None`` when the verdict was not decided by the numeric check (no numeric check, a
    symbolic FAILS over a numeric HOLDS, or no verdict at all) or when the check's margin is
    unknown.
    """
    return numeric.margin if _decided_by_numeric(verdict, numeric) else None


def claim_fragile(verdict: Verdict, numeric: CheckOutcome | None) -> bool:
    """Whether the claim's verdict was decided by its numeric check with a margin below
    :data:`~verify.verdict.FRAGILE_MARGIN`, or unknown (an exact criterion, tolerance 0,
    whose claim does not state how far its deciding value is from the threshold)."""
    return _decided_by_numeric(verdict, numeric) and is_fragile(numeric.margin)


def _claim_record(decl: dict[str, Any], outcomes: dict[str, CheckOutcome]) -> dict[str, Any]:
    sym, num = outcomes.get("symbolic"), outcomes.get("numeric")
    verdict = combine(*(o.verdict if o else None for o in (sym, num)))
    expected = Verdict(decl["expected"])
    record = {
        **{k: decl[k] for k in ("id", "paper", "source", "statement", "provenance",
                                "paper_asserts", "expected")},
        "finding": decl.get("finding", ""),
        "measures": decl.get("measures", ""),
        "unit": decl.get("unit", ""),
        "settings": decl.get("settings", {}),
        "tags": decl.get("tags", []),
        "holds_where": decl.get("holds_where", ""),
        "families": decl.get("families"),
        "families_why": decl.get("families_why", ""),
        "verdict": verdict.value,
        "matches_expected": matches_expected(verdict, expected),
        "margin": claim_margin(verdict, num),
        "fragile": claim_fragile(verdict, num),
        "symbolic": _symbolic_record(sym, decl) if sym else None,
        "numeric": _numeric_record(num) if num else None,
        "seconds": sum(o.seconds for o in (sym, num) if o),
        "figures": [f"figures/{name}" for name in (num.figures if num else [])],
        "figures_from_previous_run": False,
        "tolerance": decl["tolerance"],
        "notes": decl["notes"],
        "directions": decl.get("directions", {}),
        "module": decl["module"],
    }
    # The words are rendered from this run's record: a measured value in a finding or the
    # notes is the one this report shows, never one typed by hand.
    for name in ("finding", "notes"):
        record[name] = render(record[name], record)
    return record


def _scope_counts(claims: list[dict[str, Any]]) -> dict[str, int]:
    """How many of ``claims`` have a symbolic check (that ran), and of which scope."""
    scopes = [c["symbolic"].get("scope") for c in claims if c["symbolic"]]
    return {"checks": len(scopes), "claim": scopes.count("claim"),
            "lemma": scopes.count("lemma")}


EVIDENCE_TRIALS = 20
"""Trials a trained claim expected to hold runs in the full profile (issue: audit power)."""
EVIDENCE_FAMILIES = 3
"""Graph families those trials cover, where the claim's condition admits that many."""


def _broad(claim: dict[str, Any]) -> bool:
    """Whether a claim's trials draw :data:`EVIDENCE_FAMILIES` families, or every family its
    condition admits (``families``, schema 5) when that is fewer."""
    drawn = families_drawn(claim["numeric"].get("coverage") or {})
    admitted = claim.get("families")
    if admitted is not None and len(admitted) < EVIDENCE_FAMILIES:
        return drawn == set(admitted)
    return len(drawn) >= EVIDENCE_FAMILIES


def _trained_counts(claims: list[dict[str, Any]]) -> dict[str, Any]:
    """Evidence behind the trained claims (tag ``trains``, not ``proxy``) that HOLD: how many
    ran at least :data:`EVIDENCE_TRIALS` trials, how many drew relations from at least
    :data:`EVIDENCE_FAMILIES` families or every family their condition admits (``restricted``:
    those declaring ``families``, with the reason), and the smallest relative tangent Hessian
    eigenvalue recorded by any trained claim."""
    # .get: documents of schema 2 have no tags.
    trained = [c for c in claims if "trains" in c.get("tags", ())
               and "proxy" not in c.get("tags", ()) and c.get("numeric")]
    holding = [c for c in trained if c["verdict"] == "HOLDS"]
    eigs = [c["numeric"]["measurements"]["min_tangent_eig"]["min"] for c in trained
            if "min_tangent_eig" in (c["numeric"].get("measurements") or {})]
    return {"claims": len(trained), "holding": len(holding),
            "enough_trials": sum(c["numeric"]["trials"] >= EVIDENCE_TRIALS for c in holding),
            "enough_families": sum(_broad(c) for c in holding),
            "restricted": {c["id"]: {"families": c["families"], "why": c["families_why"]}
                           for c in holding if c.get("families") is not None},
            "with_min_tangent_eig": len(eigs),
            "smallest_min_tangent_eig": min(eigs, default=None)}


def _counts(claims: list[dict[str, Any]]) -> dict[str, Any]:
    verdicts: dict[str, int] = {}
    for c in claims:
        verdicts[c["verdict"]] = verdicts.get(c["verdict"], 0) + 1
    return {"claims": len(claims), "verdicts": verdicts,
            "matches_expected": sum(c["matches_expected"] is True for c in claims),
            "differ": sum(c["matches_expected"] is False for c in claims),
            "fragile": [c["id"] for c in claims if c["fragile"]],
            "symbolic_scope": _scope_counts(claims),
            "trained": _trained_counts(claims)}


def build_summary(claims: list[dict[str, Any]]) -> dict[str, Any]:
    """The document's ``summary``: verdict counts, matches, fragile ids and symbolic scopes;
    overall and per paper.

    ``matches_expected`` counts claims whose verdict equals their expected one, ``differ``
    those whose verdict differs (skipped claims are in neither). ``symbolic_scope`` counts the
    claims with a symbolic check (``checks``) and how many of those checks derive the claim
    itself (``claim``) or a lemma it relies on (``lemma``).
    """
    papers: dict[str, list[dict[str, Any]]] = {}
    for c in claims:
        papers.setdefault(c["paper"], []).append(c)
    return {**_counts(claims), "papers": {p: _counts(cs) for p, cs in papers.items()}}


def _claim_paths(config, state) -> list[Path]:
    """Where the run's claim modules live: the paths it was given and the modules' folders."""
    given = [Path(config.invocation_params.dir) / a.split("::")[0] for a in config.args]
    modules = [Path(config.invocation_params.dir) / d["module"]
               for d in state.declarations.values()]
    return [*given, *(m.parent for m in modules)]


def build_document(config, state) -> dict[str, Any]:
    """The claims.json document of a finished run (see README, "claims.json schema")."""
    claims = [_claim_record(state.declarations[i], state.outcomes[i])
              for i in sorted(state.outcomes, key=_natural_key)]
    run = {
        "seed": profiles.seed(),
        "profile": profiles.run_profile(),
        "device": _device(),
        "versions": _versions(),
        "git_commit": git_commit(config.rootpath, _claim_paths(config, state)),
        "started": state.started_iso,
        "seconds": round(time.perf_counter() - state.started, 3),
        "selection": config.getoption("claims_command")
        or shlex.join(["pytest", *config.invocation_params.args]),
    }
    summary = build_summary(claims)
    summary["coverage"] = coverage(config.rootpath / CATALOGUE_DIR, [c["id"] for c in claims])
    return jsonable({"schema": SCHEMA, "run": run, "summary": summary,
                     "claims": claims, "collection_errors": state.collection_errors})


def _fmt_error(value: Any) -> str:
    number = as_float(value)
    return "-" if number is None else f"{number:.2e}"


def _counts_text(part: dict[str, Any]) -> str:
    return ", ".join(f"{n} {v}" for v, n in part["verdicts"].items())


def summary_lines(doc: dict[str, Any], report_dir: Path, limit: int = 25) -> list[str]:
    """The one-screen terminal summary: the claims that need attention first, then the counts
    per paper, the fragile claims and where the report is."""
    claims = doc["claims"]
    summary = doc["summary"]
    # On a long audit only the claims that need attention fit on one screen.
    shown = claims if len(claims) <= limit else [
        c for c in claims if c["matches_expected"] is False][:limit]
    rows = [[c["id"], symbolic_text(c["symbolic"]),
             (c["numeric"] or {}).get("verdict", "-"),
             _fmt_error((c["numeric"] or {}).get("worst_error")), margin_text(c),
             c["verdict"], c["expected"],
             {True: "yes", False: "NO", None: "n/a"}[c["matches_expected"]]] for c in shown]
    # disable_numparse: "8.5e+05" stays as written, not re-rendered as 850000.
    lines = tabulate(rows, headers=["claim", "symbolic", "numeric", "worst error", "margin",
                                    "verdict", "expected", "match"],
                     disable_numparse=True).splitlines() if rows else [
        f"every verdict matches its expected one (the table is {report_dir / 'claims.md'})"]
    for c in claims:
        if c["matches_expected"] is not False:
            continue
        commands = [cmd for kind in ("symbolic", "numeric") if c[kind]
                    for cmd in lines_of(c[kind].get("reproduce"))]
        if commands:
            lines += ["", f"reproduce {c['id']}:", *(f"  {cmd}" for cmd in commands)]
    lines.append("")
    if len(summary["papers"]) > 1:
        lines += [f"{paper}: {part['claims']} claims: {_counts_text(part)}; {part['differ']} "
                  f"differ from expected; {len(part['fragile'])} fragile"
                  for paper, part in summary["papers"].items()]
    lines.append(f"{summary['claims']} claims: {_counts_text(summary)}; {summary['differ']} "
                 f"differ from expected; {len(summary['fragile'])} fragile (margin < "
                 f"{FRAGILE_MARGIN:g})" + (f": {', '.join(summary['fragile'])}"
                                            if summary["fragile"] else ""))
    if scope_share_text(summary):
        lines.append("symbolic checks deriving the claim itself (not a lemma): "
                     + "; ".join([f"{p} {scope_share_text(part)}"
                                  for p, part in summary["papers"].items()]
                                 * (len(summary["papers"]) > 1)
                                 + [f"overall {scope_share_text(summary)}"]))
    if doc["collection_errors"]:
        lines.append(f"{len(doc['collection_errors'])} claim module(s) failed to load")
    lines.append(f"report: {report_dir / 'claims.md'}")
    return lines


def discard_staging(staging: Path) -> None:
    """Remove a run's staging directory (nothing to report)."""
    shutil.rmtree(staging, ignore_errors=True)


def _previous_document(report_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((report_dir / "claims.json").read_text())
    except (OSError, ValueError):
        return None  # no previous report, or one that cannot be read: nothing to keep


def _redrawn(claim: dict[str, Any]) -> bool:
    """Whether this run decided the claim's numeric check, and so drew its figures anew."""
    return (claim["numeric"] or {}).get("verdict") in _DECIDED


def _keep_figures(report_dir: Path, new_figures: Path, doc: dict[str, Any]) -> None:
    """Carry the previous report's figures that this run does not replace into
    ``new_figures``: those of claims it did not run, and those of claims it ran without
    redrawing them (recorded with ``figures_from_previous_run``).

    Without a readable previous claims.json, which claim a figure belongs to is unknown (ids
    may contain hyphens, so a file name does not tell), and every previous figure the run did
    not redraw is kept.
    """
    old_dir = report_dir / "figures"
    if not old_dir.is_dir():
        return
    previous = _previous_document(report_dir)
    ran = {c["id"]: c for c in doc["claims"]}
    if previous is None:
        keep = {p.name for p in old_dir.iterdir()}
    else:
        keep = set()
        for old in previous.get("claims", []):
            names = [n for n in (Path(f).name for f in old.get("figures", []))
                     if (old_dir / n).is_file()]
            claim = ran.get(old.get("id"))
            if claim is not None and not _redrawn(claim) and names:
                claim["figures"] = [f"figures/{n}" for n in names]
                claim["figures_from_previous_run"] = True
            if claim is None or not _redrawn(claim):
                keep.update(names)
        # Figures no claim of the previous report lists (written by hand, or by an older
        # version) are not the run's to delete.
        listed = {Path(f).name for c in previous.get("claims", []) for f in c.get("figures", [])}
        keep.update(p.name for p in old_dir.iterdir() if p.name not in listed)
    for name in sorted(keep):
        source, target = old_dir / name, new_figures / name
        if source.is_file() and not target.exists():
            try:
                os.link(source, target)  # instant, and the old directory goes away anyway
            except OSError:
                shutil.copy2(source, target)


def write_report(report_dir: Path, staging: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """Write ``doc`` as claims.json + claims.md and put the figures directory in place.

    The new figures directory (this run's figures plus the previous ones it keeps, see
    :func:`_keep_figures`) is assembled in ``staging``. Each file is written there and then
    renamed over its final path (``os.replace`` is atomic on POSIX), so at any moment every
    report file is either the old or the new one. Returns ``doc``, its claims' figure fields
    updated for the figures kept from the previous run.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    staging.mkdir(parents=True, exist_ok=True)
    new_figures = staging / "figures"
    new_figures.mkdir(exist_ok=True)
    _keep_figures(report_dir, new_figures, doc)
    (staging / "claims.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")
    (staging / "claims.md").write_text(render_markdown(doc))
    figures = report_dir / "figures"
    if figures.exists():
        os.replace(figures, staging / "old-figures")
    os.replace(new_figures, figures)
    for name in ("claims.json", "claims.md"):
        os.replace(staging / name, report_dir / name)
    shutil.rmtree(staging, ignore_errors=True)
    return doc
