"""``claims.md``: the audit report as people read it, rendered from the claims.json document.

Layout: the run in one line; a summary per paper (verdict counts, how many match their
``expected``, fragile claims, the share of symbolic checks deriving the claim itself); the
findings the claims declare; a table (id, verdict, expected, symbolic verdict with its scope,
worst error, tolerance, unit, margin, short statement); one detail section per claim (what its
error measures, the settings that decide it, its tags, where a failing claim holds) with its
figures inline;
modules that failed to load; the run's metadata. Every text comes from the document, which
comes from the claims' own declarations: nothing in the report is written by hand.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from verify.verdict import as_float

__all__ = ["render_markdown", "fmt_margin", "margin_text", "anchor", "short", "lines_of",
           "symbolic_text", "scope_share_text"]

STATEMENT_CHARS = 90
"""Statements longer than this are cut (with an ellipsis) in the main table."""

NOTES_CHARS = 160
"""Notes longer than this are cut at a sentence end in a detail section; claims.json and the
claim module hold them whole."""

MEASUREMENTS_CHARS = 120
"""The measurements line of a detail section lists as many as fit in this many characters and
counts the rest (claims.json holds them all)."""

RESIDUAL_CHARS = 300
"""A residual longer than this is cut in a detail section (claims.json holds it whole)."""


def fmt_margin(value: Any) -> str:
    """A margin as a short factor: ``3.2e+03``, ``inf`` (exact agreement), ``?`` (unknown)."""
    margin = as_float(value)
    if margin is None or math.isnan(margin):
        return "?"
    return "inf" if math.isinf(margin) else f"{margin:.1e}"


def _fmt_number(value: Any) -> str:
    number = as_float(value)
    return "-" if number is None else f"{number:.2e}"


def _fmt_compact(value: float) -> str:
    return f"{value:.3g}"


def anchor(claim_id: str) -> str:
    """The link target GitHub gives the heading ``### <claim_id>``: lower case, only word
    characters and hyphens kept."""
    return "#" + re.sub(r"[^\w\- ]", "", claim_id.lower()).replace(" ", "-")


def _link(claim_id: str) -> str:
    return f"[{claim_id}]({anchor(claim_id)})"


def short(text: str, limit: int = STATEMENT_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cut_notes(text: str) -> str:
    if len(text) <= NOTES_CHARS:
        return text
    # The last sentence end inside the limit, so that the kept part reads as whole sentences;
    # else the last whole word.
    ends = [m.end() for m in re.finditer(r"\.\s", text[:NOTES_CHARS])]
    cut = ends[-1] if ends else text.rfind(" ", 0, NOTES_CHARS)
    return f"{text[: cut if cut > 0 else NOTES_CHARS].rstrip()} … (continued in the module)"


def _prose(text: str) -> str:
    """Declared text as Markdown shows it literally: a ``*`` (as in ``Z*``, ``beta*``) would
    otherwise pair with the next one into emphasis."""
    return text.replace("*", "\\*")


def _cell(text: str) -> str:
    return _prose(text).replace("|", "\\|").replace("\n", " ")


def lines_of(value: Any) -> list[str]:
    """Reproduce commands as a list: ``None`` -> [], one string -> [it], a list as given."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def symbolic_text(part: dict[str, Any] | None) -> str:
    """A symbolic check's verdict as the report shows it: ``HOLDS`` for a check that derives
    the claim itself, ``HOLDS (lemma)`` for one that derives a lemma the claim relies on, ``-``
    without a symbolic check. A schema-3 record (no scope) shows the verdict alone."""
    if part is None:
        return "-"
    return part["verdict"] + (" (lemma)" if part.get("scope") == "lemma" else "")


def scope_share_text(part: dict[str, Any]) -> str:
    """``'23 of 54 (43%)'``: how many of a summary part's symbolic checks derive the claim
    itself (scope ``claim``), of how many symbolic checks; ``'no symbolic check'`` when none
    ran; ``''`` for a schema-3 summary, which does not record scopes."""
    scope = part.get("symbolic_scope")
    if scope is None:
        return ""
    if not scope["checks"]:
        return "no symbolic check"
    share = 100 * scope["claim"] / scope["checks"]
    return f"{scope['claim']} of {scope['checks']} ({share:.0f}%)"


def _differs(claim: dict[str, Any]) -> str:
    return ", **differs**" if claim["matches_expected"] is False else ""


# -- sections ----------------------------------------------------------------------------------
def _run_line(doc: dict[str, Any]) -> str:
    """The run in one line; with the cross-check under other CPU kernels (``run.crosscheck``,
    written by :mod:`verify.crosscheck`) when the report carries one."""
    run = doc["run"]
    minutes, seconds = divmod(round(run["seconds"]), 60)
    took = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"

    def short_commit(commit: str | None) -> str:
        commit = commit or "unknown"
        # the short hash reads better; the Run section has the whole one
        return commit[:12] + commit[40:] if len(commit) >= 40 else commit

    line = (f"Profile **{run['profile']}**, seed {run['seed']}, device `{run['device']}`, "
            f"commit `{short_commit(run['git_commit'])}`: {len(doc['claims'])} claims in "
            f"{took} (started {run['started']}).")
    check = run.get("crosscheck")
    if not check:
        return line
    found = check["differences"]
    count = f"{len(found)} difference{'' if len(found) == 1 else 's'}"
    differing = sorted({d.split(":", 1)[0] for d in found})
    return (line + f" Cross-checked under `{check['kernels']}` on {check['claims']} claims: "
            + (f"**{count}** ({', '.join(differing)})" if found else count)
            + f" (commit `{short_commit(check['git_commit'])}`).")


def _summary(doc: dict[str, Any]) -> list[str]:
    summary = doc["summary"]
    scoped = scope_share_text(summary) != ""  # schema 4 records the symbolic checks' scopes
    out = ["## Summary", "",
           "| paper | claims | HOLDS | FAILS | other | match expected | fragile |"
           + (" symbolic checks deriving the claim itself |" if scoped else ""),
           "|---|---|---|---|---|---|---|" + ("---|" if scoped else "")]
    for paper, part in summary["papers"].items():
        verdicts = part["verdicts"]
        other = ", ".join(f"{n} {v}" for v, n in verdicts.items() if v not in ("HOLDS", "FAILS"))
        out.append(f"| {paper} | {part['claims']} | {verdicts.get('HOLDS', 0)} | "
                   f"{verdicts.get('FAILS', 0)} | {other or 0} | "
                   f"{part['matches_expected']} of {part['claims']} | {len(part['fragile'])} |"
                   + (f" {scope_share_text(part)} |" if scoped else ""))
    claims = {c["id"]: c for c in doc["claims"]}
    differ = [c for c in doc["claims"] if c["matches_expected"] is False]
    out.append("")
    if scoped:
        out += [f"Symbolic checks deriving the claim itself: {scope_share_text(summary)}; "
                "the others (`HOLDS (lemma)` below) derive a lemma the claim relies on, and "
                "the claim itself rests on its numeric check.", ""]
    out += _trained_text(summary.get("trained"))
    if differ:
        out.append("Differ from expected: " + ", ".join(
            f"{_link(c['id'])} ({c['verdict']}, expected {c['expected']})" for c in differ)
            + ".")
    else:
        out.append("Every verdict matches its expected one (skipped claims aside).")
    if summary["fragile"]:
        out.append("")
        out.append("Fragile (margin below 10, or unknown for an exact criterion): " + ", ".join(
            f"{_link(i)} ({fmt_margin(claims[i]['margin'])})" for i in summary["fragile"])
            + ".")
    return out + [""] + _coverage(summary.get("coverage") or {})


def _trained_text(trained: dict[str, Any] | None) -> list[str]:
    """The evidence behind trained claims, in one paragraph (schema 4 records it)."""
    if not trained or not trained["claims"]:
        return []
    eig = trained["smallest_min_tangent_eig"]
    restricted = trained.get("restricted")  # schema 5
    families = (f"{trained['enough_families']} drew relations from >= 3 graph families or, "
                f"for the {len(restricted)} whose condition admits fewer, from every family it "
                "admits" if restricted is not None
                else f"{trained['enough_families']} drew relations from >= 3 graph families")
    out = [f"Trained claims: {trained['claims']} (proxies aside); of the "
           f"{trained['holding']} that hold, {trained['enough_trials']} ran >= 20 trials and "
           f"{families}. {trained['with_min_tangent_eig']} record the second-order certificate "
           "(`min_tangent_eig`: smallest Hessian eigenvalue on the tangent space modulo the "
           "loss's symmetries, relative to the largest)"
           + (f", smallest {_fmt_compact(as_float(eig))}." if eig is not None else "."), ""]
    if restricted:
        out += ["Families admitted by the restricted claims:", ""]
        out += [f"- {_link(cid)}: {_admitted(r['families'])}: {_prose(r['why'])}"
                for cid, r in restricted.items()]
        out.append("")
    return out


def _admitted(families: list[str]) -> str:
    return ", ".join(families) if families else "no relation"


def _holds_where(claim: dict[str, Any]) -> str:
    """``holds where: [ID](#id)`` for a failing claim that names where it holds, else ''."""
    where = claim.get("holds_where")
    return f"holds where: {_link(where)}" if where else ""


def _coverage(papers: dict[str, Any]) -> list[str]:
    """Which ids of each paper's catalogue (docs/catalogue/) the run audited."""
    if not papers:
        return []
    out = ["Catalogue coverage (`docs/catalogue/<PAPER>.md`; the reasons are there):", "",
           "| paper | catalogue ids | audited in this run | not audited, on purpose | not yet "
           "audited | missing |", "|---|---|---|---|---|---|"]
    for paper, part in papers.items():
        skipped = ", ".join(part["not_audited"]) or "-"
        out.append(f"| {paper} | {part['ids']} | {len(part['audited'])} | {skipped} | "
                   f"{len(part['pending'])} | {', '.join(part['missing']) or '-'} |")
    return out + [""]


def _range_text(row: dict[str, Any]) -> str:
    if "values" in row:
        more = row["distinct"] - len(row["values"])
        # " / " between values: a value may hold commas (a list of class sizes).
        return " / ".join(map(str, row["values"])) + (f" (+{more} more)" if more > 0 else "")
    low, high = (_fmt_compact(v) if isinstance(v, float) else str(v)
                 for v in (row["min"], row["max"]))
    return low if low == high else f"{low}..{high}"


def drawn_text(numeric: dict[str, Any]) -> str:
    """What the trials drew, in one phrase: each parameter's range (seeds and the relation specs
    themselves aside: the families and the specs' sizes say what they drew)."""
    coverage = numeric.get("coverage") or {}
    parts = [f"{name} {_range_text(row)}" for name, row in (numeric.get("drawn") or {}).items()
             if name not in coverage and name.rsplit(".", 1)[-1] != "seed"]
    return "; ".join(parts)


def evidence_text(claim: dict[str, Any]) -> str:
    """The evidence behind a claim's verdict, generated from its record: the symbolic check's
    scope, the numeric trials (how drawn, how many), the relation families they drew (or "no
    relation"), the ranges of what they drew, and each sub-decision's verdict."""
    out = []
    sym, num = claim.get("symbolic"), claim.get("numeric")
    if sym:
        scope = {"claim": "derives the claim", "lemma": "derives a lemma"}.get(
            sym.get("scope") or "", "")
        out.append(f"symbolic {sym['verdict']}" + (f" ({scope})" if scope else ""))
    if num:
        how = ("every point of a declared grid" if num.get("sampling") == "grid"
               else f"hypothesis draws, seed {num.get('seed')}")
        out.append(f"numeric {num['verdict']} over {num['trials']} trials ({how})")
        coverage = num.get("coverage") or {}
        if coverage:
            out.append("relations: " + "; ".join(
                ", ".join(f"{family} {n}" for family, n in families.items())
                for families in coverage.values()))
        elif claim.get("families") == []:
            out.append("no relation")
        drawn = drawn_text(num)
        if drawn:
            out.append(f"drawn: {drawn}")
        decisions = num.get("decisions") or {}
        if decisions:
            out.append("sub-decisions: " + ", ".join(
                f"{name} {d['verdict']} ({_fmt_compact(as_float(d['worst_error']))})"
                for name, d in decisions.items()))
    return "; ".join(out)


def directions_text(claim: dict[str, Any], verdicts: dict[str, str]) -> list[str]:
    """Each direction the finding asserts, with the claims establishing it and their verdicts
    in this run (``not in this run`` for an id the run did not audit)."""
    out = []
    for direction, ids in (claim.get("directions") or {}).items():
        backed = ", ".join(f"{_link(i)} {verdicts[i]}" if i in verdicts
                           else f"{i} (not in this run)" for i in ids)
        out.append(f"{_prose(direction)}: {backed}")
    return out


def _findings(doc: dict[str, Any]) -> list[str]:
    out = ["## Findings", ""]
    by_paper: dict[str, list[dict[str, Any]]] = {}
    for c in doc["claims"]:
        if c.get("finding"):
            by_paper.setdefault(c["paper"], []).append(c)
    if not by_paper:
        return out + ["No claim of this run declares a finding.", ""]
    verdicts = {c["id"]: c["verdict"] for c in doc["claims"]}
    for paper, claims in by_paper.items():
        out += [f"### {paper}", ""]
        for c in claims:
            out.append(f"- {_link(c['id'])} **{c['verdict']}** (margin {_margin_cell(c)}): "
                       f"{_prose(c['finding'])}"
                       + (f" ({_holds_where(c)})" if _holds_where(c) else ""))
            out.append(f"  - evidence: {_prose(evidence_text(c))}")
            out += [f"  - direction: {line}" for line in directions_text(c, verdicts)]
        out.append("")
    return out


def margin_text(claim: dict[str, Any]) -> str:
    """A claim's margin as shown: ``-`` when no numeric check decided its verdict (nothing to
    be near), else :func:`fmt_margin`."""
    numeric = claim["numeric"]
    if numeric is None or numeric["verdict"] != claim["verdict"]:
        return "-"
    return fmt_margin(claim["margin"])


def _margin_cell(claim: dict[str, Any]) -> str:
    text = margin_text(claim)
    return f"**{text}**" if claim["fragile"] else text


def _table(doc: dict[str, Any]) -> list[str]:
    out = ["## Claims", "",
           "| id | verdict | expected | symbolic | worst error | tolerance | unit | margin | "
           "statement |",
           "|---|---|---|---|---|---|---|---|---|"]
    for c in doc["claims"]:
        verdict = c["verdict"] if c["matches_expected"] is not False else f"**{c['verdict']}**"
        numeric = c["numeric"] or {}
        worst = _fmt_number(numeric.get("worst_error"))
        tolerance = f"{c['tolerance']:g}" if numeric else "-"
        unit = _cell(c.get("unit") or "-") if numeric else "-"
        out.append(f"| {_link(c['id'])} | {verdict} | {c['expected']} | "
                   f"{symbolic_text(c['symbolic'])} | {worst} | {tolerance} "
                   f"| {unit} | {_margin_cell(c)} | {_cell(short(c['statement']))} |")
    return out + [""]


def _symbolic_lines(part: dict[str, Any]) -> list[str]:
    line = f"- symbolic: **{symbolic_text(part)}**"
    lemma = [f"  - lemma: {_prose(part['why'])}"] if part.get("why") else []
    if part["verdict"] == "HOLDS" and part.get("message"):
        return [f"{line} ({part['message']})", *lemma]
    out = [line, *lemma]
    if part.get("residual") and part["residual"] != "0":
        out.append(f"  - residual: `{short(part['residual'], RESIDUAL_CHARS)}`")
    if part.get("counterexample"):
        out.append(f"  - witness: `{json.dumps(part['counterexample'])}`")
    return out + _reproduce(part) + _message(part.get("message"))


def _numeric_lines(claim: dict[str, Any], part: dict[str, Any]) -> list[str]:
    worst, tolerance = _fmt_number(part.get("worst_error")), f"{part['tolerance']:g}"
    unit = f" {_prose(claim['unit'])}" if claim.get("unit") and worst != "-" else ""
    drawn = ("every point of the declared grid" if part.get("sampling") == "grid"
             else f"seed {part['seed']}")
    out = [f"- numeric: **{part['verdict']}**, worst error {worst}{unit} vs tolerance "
           f"{tolerance}, margin {_margin_cell(claim)}, {part['trials']} trials ({drawn})"]
    decisions = part.get("decisions") or {}
    if decisions:
        out += ["  - sub-decisions (the check HOLDS iff every one holds on every trial):", "",
                "    | sub-decision | verdict | worst error | tolerance | margin | trials | "
                "counterexample | measurements (min .. max) |",
                "    |---|---|---|---|---|---|---|---|"]
        out += [f"    | {name} | {d['verdict']} | {_fmt_number(d['worst_error'])} | "
                f"{d['tolerance']:g} | {fmt_margin(d['margin'])} | {d['trials']} | "
                + (f"`{json.dumps(d['counterexample'])}`" if d.get("counterexample") else "-")
                + f" | {_cell(_measurements(d['measurements'])) if d['measurements'] else '-'} |"
                for name, d in decisions.items()]
        out.append("")
    if part.get("measurements"):
        out.append("  - measurements (min .. max): " + _measurements(part["measurements"]))
    if drawn_text(part):
        out.append(f"  - drawn: {_prose(drawn_text(part))}")
    if part.get("coverage"):
        out.append("  - trials per family: " + "; ".join(
            f"{name}: " + ", ".join(f"{family} {n}" for family, n in families.items())
            for name, families in part["coverage"].items()))
    if part.get("counterexample"):
        out.append(f"  - counterexample: `{json.dumps(part['counterexample'])}`")
    if part.get("worst_trial") and part["worst_trial"] != part.get("counterexample"):
        out.append(f"  - worst trial: `{json.dumps(part['worst_trial'])}`")
    out += _reproduce(part)
    return out + (_message(part.get("message")) if part["verdict"] != "HOLDS" else [])


def _message(text: str | None) -> list[str]:
    if not text:
        return []
    if "\n" not in text:
        return [f"  - message: `{text}`"]
    return ["", "```", text, "```", ""]  # a traceback: kept as a block


def _measurements(table: dict[str, dict[str, Any]]) -> str:
    items = [f"{name} {_fmt_compact(as_float(r['min']))} .. {_fmt_compact(as_float(r['max']))}"
             for name, r in table.items()]
    shown: list[str] = []
    for item in items:
        if shown and sum(len(i) + 2 for i in [*shown, item]) > MEASUREMENTS_CHARS:
            break
        shown.append(item)
    rest = len(items) - len(shown)
    return "; ".join(shown) + (f"; {rest} more in claims.json" if rest else "")


def _reproduce(part: dict[str, Any]) -> list[str]:
    commands = lines_of(part.get("reproduce"))
    if not commands:
        return []
    return ["  - reproduce:", "", "    ```", *(f"    {c}" for c in commands), "    ```", ""]


def _detail(claim: dict[str, Any]) -> list[str]:
    c = claim
    out = [f"### {c['id']}", "", f"*{_prose(c['statement'])}*", "",
           f"**{c['verdict']}** (expected {c['expected']}{_differs(c)}) · {c['source']} · "
           f"{c['provenance']} · `{c['module']}`", "",
           f"Paper asserts: {_prose(c['paper_asserts'])}", ""]
    out += _declared(c)
    if c["symbolic"]:
        out += _symbolic_lines(c["symbolic"])
    if c["numeric"]:
        out += _numeric_lines(c, c["numeric"])
    if c["notes"]:
        out += ["", f"Notes: {_prose(_cut_notes(c['notes']))}"]
    if c["figures"]:
        out.append("")
        if c.get("figures_from_previous_run"):
            out += [f"*Figure from the previous run* (this run: {c['verdict']}, no new "
                    "figure).", ""]
        for path in c["figures"]:
            name = path.rsplit("/", 1)[-1].removesuffix(".png")
            out.append(f"![{name}]({path})")
    return [*out, ""]


def _setting_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _declared(claim: dict[str, Any]) -> list[str]:
    """The declaration's lines about how the claim is measured and decided (schema 3)."""
    out = []
    if claim.get("measures"):
        out.append(f"Measures: {_prose(claim['measures'])} (unit: {_prose(claim['unit'])}).")
    if claim.get("settings"):
        out.append("Settings: " + ", ".join(f"`{k}={_setting_text(v)}`"
                                            for k, v in claim["settings"].items()) + ".")
    if claim.get("tags"):
        out.append("Tags: " + ", ".join(f"`{t}`" for t in claim["tags"]) + ".")
    if _holds_where(claim):
        out.append(f"Expected to fail; {_holds_where(claim)}.")
    if claim.get("families") is not None:
        out.append(f"Relation families admitted: {_admitted(claim['families'])} "
                   f"({_prose(claim['families_why'])}).")
    if claim.get("finding"):
        out.append(f"Finding: {_prose(claim['finding'])}")
    for direction, ids in (claim.get("directions") or {}).items():
        out.append(f"Direction: {_prose(direction)}: established by "
                   + ", ".join(_link(i) for i in ids) + ".")
    # Each line its own paragraph: Markdown would join consecutive lines into one.
    return [line for text in out for line in (text, "")]


def _run_section(doc: dict[str, Any]) -> list[str]:
    run = doc["run"]
    versions = run["versions"]
    return ["## Run", "",
            f"- seed {run['seed']}, profile {run['profile']}, device {run['device']}",
            f"- git commit {run['git_commit']}, started {run['started']}, "
            f"{run['seconds']:.1f} s",
            "- " + ", ".join(f"{k} {versions[k]}" for k in versions),
            f"- command: `{run['selection']}`", ""]


def render_markdown(doc: dict[str, Any]) -> str:
    """claims.md of a claims.json document (schema 4, or 3 or 2: the newer fields
    are then absent and not shown)."""
    run = doc["run"]
    out = [f"# Claims audit ({run['profile']} profile)", "", _run_line(doc), ""]
    out += _summary(doc) + _findings(doc) + _table(doc)
    out += ["## Details", ""]
    for claim in doc["claims"]:
        out += _detail(claim)
    if doc["collection_errors"]:
        out += ["## Claim modules that failed to load", ""]
        for err in doc["collection_errors"]:
            out += [f"- `{err['module']}`", "", "```", err["message"], "```", ""]
    out += _run_section(doc)
    return "\n".join(out)
