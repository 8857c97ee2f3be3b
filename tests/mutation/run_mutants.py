"""Mutation run: do the unit tests catch known bugs injected into torch_impl/, verify/ and
derivations/base.py?

Each mutant replaces one snippet of one file (the snippet must occur exactly once; a snippet
the code no longer contains is reported ``stale``, to be updated, and not counted). Mutants are
applied one at a time to a temporary copy of the checkout (tracked and untracked, not ignored
files), never to the checkout itself; the unit tests listed with the mutant run there with the
byte-code cache and pytest's cache disabled, so no stale ``.pyc`` can hide a mutation. A
mutant is *killed* when its tests fail (or time out), *survived* when they pass. Each test
selection is first run unmutated: a selection that already fails makes its mutants
``baseline-fails``, not counted.

Usage (from the repository root; about 10 minutes on one core)::

    python tests/mutation/run_mutants.py            # every mutant; exit 1 if one survives
    python tests/mutation/run_mutants.py --list     # names only
    python tests/mutation/run_mutants.py --only checks-crash-forgiven verdict-undecided-matches

Not collected by pytest (no ``test_`` prefix): it runs pytest itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TIMEOUT_S = 300
"""A mutant whose tests run longer than this is counted killed (it hangs, e.g. a loop that no
longer ends); the slowest selection below takes well under a minute unmutated."""

_VERIFY = ("tests/verify/test_verdict.py", "tests/verify/test_claim.py",
           "tests/verify/test_checks.py")
_BROKEN = ("tests/verify/test_broken_checks.py",)
_BASE = ("tests/derivations/test_base.py",)
_FIT = ("tests/torch_impl/fit",)
_CURVATURE = ("tests/torch_impl/fit/test_curvature.py",)
_METRICS = ("tests/torch_impl/test_metrics.py",)
_RELATIONS = ("tests/torch_impl/test_relations.py",)
_LOSSES = ("tests/torch_impl/losses",)
_VALIDATION = ("tests/torch_impl/test_validation.py", "tests/torch_impl/test_relations.py")
_SPECTRAL = ("tests/torch_impl/test_spectral.py",)
_PROFILES = ("tests/verify/test_profiles.py",)
_REPLAY = ("tests/verify/test_replay.py",)
_COMPARE = ("tests/verify/test_compare.py",)
_FAMILY = ("tests/torch_impl/test_family.py", "tests/torch_impl/test_family_control.py")
_DISTRIBUTED = ("tests/torch_impl/test_distributed.py",)
_DIAGNOSTICS = ("tests/torch_impl/test_diagnostics.py",)
_WORDS = ("tests/verify/test_words.py", "tests/verify/test_claim.py")


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One injected bug: ``old`` -> ``new`` in ``path``, to be caught by ``tests``."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


M = Mutant
MUTANTS = [
    # -- verify/claim.py: what a measurement may be ---------------------------------------
    M("claim-negative-error-passes", "verify/claim.py",
      "        if self.error < 0:\n", "        if self.error < -1.0:\n", _VERIFY),
    M("claim-nan-error-accepted", "verify/claim.py",
      "        if not math.isfinite(self.error):", "        if math.isinf(self.error):",
      _VERIFY),
    M("claim-inf-error-accepted", "verify/claim.py",
      "        if not math.isfinite(self.error):", "        if math.isnan(self.error):",
      _VERIFY),
    M("claim-bad-margin-accepted", "verify/claim.py",
      "(math.isnan(self.margin) or self.margin < 0)", "(self.margin < 0)", _VERIFY),
    M("claim-infinite-margin-rejected", "verify/claim.py",
      "(math.isnan(self.margin) or self.margin < 0)",
      "(not math.isfinite(self.margin) or self.margin < 0)", _VERIFY),
    M("claim-negative-tolerance", "verify/claim.py",
      "if not (math.isfinite(value) and value >= 0):", "if not math.isfinite(value):", _VERIFY),
    M("claim-statement-lines", "verify/claim.py",
      'if one_line and "\\n" in value:', 'if one_line and "\\r" in value:', _VERIFY),
    M("claim-extra-strategy-accepted", "verify/claim.py",
      "if params != declared:", "if params - declared:", _VERIFY),
    M("claim-replay-unvalidated", "verify/claim.py",
      "        return Measurement.coerce(self.numeric_check.fn(**params))",
      "        return Measurement(float(self.numeric_check.fn(**params)))", _VERIFY),
    # -- verify/checks.py: running a check -------------------------------------------------
    M("checks-invalid-forgiven-while-shrinking", "verify/checks.py",
      "if not failing or isinstance(exc, InvalidMeasurement):", "if not failing:", _VERIFY),
    M("checks-crash-forgiven", "verify/checks.py",
      "if stop or (failing and shrink_budget[0] <= 0):",
      "if failing and shrink_budget[0] <= 0:", _VERIFY),
    M("checks-error-without-trial", "verify/checks.py",
      "counterexample=params, reproduce=reproduce_commands(claim.id, params),",
      "counterexample=None, reproduce=reproduce_commands(claim.id, params),", _VERIFY),
    M("checks-shrink-unbounded", "verify/checks.py",
      "            shrink_budget[0] -= 1\n", "            shrink_budget[0] -= 0\n", _VERIFY),
    M("checks-replay-passes", "verify/checks.py",
      "                replayed.append(key)\n                _reject(measured[key])\n",
      "                replayed.append(key)\n", _VERIFY),
    M("checks-tolerance-strict", "verify/checks.py",
      "return not record.error <= claim.tolerance",
      "return not record.error < claim.tolerance", _VERIFY),
    M("checks-undecided-as-fails", "verify/checks.py",
      '"undecided": Verdict.UNDECIDED', '"undecided": Verdict.FAILS', _VERIFY),
    M("checks-nonfinite-residual-as-fails", "verify/checks.py",
      '"nonfinite": Verdict.ERROR', '"nonfinite": Verdict.FAILS', _VERIFY),
    M("checks-worst-is-min", "verify/checks.py",
      "return max((t.error for t in trials), default=None)",
      "return min((t.error for t in trials), default=None)", _VERIFY),
    M("checks-skip-is-error", "verify/checks.py",
      "        if isinstance(exc, pytest.skip.Exception):\n",
      "        if isinstance(exc, KeyError):\n", _VERIFY),
    M("checks-cause-ignored", "verify/checks.py",
      "        exc = exc.__cause__\n", "        exc = None\n", _VERIFY),
    M("checks-margin-from-all-trials", "verify/checks.py",
      "[_is_failure(claim, t) for t in trials]", "[bool(failed) for t in trials]", _VERIFY),
    M("checks-grid-last-failure-reported", "verify/checks.py",
      "        if sampled.counterexample is None and _is_failure(claim, record):\n",
      "        if _is_failure(claim, record):\n", _VERIFY),
    M("checks-grid-stops-at-failure", "verify/checks.py",
      "            sampled.counterexample = record\n    return sampled\n",
      "            sampled.counterexample = record\n            break\n    return sampled\n",
      _VERIFY),
    M("checks-draws-not-isolated", "verify/checks.py",
      "        with profiles.isolated_draws():\n            test()\n",
      "        test()\n", _PROFILES),
    # -- verify/verdict.py: combining and matching -------------------------------------------
    M("verdict-combine-drops-symbolic", "verify/verdict.py",
      "present = {v for v in verdicts if v is not None}",
      "present = {v for v in verdicts[1:] if v is not None}", _VERIFY),
    M("report-combine-drops-symbolic", "verify/report.py",
      "combine(*(o.verdict if o else None for o in (sym, num)))",
      "combine(num.verdict if num else None)", _BROKEN),
    M("markdown-lemma-shown-as-claim", "verify/markdown.py",
      '(" (lemma)" if part.get("scope") == "lemma" else "")', '""',
      ("tests/verify/test_markdown.py",)),
    M("verdict-undecided-below-holds", "verify/verdict.py",
      "    Verdict.UNDECIDED,\n    Verdict.SKIPPED,\n    Verdict.HOLDS,\n",
      "    Verdict.SKIPPED,\n    Verdict.HOLDS,\n    Verdict.UNDECIDED,\n", _VERIFY),
    M("verdict-undecided-over-fails", "verify/verdict.py",
      "    Verdict.FAILS,\n    Verdict.UNDECIDED,\n",
      "    Verdict.UNDECIDED,\n    Verdict.FAILS,\n", _VERIFY),
    M("verdict-undecided-matches", "verify/verdict.py",
      "    return verdict is expected\n",
      "    return verdict is expected or verdict is Verdict.UNDECIDED\n", _VERIFY),
    M("verdict-error-matches-fails", "verify/verdict.py",
      "    return verdict is expected\n",
      "    return verdict is expected or verdict is Verdict.ERROR\n", _VERIFY),
    M("verdict-exact-margin-invented", "verify/verdict.py",
      "    if tolerance == 0:\n        return None\n",
      "    if tolerance == 0:\n        return math.inf\n", _VERIFY),
    M("verdict-failing-margin-min", "verify/verdict.py",
      "return max(known) if known else None", "return min(known) if known else None",
      _VERIFY),
    M("verdict-unknown-margin-ignored", "verify/verdict.py",
      "if not margins or any(m is None for m in margins):",
      "if not margins or all(m is None for m in margins):", _VERIFY),
    M("verdict-margin-json-lost", "verify/verdict.py",
      'for key in ("worst_error", "margin"):', 'for key in ("worst_error",):', _VERIFY),
    # -- derivations/base.py: deciding a residual ----------------------------------------------
    M("base-nan-spot-check-as-zero", "derivations/base.py",
      "if _has_non_finite(value) or any(z is not None and cmath.isnan(z) for z in numbers):",
      "if False:", _BASE),
    M("base-nan-residual-not-seen", "derivations/base.py",
      "    if any(expr is v for v in _NON_FINITE):\n        return True\n",
      "    if any(expr is v for v in _NON_FINITE):\n        return False\n", _BASE),
    M("base-oo-in-a-condition-is-a-value", "derivations/base.py",
      "if not isinstance(expr, sp.Basic) or isinstance(expr, (Boolean, sp.Set)):",
      "if not isinstance(expr, sp.Basic):", _BASE),
    M("base-infinite-bound-is-a-value", "derivations/base.py",
      "    if isinstance(expr, (ExprWithLimits, sp.Limit)):\n"
      "        return _has_non_finite(expr.args[0])\n", "", _BASE),
    M("base-no-number-is-a-witness", "derivations/base.py",
      "if any(z is not None and abs(z) > _SPOT_TOL for z in numbers):",
      "if any(z is None or abs(z) > _SPOT_TOL for z in numbers):", _BASE),
    M("base-spot-tolerance-huge", "derivations/base.py",
      "_SPOT_TOL = 1e-20", "_SPOT_TOL = 1e20", _BASE),
    M("base-positive-sampled-negative", "derivations/base.py",
      "    if symbol.is_positive or symbol.is_nonnegative:\n        return value\n",
      "", _BASE),
    M("base-matrix-zero-if-any-entry", "derivations/base.py",
      "return all(e == 0 for e in expr)", "return any(e == 0 for e in expr)", _BASE),
    # -- verify/profiles.py, verify/replay.py ----------------------------------------------------
    M("profiles-pool-kept", "verify/profiles.py",
      "    providers._get_local_constants = lambda: empty\n", "", _PROFILES),
    M("profiles-seed-ignores-id", "verify/profiles.py",
      "return run_seed * 2**32 + zlib.crc32(claim_id.encode())", "return run_seed * 2**32",
      _PROFILES),
    M("replay-profile-ignored", "verify/replay.py",
      "settings = {profiles.ENV_PROFILE: profile, profiles.ENV_SEED: str(seed)}\n    if device",
      "settings = {profiles.ENV_SEED: str(seed)}\n    if device", _REPLAY),
    M("replay-modules-not-restored", "verify/replay.py",
      "                os.environ[key] = value\n        for name in [k for k, m in "
      "sys.modules.items() if _is_under(m, directory)]:\n            del sys.modules[name]\n",
      "                os.environ[key] = value\n", _REPLAY),
    # -- torch_impl/fit/: convergence ------------------------------------------------------------
    M("fit-diverged-restart-accepted", "torch_impl/fit/restarts.py",
      "converged=converged[best] and not any_diverged,", "converged=converged[best],", _FIT),
    M("fit-hinge-certificate-or-plateau", "torch_impl/fit/hinge.py",
      "if run.certificate <= options.grad_tol and flat:",
      "if run.certificate <= options.grad_tol or flat:", _FIT),
    M("fit-worst-restart-kept", "torch_impl/fit/restarts.py",
      "best = min(finite, key=lambda i: runs[i].loss) if finite else 0",
      "best = max(finite, key=lambda i: runs[i].loss) if finite else 0", _FIT),
    M("fit-gradient-not-required", "torch_impl/fit/minimise.py",
      "small, flat = cert_k <= options.grad_tol, stuck or plateau(values, options)",
      "small, flat = True, stuck or plateau(values, options)", _FIT),
    M("fit-plateau-loose", "torch_impl/fit/minimise.py",
      "abs(b - a) <= options.loss_rtol * max(1.0, abs(b))",
      "abs(b - a) <= 1e6 * options.loss_rtol * max(1.0, abs(b))", _FIT),
    M("fit-threshold-ignored", "torch_impl/fit/minimise.py",
      "float(size.abs().max()) > \\\n                options.diverge_threshold:",
      "float(size.abs().max()) > \\\n                math.inf:", _FIT),
    # -- torch_impl/fit/: second-order certificate ------------------------------------------
    M("fit-curvature-sign-flipped", "torch_impl/fit/curvature.py",
      "Curvature(float(eigenvalues[0]), scale,", "Curvature(-float(eigenvalues[0]), scale,",
      _CURVATURE),
    M("fit-curvature-symmetries-kept", "torch_impl/fit/curvature.py",
      "    return torch.cat([normals, u[:, keep]], dim=1)\n", "    return normals\n", _CURVATURE),
    M("fit-curvature-escape-skipped", "torch_impl/fit/stages.py",
      "            start = escape.unchecked(objective, p, vector, result.loss)\n",
      "            start = None\n", _CURVATURE),
    # -- torch_impl: metrics, relations, losses, validation, spectral -----------------------------
    M("metrics-rank-counts-threshold", "torch_impl/metrics.py",
      "return int((s > max(atol, rtol * s_max)).sum())",
      "return int((s >= max(atol, rtol * s_max)).sum())", _METRICS),
    M("metrics-rank-rtol-unscaled", "torch_impl/metrics.py",
      "rtol = max(shape) * torch.finfo(dtype).eps if atol == 0 else 0.0",
      "rtol = torch.finfo(dtype).eps if atol == 0 else 0.0", _METRICS),
    M("metrics-angles-arccos-only", "torch_impl/metrics.py",
      "torch.where(cos.square() >= 0.5, torch.arcsin(sin), torch.arccos(cos))",
      "torch.arccos(cos)", _METRICS),
    M("metrics-relative-error-scale", "torch_impl/metrics.py",
      "return float(torch.linalg.vector_norm(actual - expected)) / scale",
      "return float(torch.linalg.vector_norm(actual - expected)) / (scale + 1.0)", _METRICS),
    M("relations-views-offset", "torch_impl/relations.py",
      ".repeat(n) * n_samples).remainder(n)", ".repeat(n) * (n_samples + 1)).remainder(n)",
      _RELATIONS),
    M("relations-knn-not-symmetrised", "torch_impl/relations.py",
      "    return torch.maximum(A, A.t())\n", "    return A\n", _RELATIONS),
    M("relations-laplacian-sign", "torch_impl/relations.py",
      "        return torch.diag(d) - G.dense()\n", "        return torch.diag(d) + G.dense()\n",
      _RELATIONS),
    M("relations-labels-self-loops", "torch_impl/relations.py",
      "    G.fill_diagonal_(0)\n", "    G.fill_diagonal_(1)\n", _RELATIONS),
    M("vicreg-covariance-half", "torch_impl/losses/vicreg.py",
      "return 2 * torch.triu(cov_kk, diagonal=1).square().sum()",
      "return torch.triu(cov_kk, diagonal=1).square().sum()", _LOSSES),
    M("vicreg-invariance-over-k", "torch_impl/losses/vicreg.py",
      "return (Z[G.rows] - Z[G.cols]).square().sum() / Z.shape[0]",
      "return (Z[G.rows] - Z[G.cols]).square().sum() / Z.shape[1]", _LOSSES),
    M("vicreg-variance-unclamped-above", "torch_impl/losses/vicreg.py",
      "clamp(_VARIANCE_FLOOR, 1).sqrt().sum()", "clamp(_VARIANCE_FLOOR, 2).sqrt().sum()",
      _LOSSES),
    M("simclr-self-pair-in-denominator", "torch_impl/losses/simclr.py",
      'gram_nn.masked_fill(self_nn, float("-inf"))', "gram_nn", _LOSSES),
    M("simclr-times-tau", "torch_impl/losses/simclr.py",
      "gram_nn = z_unit @ z_unit.T / tau", "gram_nn = z_unit @ z_unit.T * tau", _LOSSES),
    M("bt-alpha-dropped", "torch_impl/losses/barlow_twins.py",
      "return on_diag + alpha * off_diagonal_square_sum(cross_kk)",
      "return on_diag + off_diagonal_square_sum(cross_kk)", _LOSSES),
    M("contrastive-decoupled-ignored", "torch_impl/losses/contrastive.py",
      "    if decoupled:\n        lse_n = torch.logsumexp(neg_logit_nn, dim=1)",
      "    if False:\n        lse_n = torch.logsumexp(neg_logit_nn, dim=1)", _LOSSES),
    M("contrastive-positive-among-negatives", "torch_impl/losses/contrastive.py",
      "    not_negative_nn[anchor, positive] = True\n", "", _LOSSES),
    M("tcr-eps-not-squared", "torch_impl/losses/tcr.py",
      "(m / (n * eps**2)) * gram", "(m / (n * eps)) * gram", _LOSSES),
    M("distributed-gather-gradient-not-summed", "torch_impl/distributed.py",
      "        dist.all_reduce(grad_wnk, op=dist.ReduceOp.SUM, group=ctx.group)\n", "",
      ("tests/torch_impl/test_distributed.py",)),
    M("simclr-chunked-transpose-term-dropped", "torch_impl/losses/simclr.py",
      "            grad_nk += a_cn.T @ u_nk[start:stop]\n", "", _LOSSES),
    M("validation-symmetry-unchecked", "torch_impl/validation.py",
      "symmetric = bool((G[cols, rows] == 1).all())", "symmetric = True", _VALIDATION),
    M("validate-params-cross-checks-skipped", "torch_impl/validation.py",
      "            for check in checks:\n                check.run(values)\n",
      "            pass\n", ("tests/torch_impl/test_public_validation.py",)),
    M("validate-params-constraint-skipped", "torch_impl/validation.py",
      "                values[p] = constraints[p].check(values[p], p, values)\n",
      "                values[p] = values[p]\n", ("tests/torch_impl/test_public_validation.py",)),
    M("metrics-rank-decades-kept-side-only", "torch_impl/metrics.py",
      "            _log10_ratio(rtol, report.dropped),\n", "            math.inf,\n", _METRICS),
    M("validation-binary-unchecked", "torch_impl/validation.py",
      "if not bool(((vals == 0) | (vals == 1)).all()):", "if not bool((vals >= 0).all()):",
      _VALIDATION),
    M("eigen-largest-kept", "torch_impl/spectral/_eigen.py",
      "values, vectors = values[:k], vectors[:, :k]",
      "values, vectors = values[-k:], vectors[:, -k:]", _SPECTRAL),
    # -- the report's words and the cross-kernel comparison (issue 18) ------------------------
    M("compare-slack-from-smaller-error", "verify/compare.py",
      "abs(tolerance - max(a, b)) / 10", "abs(tolerance - min(a, b)) / 10", _COMPARE),
    M("compare-one-sided-error-ignored", "verify/compare.py",
      "if (ex is None) != (ey is None) or (\n            ex is not None and",
      "if (\n            ex is not None and ey is not None and", _COMPARE),
    M("compare-decisions-ignored", "verify/compare.py", "    if dx and dy:\n",
      "    if False:\n", _COMPARE),
    M("catalogue-shortest-parent", "verify/catalogue.py", "len(cid) > len(best)",
      "len(cid) < len(best)", ("tests/verify/test_catalogue.py",)),
    M("grid-missing-parameter-accepted", "verify/grid.py",
      "if cleaned and set(point) != set(cleaned[0]):",
      "if cleaned and set(point) - set(cleaned[0]):", ("tests/verify/test_grid.py",)),
    M("claim-direction-words-unchecked", "verify/claim.py",
      "if words and not self.directions:", "if False:", _VERIFY),
    M("claim-typed-numbers-accepted", "verify/claim.py",
      "numbers = typed_numbers(self.finding)", "numbers = []", _VERIFY),
    M("claim-parts-not-their-max", "verify/claim.py",
      "if self.parts and self.error != max(self.parts.values()):", "if False:", _VERIFY),
    M("checks-single-part-extras-merged", "verify/checks.py",
      "return _ranges([t for t in trials if len(t.measurement.parts) != 1])",
      "return _ranges(trials)", _VERIFY),
    M("checks-part-failures-ignored", "verify/checks.py",
      "failing = [not e <= claim.tolerance for e in errors]",
      "failing = [False for e in errors]", _VERIFY),
    M("words-quoted-numbers-typed", "verify/words.py",
      "return _CODE.sub(\" \", PLACEHOLDER.sub(\" \", text))", "return text", _WORDS),
    M("words-missing-value-rendered-empty", "verify/words.py",
      "        return NOT_MEASURED\n", "        return \"\"\n", _WORDS),
    M("fit-floor-unresolved-accepted", "torch_impl/fit/stages.py",
      "resolved = floor.floor * options.margin <= options.grad_tol", "resolved = True", _FIT),
    M("fit-floor-far-accepted", "torch_impl/fit/stages.py",
      "at_floor = run.certificate <= min(FLOOR_FACTOR * floor.floor, options.grad_tol)",
      "at_floor = run.certificate <= options.grad_tol", _FIT),
    M("fit-floor-unscaled", "torch_impl/fit/certificates.py",
      "spread = float((V - V.mean(dim=0)).square().sum() / (samples - 1)) ** 0.5",
      "spread = float((V - V.mean(dim=0)).square().sum() / (samples - 1)) ** 0.5 * 0.01", _FIT),
    # -- the loss doctor (issue 22) ------------------------------------------------------------
    M("family-change-scaled-by-before-only", "torch_impl/family.py",
      "    return abs(after - before) / max(abs(before), abs(after), SCALE_FLOOR)",
      "    return abs(after - before) / abs(before) if before != 0 else 0.0", _FAMILY),
    M("family-rng-not-seeded", "torch_impl/family.py",
      "            torch.manual_seed(self.seed)", "            pass", _FAMILY),
    M("family-module-state-kept", "torch_impl/family.py",
      "        module = copy.deepcopy(self._module)", "        module = self._module", _FAMILY),
    M("distributed-norm-floor-eps", "torch_impl/distributed.py",
      "norm_left_k = total[:K].clamp(min=eps**2).sqrt()",
      "norm_left_k = total[:K].clamp(min=eps).sqrt()", _DISTRIBUTED),
    M("distributed-gather-backward-not-summed", "torch_impl/distributed.py",
      "        dist.all_reduce(grad_wnk, op=dist.ReduceOp.SUM, group=ctx.group)",
      "        pass  # no sum over ranks", _DISTRIBUTED),
    M("diagnostics-eps-dropped", "torch_impl/diagnostics.py", "    p = values / total + eps",
      "    p = values / total", _DIAGNOSTICS),
    M("diagnostics-lidar-means-uncentred", "torch_impl/diagnostics.py",
      "    between = means - means.mean(dim=0, keepdim=True)", "    between = means",
      _DIAGNOSTICS),
    M("readme-stale-passes", "verify/readme.py", "        if new != current:\n",
      "        if False:\n", ("tests/docs/test_readme.py",)),
]


def copy_checkout(destination: Path) -> None:
    """Copy the checkout's tracked and untracked (not ignored) files to ``destination``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
        capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _environment(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSL_AUDIT_")}
    # The copy first on the path: an editable install of the checkout must not win.
    env.update(PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    return env


def run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[bool, float]:
    """(whether the tests passed, seconds) in ``tree``; a timeout counts as failing."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *tests, "-x", "-q", "-p", "no:cacheprovider"],
            cwd=tree, env=_environment(tree), capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, time.perf_counter() - started
    return proc.returncode == 0, time.perf_counter() - started


def _check_imports_from(tree: Path) -> None:
    code = "import verify, torch_impl, derivations; print(verify.__file__, torch_impl.__file__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=_environment(tree),
                         capture_output=True, text=True, check=True).stdout
    if any(not Path(p).resolve().is_relative_to(tree.resolve()) for p in out.split()):
        raise SystemExit(f"run_mutants: the copy imports the packages from elsewhere: {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these mutants only")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    names = [m.name for m in MUTANTS]
    if len(set(names)) != len(names):
        raise SystemExit("run_mutants: two mutants share a name")
    if args.list:
        print("\n".join(f"{m.name:<42} {m.path}" for m in MUTANTS))
        return 0
    unknown = sorted(set(args.only or ()) - set(names))
    if unknown:
        raise SystemExit(f"run_mutants: --only: unknown mutants {unknown}")
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    rows: list[tuple[str, str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="ssl-audit-mutants-") as tmp:
        tree = Path(tmp)
        copy_checkout(tree)
        _check_imports_from(tree)
        baseline: dict[tuple[str, ...], bool] = {}
        for mutant in chosen:
            path = tree / mutant.path
            original = path.read_text(encoding="utf-8")
            if original.count(mutant.old) != 1:
                rows.append((mutant.name, mutant.path, "stale", 0.0))
                continue
            if mutant.tests not in baseline:
                baseline[mutant.tests] = run_tests(tree, mutant.tests)[0]
            if not baseline[mutant.tests]:
                rows.append((mutant.name, mutant.path, "baseline-fails", 0.0))
                continue
            path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
            try:
                passed, seconds = run_tests(tree, mutant.tests)
            finally:
                path.write_text(original, encoding="utf-8")
            rows.append((mutant.name, mutant.path, "survived" if passed else "killed", seconds))
            print(f"{mutant.name:<42} {rows[-1][2]:<14} {seconds:6.1f}s", flush=True)
    killed = sum(r[2] == "killed" for r in rows)
    survived = [r for r in rows if r[2] == "survived"]
    print("\n| mutant | file | result | seconds |\n|---|---|---|---|")
    for name, path, result, seconds in rows:
        print(f"| {name} | {path} | {result} | {seconds:.1f} |")
    judged = killed + len(survived)
    rate = f"{killed / judged:.0%}" if judged else "n/a"
    others = len(rows) - judged
    print(f"\nkilled {killed} of {judged} mutants ({rate})"
          + (f"; {others} not judged (stale or baseline-fails)" if others else ""))
    return 0 if not survived and not others else 1


if __name__ == "__main__":
    sys.exit(main())
