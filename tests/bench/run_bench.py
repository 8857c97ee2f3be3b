"""Speed and memory benchmark: the BL22 losses, the fits, the audit (issue 11 item 6).

What it measures, each in one run of this script so every ratio compares times taken under the
same machine load:

* Loss throughput: forward + backward of ``vicreg_loss``, ``simclr_loss`` and
  ``barlow_twins_loss_from_relation`` (BL22 Sec. 2.2-2.4) at N = 4096, K = 256, float32 and
  float64, with a prebuilt :class:`~torch_impl.relations.Relation` and with a raw dense G
  (validated on every call), against (a) the paper's seed snippets
  (tests/torch_impl/losses/references.py) on the same input and (b) the loss's matmul floor:
  forward + backward of one ``Z @ Z.T`` (N, N) for SimCLR, one ``Z.T @ Z`` (K, K) for VICReg
  and BarlowTwins. Variants are timed round-robin (one call of each per repeat) so load from
  other processes hits them alike; the median of ``REPEATS`` calls after ``WARMUPS`` is kept.
  Targets: ours / floor <= 3 and ours / seed <= 1; a missed target reads ``gap <ratio>``.
* SimCLR at N = 16384, K = 256, float32, chunked: timed only if its estimated cost fits what is
  left of ``BUDGET_S``; otherwise a row says it was skipped and why.
* SimCLR peak memory, dense vs chunked, N = 8192, K = 128, float32, forward + backward: each in
  a fresh subprocess (see :func:`memory_probe` for the method).
* Fit time to a certificate, our L-BFGS fit against Adam at its best learning rate, on views
  relations at N in {200, 1000, 4000}, K in {16, 64} (tests/bench/fits.py; within
  ``FIT_BUDGET_S``, rows that would not fit say so).
* Audit wall time: quick serial and ``--workers 2`` timed here, full read from the committed
  report (tests/bench/audit_time.py; ``--audit-full`` times it here too).
* Rows for what this version does not measure, so the report never hides the gap.

Usage (from the repository root)::

    python tests/bench/run_bench.py                      # writes reports/bench.md, bench.json
    python tests/bench/run_bench.py --smoke --out-dir /tmp/bench   # small sizes, seconds
    python tests/bench/run_bench.py --device cuda

Not collected by pytest (no ``test_`` prefix); its pure helpers are tested in
tests/bench/test_bench_tools.py.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[2]
# tests/ is not installed: the seed snippets are imported from the checkout.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.audit_time import audit_rows  # noqa: E402
from tests.bench.fits import ADAM_LRS, CERTIFICATE, CONFIGS, TARGET, FitConfig, fit_rows  # noqa: E402
from tests.torch_impl.losses import references  # noqa: E402
from torch_impl.losses import barlow_twins_loss_from_relation, simclr_loss, vicreg_loss  # noqa: E402
from torch_impl.relations import Relation, views_relation  # noqa: E402

THREADS = 2
WARMUPS = 2
REPEATS = 5
N, K = 4096, 256
DTYPES = (torch.float32, torch.float64)
LARGE_N, LARGE_K, LARGE_CHUNK = 16384, 256, 1024
MEMORY_N, MEMORY_K, MEMORY_CHUNK = 8192, 128, 1024
BUDGET_S = 300.0
"""Wall-time budget of the loss rows; the large SimCLR row runs only if it fits what is left."""
FIT_BUDGET_S = 360.0
"""Wall-time budget of the fit rows (tests/bench/fits.py); rows that would not fit say so."""
FLOOR_TARGET = 3.0
SEED_TARGET = 1.0
SMOKE = {"N": 64, "K": 16, "LARGE_N": 256, "LARGE_K": 16, "LARGE_CHUNK": 32,
         "MEMORY_N": 256, "MEMORY_K": 16, "MEMORY_CHUNK": 32, "REPEATS": 2, "WARMUPS": 1,
         "FITS": tuple(FitConfig(loss, 20, 4) for loss in ("vicreg", "simclr", "bt"))}

TAU, VIC_WEIGHTS, BT_ALPHA, BT_EPS = 0.5, (25.0, 1.0, 25.0), 5e-3, 1e-6

NOT_MEASURED = (
    ("lightly's losses (NTXentLoss, VICRegLoss, BarlowTwinsLoss)",
     "lightly is not a dependency of this project and cannot be installed on the offline "
     "machines the bench runs on"),
)


# -- pure helpers (tested in tests/bench/test_bench_tools.py) -------------------------------

def median_s(times_s: Sequence[float]) -> float:
    """Median of the timed calls, in seconds; raises on an empty sequence."""
    if not times_s:
        raise ValueError("times_s: expected at least one timing, got none")
    return float(statistics.median(times_s))


def ratio_cell(ours_s: float, other_s: float, target: float) -> str:
    """``ours / other`` to 2 decimals, prefixed ``gap`` when it exceeds ``target``."""
    if other_s <= 0:
        raise ValueError(f"other_s: expected a positive time, got {other_s}")
    ratio = ours_s / other_s
    return f"{ratio:.2f}" if ratio <= target else f"gap {ratio:.2f} (target <= {target:g})"


def format_ms(seconds: float | None) -> str:
    """A time in milliseconds with 1 decimal; ``-`` when not measured."""
    return "-" if seconds is None else f"{seconds * 1e3:.1f}"


def markdown_table(rows: Sequence[dict], headers: Sequence[str]) -> str:
    """GitHub-markdown table of ``rows`` (dicts) in the column order ``headers``."""
    return tabulate([[row.get(h, "") for h in headers] for row in rows], headers=list(headers),
                    tablefmt="github")


def cpu_model() -> str:
    """CPU model from /proc/cpuinfo (Linux), else :func:`platform.processor`."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit(root: Path = ROOT) -> str:
    """HEAD's hash, with ``+dirty`` when the tree has uncommitted changes; ``unknown`` if no git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine_header(device: str) -> dict[str, str]:
    """What the timings depend on: CPU, cores, torch and its threads, GPU, date, commit."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable)",
        "torch": torch.__version__,
        "torch threads": str(torch.get_num_threads()),
        "gpu": gpu,
        "device": device,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
    }


# -- timing ---------------------------------------------------------------------------------

def _sync(device: torch.device) -> None:
    # CUDA kernels are asynchronous: without a sync the timer sees only the launch.
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _step(loss: Callable[[torch.Tensor], torch.Tensor], z_nk: torch.Tensor) -> None:
    z_nk.grad = None
    loss(z_nk).backward()


def time_round_robin(
    variants: dict[str, Callable[[], None]], device: torch.device, warmups: int, repeats: int
) -> dict[str, float]:
    """Median seconds per variant; each repeat calls every variant once, in turn."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(warmups + repeats):
        for name, call in variants.items():
            _sync(device)
            start = time.perf_counter()
            call()
            _sync(device)
            if repeat >= warmups:
                times[name].append(time.perf_counter() - start)
    return {name: median_s(t) for name, t in times.items()}


def _floor(z_nk: torch.Tensor, gram_of_rows: bool) -> Callable[[], None]:
    """Forward + backward of the one product the loss cannot avoid: Z Z^T (N, N) or Z^T Z (K, K)."""
    n, k = z_nk.shape
    side = n if gram_of_rows else k
    grad_out = torch.ones(side, side, dtype=z_nk.dtype, device=z_nk.device)

    def call() -> None:
        z_nk.grad = None
        product = z_nk @ z_nk.T if gram_of_rows else z_nk.T @ z_nk
        product.backward(grad_out)

    return call


def _seed_on(device: torch.device, seed: Callable[[], None]) -> Callable[[], None]:
    # The snippets build torch.eye without a device: make it the bench device while they run.
    def call() -> None:
        with device:
            seed()

    return call


def _losses(g_nn: torch.Tensor) -> dict[str, tuple[Callable, Callable, bool]]:
    """Per loss: ours (Z, G), the seed snippet on the dense G (Z), whether its floor is Z Z^T."""
    a, b, c = VIC_WEIGHTS
    return {
        "vicreg_loss": (
            lambda z, g: vicreg_loss(z, g, alpha=a, beta=b, gamma=c),
            lambda z: references.seed_vicreg(z, g_nn, a, b, c), False),
        "simclr_loss": (
            lambda z, g: simclr_loss(z, g, tau=TAU),
            lambda z: references.seed_simclr(z, g_nn, TAU), True),
        "barlow_twins_loss_from_relation": (
            lambda z, g: barlow_twins_loss_from_relation(z, g, alpha=BT_ALPHA, eps=BT_EPS),
            lambda z: references.seed_barlow_twins_from_relation(z, g_nn, BT_ALPHA, BT_EPS),
            False),
    }


def _variants(ours: Callable, seed: Callable, gram_of_rows: bool, z_nk: torch.Tensor,
              g_nn: torch.Tensor, relation: Relation) -> dict[str, Callable[[], None]]:
    """The four timed calls of one loss: ours with the Relation and with raw G, seed, floor."""
    return {
        "relation": lambda: _step(lambda z: ours(z, relation), z_nk),
        "raw": lambda: _step(lambda z: ours(z, g_nn), z_nk),
        "seed": _seed_on(z_nk.device, lambda: _step(seed, z_nk)),
        "floor": _floor(z_nk, gram_of_rows),
    }


def throughput_rows(n: int, k: int, device: torch.device, warmups: int, repeats: int) -> list[dict]:
    """One row per loss and dtype: medians of ours (Relation, raw G), seed, floor, and ratios."""
    rows = []
    for dtype in DTYPES:
        gen = torch.Generator().manual_seed(0)
        z_nk = torch.randn(n, k, dtype=dtype, generator=gen).to(device).requires_grad_(True)
        g_nn = views_relation(n // 2, 2, dtype=dtype, device=device)
        relation = Relation.from_tensor(g_nn)
        for name, (ours, seed, gram_of_rows) in _losses(g_nn).items():
            variants = _variants(ours, seed, gram_of_rows, z_nk, g_nn, relation)
            med = time_round_robin(variants, device, warmups, repeats)
            rows.append({
                "loss": name, "dtype": str(dtype).removeprefix("torch."), "N": n, "K": k,
                "ours, Relation (ms)": format_ms(med["relation"]),
                "ours, raw G (ms)": format_ms(med["raw"]),
                "seed (ms)": format_ms(med["seed"]), "floor (ms)": format_ms(med["floor"]),
                "ours/floor": ratio_cell(med["relation"], med["floor"], FLOOR_TARGET),
                "ours/seed": ratio_cell(med["relation"], med["seed"], SEED_TARGET),
                "raw G/seed": ratio_cell(med["raw"], med["seed"], SEED_TARGET),
                "seconds": med,
            })
    return rows


def large_simclr_row(n: int, k: int, chunk: int, device: torch.device, warmups: int,
                     repeats: int, seconds_left: float) -> dict:
    """Chunked SimCLR at a large N, if one warm-up call times the remaining calls within budget."""
    row = {"loss": f"simclr_loss chunk_size={chunk}", "dtype": "float32", "N": n, "K": k}
    gen = torch.Generator().manual_seed(0)
    z_nk = torch.randn(n, k, generator=gen).to(device).requires_grad_(True)
    relation = Relation.from_tensor(views_relation(n // 2, 2, dtype=torch.float32,
                                                   device=device, sparse=True))
    variants = {
        "relation": lambda: _step(
            lambda z: simclr_loss(z, relation, tau=TAU, chunk_size=chunk), z_nk),
        "floor": _floor(z_nk, True),
    }
    _sync(device)
    start = time.perf_counter()
    for call in variants.values():
        call()
    _sync(device)
    one_round = time.perf_counter() - start
    needed = one_round * (warmups - 1 + repeats)
    if needed > seconds_left:
        row["note"] = (f"skipped: one call of each variant took {one_round:.1f} s, the remaining "
                       f"{warmups - 1 + repeats} would need ~{needed:.0f} s, {seconds_left:.0f} s "
                       "left of the budget")
        return row
    med = time_round_robin(variants, device, max(warmups - 1, 0), repeats)
    row.update({"ours, Relation (ms)": format_ms(med["relation"]),
                "floor (ms)": format_ms(med["floor"]),
                "ours/floor": ratio_cell(med["relation"], med["floor"], FLOOR_TARGET),
                "note": "no seed: its dense (N, N) G and mask alone are 1 GiB each",
                "seconds": med})
    return row


# -- memory ---------------------------------------------------------------------------------

def _peak_rss_bytes() -> int:
    """Peak resident set of this address space: VmHWM (Linux), else ru_maxrss (KiB on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak_rss() -> None:
    """Lower the peak to the current resident set (Linux >= 4.0); a no-op elsewhere."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def memory_probe(mode: str, n: int, k: int, chunk: int, device: str) -> int:
    """Peak-memory growth in bytes of one SimCLR forward + backward (``mode`` dense or chunked).

    Method: Z (N, K) and the views Relation (sparse: a dense G would itself be (N, N)) are built
    first; the peak is then read before and after one forward + backward, in a fresh process.
    On CPU the peak is the kernel's resident-set high-water mark, the counter behind
    ``getrusage(RUSAGE_SELF).ru_maxrss``, read per address space as VmHWM from
    /proc/self/status and reset to the current resident set before the loss (write 5 to
    /proc/self/clear_refs): ru_maxrss itself also carries the parent's peak across
    ``subprocess``'s vfork + exec, which hid the chunked path's growth entirely. Without /proc,
    ru_maxrss growth is used. Memory the allocator kept from the setup can be reused, so the
    growth is a lower bound. On CUDA it is ``torch.cuda.max_memory_allocated`` after a reset.
    """
    torch.set_num_threads(THREADS)
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    z_nk = torch.randn(n, k, generator=gen).to(dev).requires_grad_(True)
    relation = Relation.from_tensor(views_relation(n // 2, 2, dtype=torch.float32, device=dev,
                                                   sparse=True))
    chunk_size = chunk if mode == "chunked" else None
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        before = torch.cuda.max_memory_allocated(dev)
    else:
        _reset_peak_rss()
        before = _peak_rss_bytes()
    simclr_loss(z_nk, relation, tau=TAU, chunk_size=chunk_size).backward()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        return torch.cuda.max_memory_allocated(dev) - before
    return _peak_rss_bytes() - before


def memory_row(n: int, k: int, chunk: int, device: str) -> dict:
    """Dense and chunked peak growth, each from a fresh ``--probe`` subprocess, and their ratio."""
    growth = {}
    for mode in ("dense", "chunked"):
        out = subprocess.run(
            [sys.executable, __file__, "--probe", mode, "--device", device,
             "--probe-size", str(n), str(k), str(chunk)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout
        growth[mode] = int(out.strip().splitlines()[-1])
    # A growth of 0 (below the page-level resolution of ru_maxrss at tiny sizes) has no ratio.
    ratio = f"{growth['dense'] / growth['chunked']:.1f}" if growth["chunked"] > 0 else "n/a"
    return {"measure": "SimCLR peak memory growth, forward + backward", "N": n, "K": k,
            "dtype": "float32", "chunk_size": chunk,
            "dense (MiB)": f"{growth['dense'] / 2**20:.1f}",
            "chunked (MiB)": f"{growth['chunked'] / 2**20:.1f}",
            "dense/chunked": ratio, "bytes": growth}


# -- report ---------------------------------------------------------------------------------

THROUGHPUT_HEADERS = ("loss", "dtype", "N", "K", "ours, Relation (ms)", "ours, raw G (ms)",
                      "seed (ms)", "floor (ms)", "ours/floor", "ours/seed", "raw G/seed", "note")
FIT_HEADERS = ("loss", "N", "K", "L-BFGS (s)", "L-BFGS iters", "L-BFGS certificate", "Adam",
               "Adam/L-BFGS")
AUDIT_HEADERS = ("profile", "mode", "wall (s)", "source")
MEMORY_HEADERS = ("measure", "N", "K", "dtype", "chunk_size", "dense (MiB)", "chunked (MiB)",
                  "dense/chunked")


def render_markdown(result: dict) -> str:
    """reports/bench.md: machine header, then the throughput, memory and not-measured tables."""
    header = "\n".join(f"- {key}: {value}" for key, value in result["machine"].items())
    sizes = result["settings"]
    return "\n\n".join([
        "# Benchmark (nox -s bench)",
        "Generated by tests/bench/run_bench.py; see its docstring for the method.",
        header,
        f"## Loss forward + backward, median of {sizes['repeats']} after {sizes['warmups']} "
        f"warm-ups, {sizes['threads']} threads",
        f"Targets: ours/floor <= {FLOOR_TARGET:g}, ours/seed <= {SEED_TARGET:g}; `gap` marks a "
        "missed target. Ratios use ours with a prebuilt Relation except `raw G/seed`.",
        markdown_table(result["throughput"], THROUGHPUT_HEADERS),
        "## SimCLR peak memory, dense vs chunked",
        "Growth of the peak (resident-set high-water mark VmHWM, the counter behind ru_maxrss, "
        "on CPU; max_memory_allocated on CUDA) over one forward + backward, each mode in a "
        "fresh subprocess after building Z and a sparse Relation; a lower bound (allocator "
        "reuse).",
        markdown_table(result["memory"], MEMORY_HEADERS),
        "## Fit time to the certificate, L-BFGS vs Adam",
        f"Views relation (V = 2), one seeded start shared by both optimisers, certificate "
        f"||g|| / max(1, |loss|) <= {CERTIFICATE:g}; Adam's best learning rate of {ADAM_LRS}, "
        f"each capped at {TARGET:g}x the L-BFGS time. Target: Adam/L-BFGS >= {TARGET:g}; "
        "`gap` marks a miss. Method: tests/bench/fits.py.",
        markdown_table(result["fits"], FIT_HEADERS),
        "## Audit wall time",
        markdown_table(result["audit"], AUDIT_HEADERS),
        "## Not measured in this version",
        markdown_table(result["not_measured"], ("measure", "gap")),
        f"Wall time of this run: {result['wall_s']:.0f} s.",
    ]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "reports",
                        help="where bench.md and bench.json go (default reports/)")
    parser.add_argument("--audit-full", action="store_true",
                        help="also time the full audit, serial and --workers 2 (~20 min more); "
                             "default: read its time from reports/claims.json")
    parser.add_argument("--probe", choices=("dense", "chunked"), help=argparse.SUPPRESS)
    parser.add_argument("--probe-size", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(memory_probe(args.probe, *args.probe_size, args.device))
        return 0

    started = time.perf_counter()
    torch.set_num_threads(THREADS)
    device = torch.device(args.device)
    size = SMOKE if args.smoke else {
        "N": N, "K": K, "LARGE_N": LARGE_N, "LARGE_K": LARGE_K, "LARGE_CHUNK": LARGE_CHUNK,
        "MEMORY_N": MEMORY_N, "MEMORY_K": MEMORY_K, "MEMORY_CHUNK": MEMORY_CHUNK,
        "REPEATS": REPEATS, "WARMUPS": WARMUPS}
    warmups, repeats = size["WARMUPS"], size["REPEATS"]
    throughput = throughput_rows(size["N"], size["K"], device, warmups, repeats)
    memory = [memory_row(size["MEMORY_N"], size["MEMORY_K"], size["MEMORY_CHUNK"], args.device)]
    seconds_left = BUDGET_S - (time.perf_counter() - started)
    throughput.append(large_simclr_row(size["LARGE_N"], size["LARGE_K"], size["LARGE_CHUNK"],
                                       device, warmups, repeats, seconds_left))
    fits = fit_rows(device, FIT_BUDGET_S, size.get("FITS", CONFIGS))
    audit = ([{"profile": "-", "mode": "-", "wall (s)": "-", "source": "not run in --smoke"}]
             if args.smoke else audit_rows(ROOT, full=args.audit_full))
    result = {
        "machine": machine_header(args.device),
        "settings": {"threads": THREADS, "warmups": warmups, "repeats": repeats,
                     "smoke": args.smoke, "budget_s": BUDGET_S, "fit_budget_s": FIT_BUDGET_S},
        "throughput": throughput,
        "memory": memory,
        "fits": fits,
        "audit": audit,
        "not_measured": [{"measure": m, "gap": f"not measured in this version: {why}"}
                         for m, why in NOT_MEASURED],
        "wall_s": time.perf_counter() - started,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "bench.md").write_text(render_markdown(result))
    (args.out_dir / "bench.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(render_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
