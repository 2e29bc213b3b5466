"""Time ``rnnsym report`` on defaults, cold and warm, against a baseline checkout, side by side in one run.

    python benchmarks/report_time.py [--baseline DIR] [--current DIR] [--repeats 3] [--no-stages]

Each run is a fresh process (``python -m rnnsym.cli report --out DIR``, the
command's defaults).  *Cold* is the first run in a fresh environment: a new
``RNNSYM_CACHE_DIR`` and a new ``MPLCONFIGDIR`` (so matplotlib builds its
font cache again); *warm* is the second run with the same directories.
Repeats are interleaved (baseline cold, baseline warm, current cold, current
warm, ...) so that load from other work falls on both alike; the table shows
medians of wall time and of CPU time (user + system of the whole process
tree: the command, its workers and pdflatex), which a loaded machine
inflates far less than wall time.

The baseline is a plain export of an earlier commit with its derivations
copied into the package, run with ``PYTHONPATH=DIR``::

    mkdir /tmp/jbase && git archive HEAD | tar -x -C /tmp/jbase
    cp -r /tmp/jbase/derivations /tmp/jbase/rnnsym/derivations

Every run must pass; the script also checks that both versions ran the same
checks with the same examples (per derivation: examples per check and the
worst error), and prints each version's per-stage CPU shares from one
in-process ``--jobs 1`` run (derive, verify, typeset, figures, kernel
compiles inside derive and verify, the LaTeX document, pdflatex, HTML,
Markdown) and its import time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run in a child process (python -c) with the version under test on its path: per-stage CPU seconds of
# one in-process report (jobs=1), printed as JSON on the last line of stdout.
_STAGES = r'''
import json, resource, sys, tempfile, time
def now():   # CPU seconds of this process and of its finished children (pdflatex)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
t0 = now()
import rnnsym.cli, rnnsym.report.command
from rnnsym.report import build
import rnnsym.derivation as derivation, rnnsym.kernel as kernel
spent = {"import": now() - t0}
depth = [0]
def timed(owner, attr, stage, nested=False):
    original = getattr(owner, attr)
    def wrapper(*args, **kwargs):
        outer = depth[0] == 0 or nested
        depth[0] += 0 if nested else 1
        start = now()
        try:
            return original(*args, **kwargs)
        finally:
            depth[0] -= 0 if nested else 1
            if outer:
                spent[stage] = spent.get(stage, 0.0) + now() - start
    setattr(owner, attr, wrapper)
timed(build, "derive", "derive")
timed(derivation.Derivation, "verify", "verify")
for attr in ("latex", "markdown", "as_dict"):
    timed(derivation.Derivation, attr, "typeset")
timed(build, "notation_rows", "typeset")
if hasattr(build, "render_cached"):   # the figure cache (current): its look-ups count as figures too
    timed(build, "render_cached", "figures")
timed(build._figures, "render_figure", "figures")
timed(build, "_latex", "latex document")
timed(build, "compile_pdf", "pdflatex")
timed(build, "html_report", "html")
timed(build, "markdown_report", "markdown")
timed(kernel.Kernel, "__init__", "of which kernel compiles", nested=True)
start = now()
out = tempfile.mkdtemp()
report = build.build_report(out + "/report", jobs=1, progress=False)
spent["total"] = now() - start + spent["import"]
assert report.exit_status == 0, report.failed
print(json.dumps(spent))
'''


def _environment(baseline: Path | None, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RNNSYM_NO_CACHE")}
    if baseline is not None:
        env["PYTHONPATH"] = str(baseline)
    env["RNNSYM_CACHE_DIR"] = str(cache / "rnnsym-cache")   # not "rnnsym": cwd is on sys.path
    env["MPLCONFIGDIR"] = str(cache / "matplotlib")
    return env


def _run(env: dict[str, str], out: Path) -> tuple[float, float]:
    """One ``rnnsym report`` in a fresh process: (wall seconds, CPU seconds of the process tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rnnsym.cli", "report", "--out", str(out)], env=env,
                          capture_output=True, text=True, cwd=out.parent)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"rnnsym report failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _checks(out: Path) -> dict[str, object]:
    """Per derivation: whether it passed, examples per check and worst errors (3 significant digits)."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    table: dict[str, object] = {}
    for d in summary["derivations"]:
        v = d["verification"]
        checks = v.get("checks") or [v]
        table[d["name"]] = (v["passed"], [c["examples"] for c in checks],
                            [None if c["worst_error"] is None else float(f"{c['worst_error']:.3g}") for c in checks])
    return table


def _stages(baseline: Path | None, cache: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", _STAGES], env=_environment(baseline, cache), capture_output=True,
                          text=True, cwd=cache)
    if proc.returncode != 0:
        raise SystemExit(f"stage run failed:\n{proc.stderr[-3000:]}")
    spent: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("/tmp/jbase"),
                        help="an export of the baseline commit with derivations/ copied into rnnsym/")
    parser.add_argument("--current", type=Path, default=None,
                        help="time an export like --baseline's instead of the installed checkout (a snapshot "
                             "that does not change while the benchmark runs)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage CPU shares")
    args = parser.parse_args()
    current = args.current.resolve() if args.current is not None else None
    label = "current" if current is None else f"current ({args.current})"
    versions: dict[str, Path | None] = {label: current}
    if (args.baseline / "rnnsym" / "derivations").is_dir():
        versions = {f"baseline ({args.baseline})": args.baseline.resolve(), label: current}
    else:
        print(f"no baseline at {args.baseline}: timing the current checkout only")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cores} cores, load average {os.getloadavg()[0]:.1f} at the start; {args.repeats} repeats, interleaved")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    checks: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="report-time-") as scratch:
        for repeat in range(args.repeats):
            for label, path in versions.items():
                cache = Path(tempfile.mkdtemp(dir=scratch))   # a fresh environment: cold, then warm
                for kind in ("cold", "warm"):
                    out = Path(tempfile.mkdtemp(dir=scratch)) / "report"
                    times.setdefault((label, kind), []).append(_run(_environment(path, cache), out))
                    checks[label] = _checks(out)
                    wall, cpu = times[(label, kind)][-1]
                    print(f"  run {repeat + 1}: {label:<28} {kind}: {wall:6.1f} s wall, {cpu:6.1f} s CPU", flush=True)
        if args.repeats > 0:
            print(f"\nrnnsym report on defaults, median of {args.repeats} (load average now "
                  f"{os.getloadavg()[0]:.1f}); CPU = user + system of the process tree")
            print(f"{'version':<30} {'cold wall':>10} {'cold CPU':>10} {'warm wall':>10} {'warm CPU':>10}")
            medians: dict[tuple[str, str], tuple[float, float]] = {}
            for label in versions:
                row = []
                for kind in ("cold", "warm"):
                    runs = times[(label, kind)]
                    medians[(label, kind)] = (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
                    row += [f"{medians[(label, kind)][0]:9.1f}s", f"{medians[(label, kind)][1]:9.1f}s"]
                print(f"{label:<30} " + " ".join(f"{x:>10}" for x in row))
            if len(versions) == 2:
                base, cur = list(versions)
                print(f"{'current / baseline':<30} " + " ".join(
                    f"{medians[(cur, kind)][i] / medians[(base, kind)][i]:>10.2f}" for kind in ("cold", "warm")
                    for i in (0, 1)))
                same = checks[base] == checks[cur]
                print(f"same checks, examples and worst errors in both versions: {same}")
                if not same:
                    for name in checks[cur]:
                        if checks[base].get(name) != checks[cur].get(name):
                            print(f"  {name}: baseline {checks[base].get(name)}  current {checks[cur].get(name)}")
        if not args.no_stages:
            print("\nper-stage CPU seconds (share of the total), one in-process run with --jobs 1 in a fresh "
                  "environment (cold), then a second (warm)")
            shares: dict[str, dict[str, float]] = {}
            for label, path in versions.items():
                cache = Path(tempfile.mkdtemp(dir=scratch))
                for kind in ("cold", "warm"):
                    shares[f"{label.split()[0]} {kind}"] = _stages(path, cache)
            stages = list(dict.fromkeys(k for spent in shares.values() for k in spent))
            print(f"{'stage':<30}" + "".join(f"{column:>24}" for column in shares))
            for stage in stages:
                cells = []
                for spent in shares.values():
                    value = spent.get(stage)
                    cells.append("n/a" if value is None else f"{value:5.2f} s ({100 * value / spent['total']:4.1f}%)")
                print(f"{stage:<30}" + "".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
