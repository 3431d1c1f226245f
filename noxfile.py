"""Nox sessions for losses_xp.

    nox                                  # every default session (CI: + coverage, minimums)
    nox -l                               # list sessions (* = default)
    nox -s "conformance(torch)"          # one backend of the cross-backend suite
    nox -s "conformance(jax)" -- -k bce  # arguments after -- go to pytest
    nox -t cpu                           # every CPU conformance backend
    nox -s tests-3.12                    # unit tests on one interpreter
    nox -s "conformance(cupy)"           # needs a CUDA device; skips without one
    nox -s check                         # python -m losses_xp check, all CPU backends
    nox -s coverage                      # line + branch coverage (>= 95% lines; not default)
    nox -s minimums                      # lowest claimed versions (not a default session)
    nox -s "fuzz(torch)"                 # test_properties.py, Hypothesis profile `long`
    nox -t fuzz                          # ... on every CPU backend (not a default session)
    nox -s bench                         # python -m losses_xp bench -> benchmarks/results/
    nox -s bench -- --quick              # arguments after -- go to the bench command
    nox -s adapters                      # PyTorch/Keras/sklearn adapters, DDP, 8 JAX devices
    nox -s docs                          # the documentation site -> docs/_build/html/
    nox -s vendor                        # vendored copy, fresh NumPy + PyTorch env, smoke suite
    nox -s package                       # sdist + wheel, twine check, wheel in a clean venv

Every install goes through `install()` and is pinned by constraints/ci.txt, which is
where the test dependencies' versions live (pyproject.toml keeps the package's own
dependencies loose). Locally, `nox -R` reuses the environments and skips installs.
Environments are made with uv when it is on PATH, else with virtualenv and pip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nox

nox.needs_version = ">=2024.4.15"

nox.options.error_on_missing_interpreters = True  # a missing python3.1x fails, never skips
nox.options.download_python = "never"  # use the interpreters on PATH/pyenv, never fetch one
nox.options.reuse_venv = "no"  # CI starts clean; use -R / --reuse-venv=yes locally
nox.options.error_on_external_run = True  # pytest, ruff, mypy must come from the session venv
# uv when it is installed (10x faster installs: seconds instead of ~1 min per torch session),
# else virtualenv + pip. uv does not read pip's configuration (pip.conf, PIP_*): this file
# hands it the same package sources through UV_* variables (uv_sources_from_pip below).
nox.options.default_venv_backend = "uv|virtualenv"

ROOT = Path(__file__).resolve().parent
CONSTRAINTS = str(ROOT / "constraints" / "ci.txt")

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


# --- a newcomer's machine: `pip install nox uv && nox` in a new shell must just work ----------
def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.parent.name.split("."))


def find_pyenv_interpreters(pythons: Sequence[str] = PYTHONS) -> list[str]:
    """Put the newest pyenv-installed patch release of each of ``pythons`` on PATH.

    pyenv's shims answer only for the versions selected in the shell (its global version):
    ``python3.10`` then exists on PATH but fails, and nox reports the interpreter as not
    found.  A minor version that is on PATH as a real interpreter is left alone; one that
    pyenv does not have is left for nox to report.  Returns the folders added."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    added: list[str] = []
    if not root.is_dir():
        return added
    for minor in pythons:
        found = shutil.which(f"python{minor}")
        if found and "shims" not in Path(found).parts:
            continue
        bins = [b for b in root.glob(f"{minor}.*/bin")
                if all(p.isdigit() for p in b.parent.name.split("."))
                and (b / f"python{minor}").exists()]
        if bins:
            best = str(max(bins, key=_version_key))
            os.environ["PATH"] = os.pathsep.join([best, os.environ.get("PATH", "")])
            added.append(best)
    return added


# pip option -> (uv's variable, how uv separates several values)
PIP_TO_UV = {"index-url": ("UV_INDEX_URL", None), "extra-index-url": ("UV_EXTRA_INDEX_URL", " "),
             "find-links": ("UV_FIND_LINKS", ","), "cert": ("SSL_CERT_FILE", None)}


def pip_settings(listing: str) -> dict[str, str]:
    """pip's effective options from ``pip config list`` output: an environment variable
    (``:env:``) over the ``install`` section over ``global``, as pip reads them."""
    found: dict[str, tuple[int, str]] = {}
    rank = {":env:": 3, "install": 2, "global": 1}
    for line in listing.splitlines():
        key, sep, value = line.partition("=")
        section, _, option = key.strip().rpartition(".")
        if not sep or section not in rank:
            continue
        value = value.strip().strip("'\"")
        if option not in found or rank[section] > found[option][0]:
            found[option] = (rank[section], value)
    return {option: value for option, (_, value) in found.items()}


def uv_sources_from_pip() -> dict[str, str]:
    """The package sources pip is configured with (pip.conf, ``PIP_*``), as the ``UV_*``
    variables that uv reads (uv reads no pip configuration), for each one not set already;
    uv picks the best version across all sources, as pip does, and never downloads a
    Python.  Returns what it set."""
    listing = ""
    for python in (sys.executable, shutil.which("python3")):
        if not python:
            continue
        try:
            listing = subprocess.run([python, "-m", "pip", "config", "list"], check=True,
                                     capture_output=True, text=True, timeout=60).stdout
            break
        except (OSError, subprocess.SubprocessError):
            continue
    wanted: dict[str, str] = {"UV_INDEX_STRATEGY": "unsafe-best-match",
                              "UV_PYTHON_DOWNLOADS": "never"}
    for option, value in pip_settings(listing).items():
        if option in PIP_TO_UV:
            var, sep = PIP_TO_UV[option]
            wanted[var] = sep.join(value.split()) if sep else value
    added = {k: v for k, v in wanted.items() if not os.environ.get(k)}
    os.environ.update(added)
    return added


if os.environ.get("LOSSES_XP_NOX_ENV", "1") != "0":  # (0: leave PATH and UV_* alone)
    find_pyenv_interpreters()
    uv_sources_from_pip()
# Sessions that install torch run on 3.11: the CPU wheel of the pinned torch here is cp311.
MAIN_PYTHON = "3.11"

# backend name (as given to --backend / LOSSES_XP_BACKEND) -> the package extra it needs
BACKEND_EXTRAS: dict[str, str | None] = {
    "numpy": None,
    "array_api_strict": "strict",
    "torch": "torch",
    "jax": "jax",
    "dask": "dask",
    "cupy": None,  # see CUPY_WHEEL
}
CPU_BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask")
# What every conformance run needs: the test runner and the reference ("oracle") libraries.
# torch (CPU) is the oracle for every backend; keras runs with KERAS_BACKEND=numpy, and its
# numpy backend imports jax (keras.src.backend.numpy.math), so jax is needed everywhere too;
# optax (a cross-check of the focal loss) then costs one small wheel; mpmath (already a
# dependency of torch's sympy) is the 50-digit oracle of the small log-cosh errors, named
# here so that it is never skipped for being absent; rax (Google's learning-to-rank losses on
# JAX) and pytorch-metric-learning (on the pinned torch, no torchvision) are cross-checks
# of the ranking and contrastive losses, two small pure-Python wheels; MONAI (a pure-Python
# wheel) is the cross-check of the overlap losses (Dice, Tversky, generalized Dice), kornia
# (with its kornia_rs) the Lovász losses'.
ORACLE_DEPS = ("pytest", "hypothesis", "torch", "scikit-learn", "keras", "jax", "optax", "mpmath",
               "rax", "pytorch-metric-learning", "monai", "kornia", "kornia_rs", "pytest-xdist")
# MONAI 1.6 needs torch >= 2.8, kornia 0.9 Python >= 3.11 and torch >= 2.5.1: neither installs
# beside the floors (Python 3.10, torch 2.3), so the minimums session goes without them
# (specs_segmentation.py then skips their cross-checks, saying why)
NOT_AT_FLOORS = ("monai", "kornia", "kornia_rs")
# pytest-xdist: the suite's runs use every core (-n auto, one worker per core;
# LOSSES_XP_WORKERS=N sets N, 0 runs in one process), sharing the tests out with
# worksteal: each worker starts on a contiguous share of the suite's order (tests grouped
# by input shape x dtype, so that JAX compiles each shape's programs in one worker; see
# conformance/conftest.py) and one that runs out takes tests from the end of another's.
# Measured on the 2-core CI machine, one process vs two workers: conformance(torch) 152 s
# vs 104 s (back to back), conformance(jax) 652 s vs 329 s (hours apart; the machine's
# speed varies up to 1.5x); dealing tests out one by one (--dist load)
# or by shape group (loadgroup) was slower (torch 108 s / 133 s; jax loadgroup 481 s).
# One worker is no gain: the tests run in one process either way, plus a controller that
# receives every test's report (conformance(array_api_strict): 103.5 s with `-n 1`, 87.9 s
# in one process, back to back), so LOSSES_XP_WORKERS=1 (what .ci/run gives each of its
# two sessions at a time on 2 cores) runs in one process, as 0 does.
WORKERS = os.environ.get("LOSSES_XP_WORKERS", "auto")
XDIST = ("-n", "0" if WORKERS.strip() == "1" else WORKERS, "--dist", "worksteal")
BACKEND_DEPS: dict[str, tuple[str, ...]] = {}
# The `cupy` extra names the source distribution; install a prebuilt wheel instead.
# Override with e.g. LOSSES_XP_CUPY_WHEEL=cupy-cuda13x on a CUDA 13 machine.
CUPY_WHEEL = os.environ.get("LOSSES_XP_CUPY_WHEEL", "cupy-cuda12x")

nox.options.sessions = [
    *(f"conformance({backend})" for backend in CPU_BACKENDS),
    "tests",
    "adapters",
    "lint",
    "typecheck",
    "docs",
    "vendor",
    "package",
]


def install(
    session: nox.Session,
    *requirements: str,
    extras: Sequence[str] = (),
    package: bool = True,
    constraints: str = CONSTRAINTS,
) -> None:
    """pip-install the package (with `extras`) and `requirements`, pinned by `constraints`
    (constraints/ci.txt; the build backend is always pinned by constraints/ci.txt)."""
    args = list(requirements)
    if package:
        args.insert(0, f".[{','.join(extras)}]" if extras else ".")
    start = time.perf_counter()
    session.install(
        "-c",
        constraints,
        *args,
        # Pin the build backend (hatchling) too. Environment variables rather than
        # --build-constraint, so that a pip older than 25.3 ignores it instead of failing.
        env={"PIP_BUILD_CONSTRAINT": CONSTRAINTS, "UV_BUILD_CONSTRAINT": CONSTRAINTS},
    )
    session.log(f"install took {time.perf_counter() - start:.1f} s")


def cuda_unavailable_reason() -> str | None:
    """Why no CUDA device can be used here, or None when `nvidia-smi -L` lists a GPU."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return "nvidia-smi not found"
    try:
        proc = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`nvidia-smi -L` failed: {exc}"
    if proc.returncode != 0 or "GPU" not in proc.stdout:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        detail = lines[0] if lines else "no GPU listed"
        return f"`nvidia-smi -L` exited {proc.returncode}: {detail}"
    return None


# Prints "ok" when cupy sees a CUDA device, else why not (run in the session's venv).
CUPY_PROBE = """
try:
    import cupy
    n = cupy.cuda.runtime.getDeviceCount()
    print("ok" if n > 0 else "cupy.cuda.runtime.getDeviceCount() == 0")
except Exception as exc:
    print(f"cupy.cuda.runtime.getDeviceCount() failed: {type(exc).__name__}: {exc}")
"""


def skip_without_cuda(session: nox.Session, reason: str) -> None:
    message = f"cupy: no CUDA device on this machine ({reason})"
    if os.environ.get("LOSSES_XP_REQUIRE_CUDA"):  # a GPU CI job must not pass by skipping
        session.error(message)
    session.skip(message)


@nox.session(python=MAIN_PYTHON)
@nox.parametrize(
    "backend",
    [
        nox.param(
            backend,
            id=backend,
            tags=["conformance", "gpu" if backend == "cupy" else "cpu", backend],
        )
        for backend in BACKEND_EXTRAS
    ],
)
def conformance(session: nox.Session, backend: str) -> None:
    """Cross-backend conformance suite for one backend, checked against the oracles."""
    install_conformance(session, backend)
    run_conformance(session, backend, "conformance", xla_flags=JAX_FAST_COMPILE)


# JAX eager compiles one XLA program per operation and new shape: the suite compiles tens of
# thousands of one-operation programs, and compiling is ~80% of conformance(jax)'s time.
# Without LLVM's optimisation passes, and (jaxlib >= 0.5, which has them) without the newer
# fusion emitters, XLA compiles them 30-40% faster; the arithmetic is the same IEEE one (XLA
# never enables fast-math on CPU). conformance(jax), fuzz(jax) and minimums use this;
# `coverage` runs the backend-specific tests (pinned values, fast paths) with XLA's
# defaults. docs/testing.md, "Time".
JAX_FAST_COMPILE = "--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=0"
JAX_FAST_COMPILE_FLOOR = "--xla_backend_optimization_level=0"  # jaxlib 0.4.30 knows only this


def backend_env(session: nox.Session, backend: str, xla_flags: str = "") -> dict[str, str]:
    """The variables of a pytest run on ``backend``: ``xla_flags`` added to XLA_FLAGS
    when ``backend`` is jax (a user's own XLA_FLAGS kept first)."""
    env = {"LOSSES_XP_BACKEND": backend, "KERAS_BACKEND": "numpy"}
    if backend == "jax" and xla_flags:
        env["XLA_FLAGS"] = " ".join(filter(None, (os.environ.get("XLA_FLAGS"), xla_flags)))
        session.log(f"XLA_FLAGS={env['XLA_FLAGS']} (faster compiles, noxfile.py)")
    return env


def run_conformance(session: nox.Session, backend: str, *args: str,
                    xla_flags: str = "", env: dict[str, str] | None = None) -> None:
    """pytest on the conformance suite (``args``: paths and options) for one backend
    (``xla_flags``: see :func:`backend_env`; ``env``: more variables)."""
    env = {**backend_env(session, backend, xla_flags), **(env or {})}
    session.run(
        "pytest",
        *args,
        "-p",
        "no:cacheprovider",
        *XDIST,
        f"--backend={backend}",
        *session.posargs,
        env=env,
    )


def install_conformance(session: nox.Session, backend: str) -> None:
    """What `conformance(<backend>)` installs: the backend's extra and the oracles (CuPy:
    skips, saying why, without a CUDA device)."""
    deps = [*ORACLE_DEPS, *BACKEND_DEPS.get(backend, ())]
    extra = BACKEND_EXTRAS[backend]
    if backend == "cupy":
        reason = cuda_unavailable_reason()
        if reason is not None:
            skip_without_cuda(session, reason)  # before installing anything
        deps.append(CUPY_WHEEL)
    install(session, *deps, extras=[extra] if extra else [])
    if backend == "cupy":
        probe = session.run("python", "-c", CUPY_PROBE, silent=True) or ""
        if probe.strip() != "ok":
            skip_without_cuda(session, probe.strip().splitlines()[-1] if probe.strip() else "?")


@nox.session(python=MAIN_PYTHON, default=False)
@nox.parametrize(
    "backend",
    [nox.param(backend, id=backend, tags=["fuzz", backend]) for backend in CPU_BACKENDS],
)
def fuzz(session: nox.Session, backend: str) -> None:
    """conformance/test_properties.py on one backend under the Hypothesis profile `long`.

    The property-based tests run in every conformance session under the short `ci`
    profile (conformance/conftest.py registers both); this session searches much longer
    for a counterexample, with the same install as `conformance(<backend>)`. Not a
    default session: it is a search, not a gate with a fixed cost."""
    install_conformance(session, backend)
    run_conformance(session, backend, "conformance/test_properties.py",
                    "--hypothesis-profile=long", xla_flags=JAX_FAST_COMPILE)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit tests (NumPy and array-api-strict) on every supported Python."""
    # nox: tests/test_noxfile.py imports this file (the pinned nox and its dependencies
    # need Python >= 3.11; on 3.10 that file skips, saying so)
    nox_dep = ("nox",) if session.python != "3.10" else ()
    install(session, "numpy", "pytest", "hypothesis", *nox_dep, extras=["strict"])
    session.run("pytest", "tests", *session.posargs)


# --- adapters: losses_xp inside the frameworks, and across processes -------------------------
# The framework adapters (losses_xp.torch, .keras, .sklearn, the streaming metrics) tested
# inside the real frameworks, and the distributed recipes (PyTorch DDP on gloo with two
# processes, JAX on 8 simulated devices, a dask.distributed LocalCluster). Keras fixes its
# backend when it is first imported: the Keras tests run twice, on JAX and on PyTorch.
# The pages under docs/frameworks/ are this session's doctests (they need these libraries).
ADAPTER_DEPS = ("pytest", "torch", "jax", "keras", "scikit-learn", "optax", "flax",
                "torchmetrics", "distributed", "pytorch-metric-learning")
ADAPTER_KERAS_TESTS = "adapters/test_keras.py"
FRAMEWORK_PAGES = "docs/frameworks"


@nox.session(python=MAIN_PYTHON)
def adapters(session: nox.Session) -> None:
    """The PyTorch, Keras (JAX and PyTorch backends), scikit-learn and streaming-metric
    adapters, and the distributed recipes, each inside its framework; the conformance
    kit's public API (adapters/test_testing_kit.py); the framework pages' examples."""
    install(session, *ADAPTER_DEPS, extras=["all"])
    pytest = ("pytest", "-p", "no:cacheprovider")
    session.run(*pytest, "adapters", *session.posargs, env={"KERAS_BACKEND": "jax"})
    session.run(*pytest, ADAPTER_KERAS_TESTS, *session.posargs, env={"KERAS_BACKEND": "torch"})
    pages = sorted(str(p.relative_to(ROOT)) for p in (ROOT / FRAMEWORK_PAGES).glob("*.md")
                   if ">>> " in p.read_text())
    if pages:
        session.run(*pytest, "--doctest-glob=*.md",
                    "-o", "doctest_optionflags=ELLIPSIS NORMALIZE_WHITESPACE", *pages,
                    env={"KERAS_BACKEND": "jax"})


@nox.session(python=MAIN_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check (configuration in pyproject.toml)."""
    install(session, "ruff", package=False)
    session.run("ruff", "check", ".", *session.posargs)


@nox.session(python=MAIN_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package ([tool.mypy] in pyproject.toml); pytest for the types
    of the conformance kit's pytest helper (losses_xp/testing/_pytest.py)."""
    install(session, "mypy", "pytest")
    session.run("mypy", *session.posargs)


@nox.session(python=MAIN_PYTHON, default=False)
def check(session: nox.Session) -> None:
    """`python -m losses_xp check` with every CPU backend installed."""
    install(session, extras=["all"])
    # Run from outside the checkout so that the installed package is the one imported.
    session.chdir(session.create_tmp())
    session.run("python", "-m", "losses_xp", "check", *session.posargs)


# --- coverage: line and branch coverage of losses_xp ------------------------------------------
COVERAGE_MIN_LINES = 95.0  # percent of the statements of losses_xp/ (not counting pragmas)
# One venv with every CPU backend: the unit tests, then the conformance suite once per
# backend, each a `coverage run` of its own (parallel mode, combined at the end). NumPy, the
# reference backend and the cheapest, runs the whole suite but the `backend_independent`
# tests (the registry's own checks, the oracles against each other, the contributing
# page's worked example: ~30 s under the tracer, no line of losses_xp that the rest does
# not reach, measured). The others run the tests marked `backend_paths` (pyproject.toml):
# those that reach a backend's own code (pinned values, fast paths, the backend contract,
# the two-device error rows, the fuzzer findings that were backend-specific): the whole
# suite takes minutes per backend (JAX eager: ~13) where the selection takes seconds to a
# minute, and the session fails if the selection leaves less than COVERAGE_MIN_LINES
# covered.
# test_pinned.py runs there on PyTorch only, and only the pinned value that reaches a
# fast-path branch of PyTorch that nothing else does (nll_loss of a non-contiguous 4-d
# input that requires a gradient); the others reached no line or branch that the other
# runs do not, on any backend (measured per test with coverage's dynamic contexts; JAX's
# pinned values took 48 s of the JAX selection's 97 s under the tracer, Dask's 20 of 31 s,
# PyTorch's, each compiled pin one torch.compile under the tracer, ~110 s of the session).
COVERAGE_TORCH_PINNED = "not test_pinned or 4d-class-axis-0-gradient"
COVERAGE_RUNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (every pair of the matrix reaches the lines and branches of its whole product: each
    # case in every dtype and every reduction)
    ("numpy", ("conformance", "-m", "not backend_independent", "--matrix=pairs")),
    ("torch", ("conformance", "-m", "backend_paths", "-k", COVERAGE_TORCH_PINNED)),
    *((backend, ("conformance", "-m", "backend_paths", "--ignore=conformance/test_pinned.py"))
      for backend in ("array_api_strict", "dask", "jax")),
)

# Not a default session, like minimums: CI runs it by name (.ci/run). It runs the unit
# tests and most of the conformance suite again, under coverage's tracer (~300 s on the
# 2-core CI machine): `nox` for a contributor is the conformance suite on every backend,
# the unit tests on every Python, lint, types, docs, vendoring and packaging.


@nox.session(python=MAIN_PYTHON)
def coverage(session: nox.Session) -> None:
    """Line and branch coverage of losses_xp, failing below 95% of the lines.

    The unit tests, the whole conformance suite on NumPy and its backend-specific tests on
    array-api-strict, PyTorch, Dask and JAX, in one environment. Configuration in
    pyproject.toml ([tool.coverage.*]): only `# pragma: no cover - <why>` excludes a line;
    the subprocesses that the tests start (`python -m losses_xp ...`) are measured too."""
    install(session, *ORACLE_DEPS, *ADAPTER_DEPS, "coverage", "matplotlib", extras=["all"])
    data = Path(session.create_tmp()).resolve() / "coverage"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {"COVERAGE_FILE": str(data / ".coverage"), "KERAS_BACKEND": "numpy"}
    pytest = ("coverage", "run", "-m", "pytest", "-p", "no:cacheprovider", "-q", *XDIST)
    session.run(*pytest, "tests", *session.posargs, env=env)
    for backend, args in COVERAGE_RUNS:
        # (JAX: the faster compiles of conformance(jax))
        run_env = {**env, **backend_env(session, backend, JAX_FAST_COMPILE)}
        session.run(*pytest, f"--backend={backend}", *args, *session.posargs, env=run_env)
    # the adapters in their frameworks (Keras on JAX), without the tests that start
    # processes (DDP, 8 JAX devices, a LocalCluster): they reach no line the others do not
    session.run(*pytest, "adapters", "-m", "not processes", *session.posargs,
                env={**env, "KERAS_BACKEND": "jax"})
    session.run("coverage", "combine", "--quiet", env=env)
    session.run("coverage", "report", env=env)
    report = data / "coverage.json"
    session.run("coverage", "json", "--quiet", "-o", str(report), env=env)
    totals = json.loads(report.read_text())["totals"]
    lines = 100.0 * totals["covered_lines"] / max(totals["num_statements"], 1)
    branches = 100.0 * totals["covered_branches"] / max(totals["num_branches"], 1)
    session.log(f"losses_xp: {lines:.1f}% of {totals['num_statements']} lines, "
                f"{branches:.1f}% of {totals['num_branches']} branches "
                f"({totals['excluded_lines']} lines excluded by a pragma)")
    if lines < COVERAGE_MIN_LINES:
        session.error(f"line coverage {lines:.1f}% is below {COVERAGE_MIN_LINES}%")


# --- minimums: the lowest versions that pyproject.toml claims ---------------------------------
MINIMUMS = str(ROOT / "constraints" / "minimums.txt")
# pyproject.toml's `>=` bounds that constraints/minimums.txt must pin exactly (and jaxlib == jax)
FLOORS = ("numpy", "array-api-compat", "torch", "jax")
MINIMUMS_BACKENDS = ("numpy", "torch", "jax")
# At the floors, torch and jax run a subset that still calls every loss on every value case
# under the compiler (torch.compile(fullgraph=True), jax.jit/vmap) and autodiff, against the
# oracles: what an older release breaks is tracing, dispatch and dtype handling, not the
# formulas, which conformance(<backend>) runs in full on the pinned versions. (The whole
# suite at the floors took ~17 of CI's 20 minutes: torch 2.3's inductor and JAX 0.4.30's
# eager dispatch are each several times slower than the pinned releases.)
MINIMUMS_SUBSET = (
    "--ignore=conformance/test_extreme.py",
    # whether a loss reads a value is our code's property, proven on the pinned versions
    # (~120 s at the floors); a read fails test_compile.py here too (jax.jit raises on a
    # concrete value, torch.compile(fullgraph=True) on the graph break)
    "--ignore=conformance/test_no_host_sync.py",
    # the pinned values (published values, docstring values, fuzzer findings: what a
    # formula gives at chosen points) run in full on NumPy here and on the pinned
    # torch/jax in conformance(<backend>); at the floors they cost 75 s of the session
    # (JAX 0.4.30: 52 s) and pin no tracing or dispatch that test_compile.py and
    # test_gradients.py do not reach here
    "--ignore=conformance/test_pinned.py",
    "-k",
    # ("float16" also matches bfloat16)
    "not (test_values and float16) and not test_reductions_are_consistent"
    " and not (test_gradients and not float64) and not (test_compile and float64)",
)
# torch.compile at the floor: Dynamo's capture of the whole graph (fullgraph=True) and
# AOTAutograd, what PyTorch 2.3 broke (docs/testing.md), without inductor's C++ code
# generation (~3 s per compiled test on torch 2.3). test_compile_first.py still compiles
# with inductor there, and conformance(torch) with inductor throughout on the pinned torch.
MINIMUMS_TORCH_COMPILER = "aot_eager"
MINIMUMS_SUBSET_WHY = (
    "torch and jax at the floors: a subset of the suite: the loss compiled "
    "(test_compile.py: jax.vmap, and jax.jit on the value cases that test_gradients.py does"
    " not compile, torch.compile(fullgraph=True) on two cases per loss, in float32), "
    "gradients against the oracles in float64 (test_gradients.py: on JAX under jax.jit, "
    "every value case with a gradient), values against the oracles in float32 and float64 "
    "(test_value_matches_oracle); every other file in full except test_extreme.py (extreme "
    "inputs), test_pinned.py (pinned values) and test_reductions_are_consistent (sum/mean "
    "vs none), which numpy runs in full here, and test_no_host_sync.py (whether a loss "
    "reads a value is a property of our code, not of the library's version; a read fails "
    "the compiled tests here too); conformance(torch)/conformance(jax) run all of these in "
    "full on the pinned versions. Deselected tests are counted as 'deselected', not "
    "skipped. torch.compile uses the aot_eager backend here (Dynamo and AOTAutograd without"
    " inductor's code generation; LOSSES_XP_TORCH_COMPILE_BACKEND)."
)
MINIMUMS_VERSIONS = (
    "from importlib.metadata import version as v; print('minimums: ' + ', '.join("
    "f'{p} {v(p)}' for p in ('numpy', 'array-api-compat', 'torch', 'jax', 'jaxlib')))"
)
# not a default session: heavier (PyTorch 2.3's CUDA build from PyPI, ~5.5 GB), run by name
# (`nox -s minimums`), as .ci/run does


def floor_mismatches() -> list[str]:
    """Each of FLOORS whose pin in constraints/minimums.txt is not pyproject.toml's bound."""
    import re

    from packaging.version import Version

    pyproject = (ROOT / "pyproject.toml").read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", Path(MINIMUMS).read_text(),
                           re.MULTILINE))
    bad = []
    for name in FLOORS:
        bounds = set(re.findall(rf'"{re.escape(name)}(?:\[[^\]]*\])?>=([^",;\s]+)"', pyproject))
        pin = pins.get(name)
        if len(bounds) != 1 or pin is None or Version(pin) != Version(next(iter(bounds))):
            bad.append(f"{name}: pyproject.toml >={'/'.join(sorted(bounds)) or '?'}, "
                       f"minimums.txt =={pin}")
    if pins.get("jaxlib") != pins.get("jax"):
        bad.append(f"jaxlib =={pins.get('jaxlib')} is not jax =={pins.get('jax')}")
    return bad


@nox.session(python="3.10", tags=["minimums"])
def minimums(session: nox.Session) -> None:
    """Conformance (numpy, torch, jax) on the lowest versions pyproject.toml claims.

    NumPy, array-api-compat, PyTorch and JAX at their floors on Python 3.10, with the
    newest oracles that install beside them (constraints/minimums.txt)."""
    bad = floor_mismatches()
    if bad:
        session.error("constraints/minimums.txt must pin pyproject.toml's floors: "
                      + "; ".join(bad))
    # setuptools: torch 2.3's torch.compile (inductor) imports it without declaring it
    install(session, *(d for d in ORACLE_DEPS if d not in NOT_AT_FLOORS), "setuptools",
            extras=["torch", "jax"], constraints=MINIMUMS)
    session.run("python", "-c", MINIMUMS_VERSIONS)
    for backend in MINIMUMS_BACKENDS:
        subset: tuple[str, ...] = ()
        if backend != "numpy":
            session.log(MINIMUMS_SUBSET_WHY)
            subset = MINIMUMS_SUBSET
        # the fuzzing runs on the pinned versions in every conformance(<backend>)
        # session (and at length in `fuzz`); the floors run the deterministic suite
        run_conformance(session, backend, "conformance",
                        "--ignore=conformance/test_properties.py", *subset,
                        xla_flags=JAX_FAST_COMPILE_FLOOR,
                        env={"LOSSES_XP_TORCH_COMPILE_BACKEND": MINIMUMS_TORCH_COMPILER})


# glibc: keep freed blocks up to 32 MiB on the heap (no munmap + page faults on the next call
# of the same size) and never trim the heap. Each 4M-element float32 temporary is 15.6 MiB.
BENCH_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "17179869184"}


@nox.session(python=MAIN_PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """`python -m losses_xp bench`: losses_xp vs PyTorch, optax, NumPy, scikit-learn."""
    install(session, extras=["bench"])  # torch, jax, optax, scikit-learn, matplotlib
    out = ROOT / "benchmarks" / "results"
    # Run from outside the checkout so that the installed package is the one imported.
    session.chdir(session.create_tmp())
    session.run("python", "-m", "losses_xp", "bench", "--out", str(out), *session.posargs,
                env=BENCH_ENV)


DOCS_DEPS = ("sphinx", "furo", "myst-parser", "numpydoc", "sphinx-copybutton")


@nox.session(python=MAIN_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site (warnings are errors), then run the pages' examples."""
    install(session, *DOCS_DEPS, "pytest", extras=["all"])
    out = ROOT / "docs" / "_build" / "html"
    # -W: a warning fails the build; -n: every cross-reference must resolve; -E: no cache.
    session.run("sphinx-build", "-W", "--keep-going", "-n", "-E", "-q", "-b", "html",
                "docs", str(out), *session.posargs)
    session.log(f"site: {out / 'index.html'}")
    # The `>>>` examples of the Markdown pages (the docstrings' run in the tests session).
    # contributing.md's are the docstring of the loss that the page adds, which exists only
    # once added: conformance/test_contributing.py adds it and runs them.
    pages = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")
                   if "_build" not in p.parts and p.name != "contributing.md"
                   and "frameworks" not in p.parts  # (the adapters session runs those)
                   and ">>> " in p.read_text())
    if not pages:
        session.error("no page under docs/ has a `>>>` example; expected getting_started.md")
    # (testing_your_loss.md runs the conformance kit on JAX too: its faster compiles)
    session.run("pytest", "-p", "no:cacheprovider", "--doctest-glob=*.md",
                "-o", "doctest_optionflags=ELLIPSIS NORMALIZE_WHITESPACE", *pages,
                env={"KERAS_BACKEND": "numpy",
                     **{k: v for k, v in backend_env(session, "jax", JAX_FAST_COMPILE).items()
                        if k == "XLA_FLAGS"}})


# The vendored copy runs a smoke subset of the conformance suite on PyTorch, which is also
# the oracle of most losses; a loss whose oracle is another library (scikit-learn), which
# the fresh environment does not have, is skipped saying so (--missing-oracles=skip; it
# runs in conformance(torch)).
VENDOR_SMOKE_TESTS = ("test_values.py", "test_gradients.py", "test_extreme.py",
                      "test_backend.py")


@nox.session(python=MAIN_PYTHON)
def vendor(session: nox.Session) -> None:
    """Vendor into a temporary project; test the copy in a fresh NumPy + PyTorch env."""
    install(session, "uv")
    project = Path(session.create_tmp()).resolve() / "project"  # absolute: we chdir below
    shutil.rmtree(project, ignore_errors=True)
    (project / "myproject" / "_vendor").mkdir(parents=True)
    for init in ("myproject", "myproject/_vendor"):
        (project / init / "__init__.py").write_text("")
    session.run("python", "-m", "losses_xp", "vendor", str(project / "myproject" / "_vendor"))
    shutil.copytree(ROOT / "conformance", project / "conformance",
                    ignore=shutil.ignore_patterns("__pycache__"))

    # A fresh environment with nothing but NumPy, PyTorch and the test runner: no
    # array-api-compat (the copy brings its own) and no losses_xp installed.
    venv = project / ".venv"
    python = str(venv / "bin" / "python")
    session.run("uv", "venv", "--quiet", "--python", session.virtualenv.interpreter or "3.11",
                str(venv))
    session.run("uv", "pip", "install", "--quiet", "--python", python, "-c", CONSTRAINTS,
                "numpy", "torch", "pytest")
    session.chdir(project)
    session.run(python, "-c", "import importlib.util as u, sys; "
                "bad = [m for m in ('array_api_compat', 'losses_xp') if u.find_spec(m)]; "
                "sys.exit(f'not a fresh environment: {bad} importable' if bad else 0)",
                external=True)
    session.run(python, "-m", "pytest", "-p", "no:cacheprovider", "-ra", "--backend=torch",
                "--missing-oracles=skip", *(f"conformance/{t}" for t in VENDOR_SMOKE_TESTS),
                *session.posargs,
                env={"LOSSES_XP_IMPORT": "myproject._vendor.losses_xp"}, external=True)


@nox.session(python=MAIN_PYTHON)
def package(session: nox.Session) -> None:
    """Build the sdist and wheel, check them, install the wheel into a clean venv, run it."""
    install(session, "build", "twine", "uv", package=False)
    tmp = Path(session.create_tmp()).resolve()  # absolute: we chdir below
    dist = tmp / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    # python -m build: the sdist, then the wheel built from the unpacked sdist (so a file
    # missing from the sdist fails here); hatchling pinned through PIP_CONSTRAINT.
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT),
                env={"PIP_CONSTRAINT": CONSTRAINTS})
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        session.error(f"expected one wheel and one sdist in {dist}; got {wheels + sdists}")
    session.run("twine", "check", "--strict", str(wheels[0]), str(sdists[0]))
    session.run("python", str(ROOT / ".ci" / "check_dist.py"), str(wheels[0]), str(sdists[0]))

    venv = tmp / "clean"
    shutil.rmtree(venv, ignore_errors=True)
    python = str(venv / "bin" / "python")
    session.run("uv", "venv", "--quiet", "--python", session.virtualenv.interpreter or "3.11",
                str(venv))
    # The wheel with its dependencies and the lightest backend extra: `check` then covers
    # NumPy and array-api-strict in seconds (`nox -s check` runs it on every CPU backend).
    session.run("uv", "pip", "install", "--quiet", "--python", python, "-c", CONSTRAINTS,
                f"{wheels[0]}[strict]")
    session.chdir(tmp)  # not the checkout: the installed wheel is what gets imported
    session.run(python, "-c", "import losses_xp, sys; f = losses_xp.__file__; "
                f"sys.exit(0 if f.startswith({str(venv)!r}) else f'imported {{f}}')",
                external=True)
    session.run(python, "-m", "losses_xp", "check", external=True)
