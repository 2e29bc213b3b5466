"""Profile ``rnnsym report``: total wall time and where it goes (cProfile, top functions).

    python benchmarks/report_profile.py [--top 25] [--repeats 5] [--out DIR]

Runs the report (``rnnsym.report``) once under cProfile in one process
(``--jobs 1``, so the profile sees every derivation) and prints the functions
with the largest cumulative time, then times ``--repeats`` plain runs of the
command as users run it (default ``--jobs``, the user's cache; median).  Skips when ``rnnsym.report`` does
not exist yet.  ``benchmarks/report_time.py`` times cold and warm runs against a baseline checkout.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import pstats
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    try:
        importlib.import_module("rnnsym.report")
    except ImportError:
        print("rnnsym.report does not exist yet: nothing to profile")
        return
    from rnnsym.cli import main as cli

    with tempfile.TemporaryDirectory() as folder:
        profile = cProfile.Profile()
        profile.enable()
        try:
            cli(["report", "--out", f"{folder}/report", "--jobs", "1"])
        except SystemExit:
            pass
        profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(args.top)
    print(text.getvalue())
    times = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "rnnsym.cli", "report", "--out", f"{folder}/report"],
                           check=False, capture_output=True)
            times.append(time.perf_counter() - t)
    print(f"rnnsym report: median {statistics.median(times):.1f} s over {args.repeats} runs (issue 18: under 10 s "
          "warm, 20 s cold on two quiet cores; benchmarks/report_time.py times cold and warm against a baseline)")


if __name__ == "__main__":
    main()
