"""The pytest plugin: claim modules become items, outcomes become the report.

Registered by ``tests/conftest.py`` (``pytest_plugins = ["verify.plugin"]``) or ``-p
verify.plugin``, so any pytest run that selects claim modules audits them, for example
``pytest tests/claims/bl22 --claims-id BL22-C0``. Each :class:`~verify.claim.Claim` ``C`` in a
module yields the items ``<module>::<C.id>::symbolic`` and ``<module>::<C.id>::numeric``, marked
``claim`` and with each of ``C.tags`` (registered markers, :data:`verify.tags.TAGS`), so that
``-m trains`` selects the claims that train.

Without ``--report-dir`` the report goes to ``<rootdir>/.ssl-audit/report/`` (git-ignored):
only ``ssl-audit``'s full, unselected audit writes the committed ``reports/``.

An item attaches its outcome to its test report as a ``user_properties`` entry (JSON), which
pytest-xdist ships from workers to the controller; the controller alone writes the report.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from verify import profiles
from verify.checks import run_numeric, run_symbolic
from verify.claim import Claim, ClaimDeclarationError
from verify.markdown import lines_of
from verify.tags import TAGS
from verify.verdict import CheckOutcome, Verdict

__all__ = ["AuditState", "STATE_KEY", "SCRATCH_REPORT_DIR", "ClaimNode", "ClaimItem",
           "unknown_ids_message"]

_CLAIM_PROP = "verify.claim"
_OUTCOME_PROP = "verify.outcome"
ENV_STAGING = "SSL_AUDIT_STAGING"

SCRATCH_REPORT_DIR = Path(".ssl-audit") / "report"
"""Where every run but the full, unselected audit writes its report (relative to the project
root; git-ignored), so that no selected, quick or replay run replaces the committed one."""


@dataclasses.dataclass
class AuditState:
    """What the controller gathers during a run (``config.stash[STATE_KEY]``)."""

    report_dir: Path
    staging: Path
    started: float
    started_iso: str
    declarations: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    outcomes: dict[str, dict[str, CheckOutcome]] = dataclasses.field(default_factory=dict)
    collection_errors: list[dict[str, str]] = dataclasses.field(default_factory=list)
    document: dict[str, Any] | None = None
    """The report written at the end of the run (``None`` when no claim ran)."""


STATE_KEY = pytest.StashKey[AuditState]()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ssl-audit", "claims audit (verify)")
    group.addoption("--claims-profile", choices=profiles.PROFILES, default=None,
                    help=f"audit profile (default: ${profiles.ENV_PROFILE} or "
                         f"'{profiles.DEFAULT_PROFILE}')")
    group.addoption("--claims-seed", type=int, default=None,
                    help=f"run seed (default: ${profiles.ENV_SEED} or {profiles.DEFAULT_SEED})")
    group.addoption("--claims-device", default=None,
                    help=f"auto, cpu or cuda[:i] (default: ${profiles.ENV_DEVICE} or auto)")
    group.addoption("--claims-id", action="append", default=[], metavar="ID",
                    help="run only the claim with exactly this id (repeatable); an unknown "
                         "id is a usage error")
    group.addoption("--report-dir", default=None,
                    help="where claims.md, claims.json, figures/ go (default: "
                         f"<rootdir>/{SCRATCH_REPORT_DIR.as_posix()}, git-ignored)")
    group.addoption("--claims-progress", action="store_true",
                    help="print one line per finished check (the CLI turns this on)")
    group.addoption("--claims-command", default=None,
                    help="the command line to record as the run's selection (set by the CLI)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim: an item generated from a verify.Claim")
    # A claim's tags are markers of its items: -m trains / -m "not trains" select claims.
    for tag, meaning in TAGS.items():
        config.addinivalue_line("markers", f"{tag}: claim tag: {meaning}")
    # Exported so that claim modules (verify.profile(), verify.device()), xdist workers and
    # subprocesses all see the same run settings.
    for option, env in (("claims_profile", profiles.ENV_PROFILE),
                        ("claims_seed", profiles.ENV_SEED),
                        ("claims_device", profiles.ENV_DEVICE)):
        value = config.getoption(option)
        if value is not None:
            os.environ[env] = str(value)
    profiles.profile()  # fail early on a bad $SSL_AUDIT_PROFILE
    profiles.apply_threads()
    report_dir = Path(config.getoption("report_dir")
                      or config.rootpath / SCRATCH_REPORT_DIR).resolve()
    if _is_worker(config):
        staging = Path(os.environ[ENV_STAGING])
    else:
        # Everything of this run is written under here first; the report replaces the
        # previous one only at the very end (reports/.tmp*/ is git-ignored).
        staging = report_dir / f".tmp-{uuid.uuid4().hex[:12]}"
        os.environ[ENV_STAGING] = str(staging)
    state = AuditState(report_dir, staging, time.perf_counter(),
                       time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(_Audit(config, state), "verify-audit")


# -- collection ------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    if not isinstance(obj, Claim):
        return None
    module = collector.obj
    if obj.module_name != getattr(module, "__name__", None):
        return []  # imported from another claim module: it is collected there
    if name != next(n for n, v in vars(module).items() if v is obj):
        return []  # a second name for the same claim
    claims = {id(c): c.id for c in vars(module).values()
              if isinstance(c, Claim) and c.module_name == module.__name__}
    others = list(claims.values())
    if len(others) > 1:
        raise ClaimDeclarationError(obj.module_path, "id", f"the module declares "
                                    f"{len(others)} claims ({', '.join(others)}); one module "
                                    "declares one claim")
    obj.validate_complete()
    return ClaimNode.from_parent(collector, name=obj.id, claim=obj)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, ClaimItem):
            first = seen.setdefault(item.claim.id, item.claim.module_path)
            if first != item.claim.module_path:
                raise ClaimDeclarationError(item.claim.module_path, "id",
                                            f"{item.claim.id!r} is already declared in {first}")
    if profiles.at_scale():
        # The scale profile re-runs the headline claims only, and only their numeric checks
        # (their derivations do not depend on N).
        off = [i for i in items if not (isinstance(i, ClaimItem) and "scale" in i.claim.tags
                                        and i.name == "numeric")]
        if off:
            config.hook.pytest_deselected(items=off)
            items[:] = [i for i in items if i not in off]
    wanted = config.getoption("claims_id")
    if not wanted:
        return
    unknown = [i for i in dict.fromkeys(wanted) if i not in seen]
    if unknown and _is_worker(config):
        # A worker that raises here crashes the run with no message; it keeps every item
        # instead, and the controller names the unknown ids from the collected node ids.
        return
    if unknown:
        raise pytest.UsageError(unknown_ids_message(unknown, seen))
    # Exact ids, unlike -k: BL22-C3-lpp does not select BL22-C3-lpp-regular.
    kept = [i for i in items if isinstance(i, ClaimItem) and i.claim.id in wanted]
    dropped = [i for i in items if not (isinstance(i, ClaimItem) and i.claim.id in wanted)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def unknown_ids_message(unknown: list[str], known: Iterable[str]) -> str:
    """The usage error for ids no collected claim has, naming the ids closest to each."""
    known = sorted(known)
    parts = []
    for claim_id in unknown:
        # Ids that start the same way (BL22-C3 -> BL22-C3-lpp) or are spelt alike (BL22-c2).
        close = [k for k in known if k.lower().startswith(claim_id.lower())]
        close += [k for k in difflib.get_close_matches(claim_id, known, n=5, cutoff=0.75)
                  if k not in close]
        parts.append(f"{claim_id!r}" + (f" (close: {', '.join(close[:8])})" if close else ""))
    return (f"unknown claim id{'s' if len(parts) > 1 else ''} {'; '.join(parts)}: ids are "
            f"matched exactly, among the {len(known)} claims collected")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    """The controller's side of ``--claims-id`` under pytest-xdist (it collects nothing)."""
    wanted = node.config.getoption("claims_id")
    # Claim items are <module>::<id>::<kind>.
    collected = {i.split("::")[-2] for i in ids if i.count("::") >= 2}
    unknown = [i for i in dict.fromkeys(wanted) if i not in collected]
    if unknown:
        pytest.exit(unknown_ids_message(unknown, collected),
                    returncode=pytest.ExitCode.USAGE_ERROR)


class ClaimNode(pytest.Collector):
    """The claim: one child item per declared check."""

    def __init__(self, *, claim: Claim, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim = claim

    def collect(self) -> list[pytest.Item]:
        kinds = [k for k, c in (("symbolic", self.claim.symbolic_check),
                                ("numeric", self.claim.numeric_check)) if c is not None]
        return [ClaimItem.from_parent(self, name=k, claim=self.claim) for k in kinds]


class ClaimCheckFailed(Exception):
    """Raised by an item whose outcome is an error or an unexpected failure."""

    def __init__(self, outcome: CheckOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class ClaimItem(pytest.Item):
    """One check (symbolic or numeric) of one claim."""

    def __init__(self, *, claim: Claim, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim = claim
        self.add_marker("claim")
        for tag in claim.tags:
            self.add_marker(tag)
        self.user_properties.append((_CLAIM_PROP, json.dumps(claim.declaration())))

    def runtest(self) -> None:
        state = self.config.stash[STATE_KEY]
        if self.name == "symbolic":
            outcome = run_symbolic(self.claim)
        else:
            outcome, _ = run_numeric(self.claim, state.staging / "figures")
        self.user_properties.append((_OUTCOME_PROP, outcome.to_json()))
        if outcome.verdict is Verdict.SKIPPED:
            pytest.skip(outcome.message)
        unexpected = outcome.verdict is Verdict.FAILS and self.claim.expected is Verdict.HOLDS
        # UNDECIDED never matches an expectation: it fails the item like an unexpected FAILS.
        if outcome.verdict in (Verdict.ERROR, Verdict.NOT_CONVERGED, Verdict.UNDECIDED) \
                or unexpected:
            raise ClaimCheckFailed(outcome)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimCheckFailed):
            o = excinfo.value.outcome
            lines = [f"{self.claim.id} {self.name}: {o.verdict} "
                     f"(expected {self.claim.expected})", o.message]
            if o.residual and o.residual != "0":
                lines.append(f"residual: {o.residual}")
            commands = lines_of(o.reproduce)
            if commands:
                lines += ["reproduce:", *(f"  {c}" for c in commands)]
            return "\n".join(lines)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.claim.id}::{self.name}"


# -- outcomes ----------------------------------------------------------------------------------
class _Audit:
    """Per-run hooks with the run's :class:`AuditState` (registered in ``pytest_configure``)."""

    def __init__(self, config: pytest.Config, state: AuditState) -> None:
        self.config = config
        self.state = state
        # The controller prints progress (with xdist, workers' output is not shown).
        self.progress = config.getoption("claims_progress") and not _is_worker(config)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.state.collection_errors.append(
                {"module": report.nodeid, "message": _tail(str(report.longrepr))})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)  # xdist ships them as lists of pairs
        if _CLAIM_PROP not in props or report.when != "call":
            return
        declaration = json.loads(props[_CLAIM_PROP])
        kind = report.nodeid.rsplit("::", 1)[-1]
        if _OUTCOME_PROP in props:
            outcome = CheckOutcome.from_json(props[_OUTCOME_PROP])
        else:  # the engine itself crashed around the check
            outcome = CheckOutcome(kind, Verdict.ERROR, report.duration,
                                   message=_tail(str(report.longrepr)))
        self.state.declarations[declaration["id"]] = declaration
        self.state.outcomes.setdefault(declaration["id"], {})[kind] = outcome
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.progress and reporter is not None:
            reporter.write_line(_progress_line(declaration["id"], outcome))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from verify import report

        if _is_worker(self.config):
            return
        if not self.state.outcomes:
            report.discard_staging(self.state.staging)
            return
        document = report.build_document(self.config, self.state)
        self.state.document = report.write_report(self.state.report_dir, self.state.staging,
                                                  document)
        mismatched = any(c["matches_expected"] is False for c in self.state.document["claims"])
        if mismatched and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        from verify import report

        if self.state.document is None:
            return
        terminalreporter.write_sep("=", "claims audit")
        for line in report.summary_lines(self.state.document, self.state.report_dir):
            terminalreporter.write_line(line)
        if self.state.report_dir == (self.config.rootpath / SCRATCH_REPORT_DIR).resolve():
            terminalreporter.write_line(
                "(a scratch report: the committed reports/ is written only by the full, "
                "unselected audit, `ssl-audit` with no selection; --report-dir picks a folder)")


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _progress_line(claim_id: str, o: CheckOutcome) -> str:
    detail = f"{o.seconds:6.2f}s"
    if o.kind == "numeric" and o.worst_error is not None:
        detail += f"  worst {o.worst_error:.2e} / tol {o.tolerance:.0e}, {o.trials} trials"
    return f"  {claim_id:<28} {o.kind:<9} {o.verdict.value:<14} {detail}"
