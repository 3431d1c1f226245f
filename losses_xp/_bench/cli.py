"""The command line of ``python -m losses_xp bench``: its options, their checks, the run."""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from pathlib import Path
from typing import TextIO

from .._check import _parse_list
from .options import (
    BACKENDS,
    DEFAULT_MIN_TIME,
    DEFAULT_ROUNDS,
    DEFAULT_SIZES,
    QUICK_MIN_TIME,
    QUICK_ROUNDS,
    QUICK_SIZES,
    Options,
)
from .pairs import QUICK_COMPILED, all_losses
from .report import _size
from .runner import bench

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backends", metavar="A,B",
        help=f"comma-separated subset of {','.join(BACKENDS)} (default: every installed one; "
             f"torch includes torch.compile unless --no-compile); one named here that "
             f"cannot run is a failure")
    parser.add_argument("--losses", metavar="A,B",
                        help="comma-separated losses_xp names (default: every one with a "
                             "native counterpart)")
    parser.add_argument("--sizes", metavar="N,N",
                        help="comma-separated total element counts, e.g. 1e2,1e6 (default "
                             f"{','.join(map(_size, DEFAULT_SIZES))}; --quick: "
                             f"{','.join(map(_size, QUICK_SIZES))})")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ROUNDS} rounds of >= {QUICK_MIN_TIME * 1e3:g} ms, sizes "
                             f"{','.join(map(_size, QUICK_SIZES))}, torch.compile for "
                             f"{', '.join(QUICK_COMPILED)} forward at the smallest size "
                             "only: under a minute")
    parser.add_argument("--rounds", type=int, metavar="R",
                        help=f"interleaved rounds (default {DEFAULT_ROUNDS}; --quick "
                             f"{QUICK_ROUNDS})")
    parser.add_argument("--min-time", type=float, metavar="MS",
                        help=f"milliseconds per batch of calls (default "
                             f"{DEFAULT_MIN_TIME * 1e3:g}; --quick {QUICK_MIN_TIME * 1e3:g})")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="skip torch.compile(fullgraph=True)")
    parser.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the peak-memory measurement")
    parser.add_argument("--no-plot", dest="plot", action="store_false",
                        help="do not draw ratios.png")
    parser.add_argument("--no-value-checks", dest="value_check_modes", action="store_false",
                        help="skip the value-check section (PyTorch eager, forward: ours "
                             "under each value-check mode, at the smallest and the largest "
                             "size)")
    parser.add_argument("--update-docs", action="store_true",
                        help="after a full run (every default: no --quick, --sizes, "
                             "--losses, --backends subset, ...), rewrite the generated "
                             "blocks (<!-- bench:NAME --> ... <!-- /bench:NAME -->) of "
                             "README.md and docs/performance.md, relative to the current "
                             "directory, and copy the run's files into docs/performance/")
    parser.add_argument("--out", default="benchmarks/results", metavar="DIR",
                        help="folder of results.md (the full report; the standard output "
                             "gets a summary), results.json, ratios.png (default "
                             "benchmarks/results, relative to the current directory)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                        help="device of the torch and JAX arrays (default cpu)")
    parser.add_argument("--torch-threads", type=int, metavar="N",
                        help="torch.set_num_threads(N) (default: PyTorch's default, recorded in "
                             "the header; 1 avoids OpenMP stalls on a busy machine)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks of errors")


def _parse_sizes(value: str) -> list[int]:
    sizes = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        n = float(item)
        if not math.isfinite(n) or n < 1 or n != round(n):
            raise ValueError(f"a size must be a whole number of elements >= 1; got {item!r}")
        sizes.append(int(n))
    if not sizes:
        raise ValueError("no size given")
    return sorted(set(sizes))


def _command_line() -> str:
    argv = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    return shlex.join(argv)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``python -m losses_xp bench`` (``args`` from :func:`add_arguments`)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    requested = _parse_list(args.backends)
    if requested is not None:
        unknown = [b for b in requested if b not in BACKENDS]
        if unknown or not requested:
            print(f"error: unknown backend(s) {unknown or requested}; choose from "
                  f"{', '.join(BACKENDS)}", file=err)
            return 2
    losses = _parse_list(args.losses)
    if losses is not None:
        unknown = sorted(set(losses) - all_losses())
        if unknown or not losses:
            print(f"error: no native counterpart is benchmarked for {unknown or losses}; "
                  f"choose from {', '.join(sorted(all_losses()))}", file=err)
            return 2
    try:
        sizes = _parse_sizes(args.sizes) if args.sizes else list(
            QUICK_SIZES if args.quick else DEFAULT_SIZES)
    except ValueError as exc:
        print(f"error: --sizes: {exc}", file=err)
        return 2
    rounds = args.rounds if args.rounds is not None else (
        QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    min_time = args.min_time / 1e3 if args.min_time is not None else (
        QUICK_MIN_TIME if args.quick else DEFAULT_MIN_TIME)
    if rounds < 1 or not min_time >= 0:
        print("error: --rounds must be >= 1 and --min-time >= 0", file=err)
        return 2
    if args.torch_threads is not None and args.torch_threads < 1:
        print("error: --torch-threads must be >= 1", file=err)
        return 2
    opts = Options(
        backends=list(dict.fromkeys(requested or BACKENDS)), explicit=requested is not None,
        losses=losses, sizes=sizes, rounds=rounds, min_time=min_time, quick=args.quick,
        compile=args.compile, memory=args.memory, plot=args.plot,
        value_check_modes=args.value_check_modes, update_docs=args.update_docs,
        device=args.device,
        torch_threads=args.torch_threads, out=Path(args.out), seed=args.seed,
        command=getattr(args, "command_line", None) or _command_line(), verbose=args.verbose)
    return bench(opts, out, err)
