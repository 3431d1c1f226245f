"""Run `nox`'s default sessions, and the sessions named as arguments (e.g. `minimums`), as
`nox -s <session>`, N at a time (CI_JOBS, default 2):

    python .ci/parallel_nox.py coverage minimums  # `nox`, `nox -s coverage`, `nox -s minimums`

The CI machine has 2 cores and most sessions keep one busy, so two at a time halves the
wall clock; each session's pytest then gets cores / N workers (LOSSES_XP_WORKERS; one
worker runs in one process, without pytest-xdist's controller: noxfile.py's XDIST).
Longest first (JAX's eager conformance), so the short ones fill the other slot. Each
session's output is printed in one piece when it ends; .ci/.out/nox.log gets them all in
session order, .ci/.out/nox-report.json the merged `--report` of every session. Exit
status: the largest of the sessions' exit statuses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

OUT = Path(".ci/.out")
# conformance(jax) (~13 min) fills one slot; the others fill the second, longest first
# (minimums ~7 min, coverage ~4)
LONGEST_FIRST = ["conformance(jax)", "minimums", "coverage", "conformance(dask)",
                 "conformance(torch)"]


def main() -> int:
    jobs = int(os.environ.get("CI_JOBS", "2"))
    # Each session's pytest runs on every core (pytest-xdist, noxfile.py's XDIST) unless
    # told otherwise: with `jobs` sessions at a time, each gets its share of the cores.
    # (Two sessions with two workers each on 2 cores: minimums took 532 s, against 239 s
    # alone with two workers and 354-387 s two at a time with one process each.)
    workers = max(1, (os.cpu_count() or 1) // jobs)
    os.environ.setdefault("LOSSES_XP_WORKERS", str(workers))
    listed = subprocess.run(["nox", "-l", "--json"], capture_output=True, text=True,
                            check=True, stdin=subprocess.DEVNULL)
    names = [s["session"] for s in json.loads(listed.stdout)]
    names += [s for s in sys.argv[1:] if s not in names]  # heavier sessions, by name
    names = [s for s in LONGEST_FIRST if s in names] + [s for s in names
                                                       if s not in LONGEST_FIRST]
    print(f"{len(names)} sessions, {jobs} at a time, LOSSES_XP_WORKERS="
          f"{os.environ['LOSSES_XP_WORKERS']}: {', '.join(names)}", flush=True)

    def run(item: tuple[int, str]) -> int:
        i, name = item
        log, report = OUT / f"session-{i:02d}.log", OUT / f"session-{i:02d}.json"
        t0 = time.time()
        with log.open("w") as fh:
            rc = subprocess.run(["nox", "-s", name, "--report", str(report)], stdout=fh,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        sys.stdout.write(f"\n===== {name}: exit {rc} after {time.time() - t0:.0f} s =====\n"
                         + log.read_text(errors="replace"))
        sys.stdout.flush()
        return rc

    with ThreadPoolExecutor(jobs) as pool:
        codes = list(pool.map(run, enumerate(names)))

    merged = []
    for i in range(len(names)):
        report = OUT / f"session-{i:02d}.json"
        if report.exists():
            merged += json.loads(report.read_text())["sessions"]
    (OUT / "nox-report.json").write_text(json.dumps({"sessions": merged}))
    (OUT / "nox.log").write_text("".join((OUT / f"session-{i:02d}.log").read_text(
        errors="replace") for i in range(len(names))))
    return max(codes, default=1)


if __name__ == "__main__":
    sys.exit(main())
