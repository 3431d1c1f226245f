"""The cross-backend conformance suite: choose one backend per run.

    pytest conformance --backend=torch          # or LOSSES_XP_BACKEND=torch pytest conformance

Backends: numpy (default), array_api_strict, torch, jax, dask, cupy.  An unknown backend,
or one whose library cannot be imported, is a usage error (exit status 4), never a
silent skip.  The only skip is CuPy on a machine without a CUDA device: every test is
then skipped with that reason, printed in the header and in the ``-ra`` summary.

array-api-strict runs in its strictest mode for the whole session (the newest released
standard, no extensions, no boolean indexing, no data-dependent shapes) on three
devices: ``CPU_DEVICE``, ``device1`` and ``no_float64``.

Tests are parametrized by :func:`pytest_generate_tests` from the registry:
``@pytest.mark.matrix(check=<name>)`` gives the test the cells of that check of the
conformance kit (``losses_xp.testing._checks.CHECKS``; ``losses_xp.testing._matrix.cells``)
as ``combo`` (backend × spec × case × dtype × reduction), or ``point`` where it asks for
that; a test that asks for ``bk`` gets one backend object per device.  The matrix tests
run each cell with the kit's ``run_cell``: the suite is a user of the public kit.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from . import _vendored

VENDORED = _vendored.alias()  # before the first `import losses_xp` (see _vendored.py)

import losses_xp  # noqa: E402
from losses_xp._testing.backends import (  # noqa: E402
    BACKENDS,
    Backend,
    BackendUnavailable,
    NoDevice,
    devices_under_test,
    get_backend,
    one_chunk,
)
from losses_xp.testing import _cells  # noqa: E402
from losses_xp.testing._cells import Combo  # noqa: E402
from losses_xp.testing._checks import CHECKS  # noqa: E402
from losses_xp.testing._matrix import (  # noqa: E402
    REFERENCE_BACKEND,
    backend_skip,
    cells,
    full_matrix,
    set_strict_flags,
    unsupported,
)

from .registry import SPECS  # noqa: E402

ENV_VAR = "LOSSES_XP_BACKEND"

# Hypothesis profiles of test_properties.py (property-based fuzzing of every loss).
# "ci", loaded unless --hypothesis-profile names another: derandomized (every run draws
# the same examples), few examples, no example database, no deadline (a first call may
# compile).  "long" (pytest --hypothesis-profile=long; `nox -s fuzz`): many examples from
# a random seed, failures kept in .hypothesis/ and replayed first.  hypothesis is not
# installed where only other files of the suite run (the vendored smoke test).
HYPOTHESIS_PROFILE = "ci"
with contextlib.suppress(ImportError):
    from hypothesis import HealthCheck
    from hypothesis import settings as _hypothesis_settings

    _SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
    _hypothesis_settings.register_profile(
        "ci", max_examples=10, derandomize=True, deadline=None, database=None,
        suppress_health_check=_SLOW_OK)
    _hypothesis_settings.register_profile(
        "long", max_examples=200, deadline=None, suppress_health_check=_SLOW_OK)


def _load_hypothesis_profile(config: pytest.Config) -> str | None:
    """Load the ``ci`` profile unless ``--hypothesis-profile`` chose one; return the
    active profile's name (``None`` without hypothesis)."""
    if importlib.util.find_spec("hypothesis") is None:
        return None
    from hypothesis import settings

    if not config.getoption("--hypothesis-profile", default=None):
        settings.load_profile(HYPOTHESIS_PROFILE)
    return str(settings.get_current_profile_name())


@dataclass
class Session:
    name: str
    backends: list[Backend] = field(default_factory=list)
    skip_reason: str | None = None
    jax_cache_dir: str | None = None  # this run's compilation cache (removed at exit)


SESSION_KEY = pytest.StashKey[Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("losses_xp conformance")
    with contextlib.suppress(ValueError):  # already added by another conftest of the run
        group.addoption(
            "--backend", action="store", default=None,
            help=f"array library under test: {', '.join(BACKENDS)} (default: ${ENV_VAR} "
                 "or numpy)")
        group.addoption(
            "--missing-oracles", choices=("error", "skip"), default="error",
            help="what a test whose oracle library (scikit-learn, Keras ...) is not "
                 "installed does: fail (default) or skip with that reason")
        group.addoption(
            "--matrix", choices=("auto", "full", "pairs"), default="auto",
            help="the case x dtype x reduction matrix: every combination ('full'), or "
                 "every pair of them ('pairs': each case in every dtype and every "
                 "reduction, each dtype in every reduction, with a third of the tests); "
                 "'auto' (default): full on numpy, the reference, pairs elsewhere")


def _resolve(config: pytest.Config) -> Session:
    name = (config.getoption("--backend", default=None) or os.environ.get(ENV_VAR)
            or "numpy").strip()
    if name not in BACKENDS:
        raise pytest.UsageError(
            f"unknown backend {name!r} (from --backend or ${ENV_VAR}); expected one of "
            f"{', '.join(BACKENDS)}")
    session = Session(name)
    try:
        base = get_backend(name)
        base.load()
        session.backends = [get_backend(name, d) for d in devices_under_test(name)]
        for bk in session.backends:
            bk.load()
    except NoDevice as exc:
        session.skip_reason = f"{name}: {exc}"
        return session
    except BackendUnavailable as exc:
        raise pytest.UsageError(
            f"backend {name!r} was requested but is not usable: {exc}. Install it "
            f"(pip install 'losses_xp[{name}]') or choose another --backend.") from exc
    if name == "array_api_strict":
        import array_api_strict

        # its strictest mode for the whole session (the kit's: no boolean indexing, no
        # data-dependent shapes, no extensions, the newest released standard)
        set_strict_flags(array_api_strict)
    if name == "jax":
        session.jax_cache_dir = _jax_compilation_cache()
    _single_threaded_torch_oracles(name)
    return session


def _jax_compilation_cache() -> str | None:
    """Turn on JAX's persistent compilation cache, in a directory of this run only.

    Eager JAX compiles every operation for each new shape and dtype, and keeps only the
    latest ~2000 compilations in memory (fewer: see :func:`pytest_runtest_teardown`): a
    program needed again after that is read back from this cache instead of compiled
    (the same executable: no numerical change).  A cache directory of the user's own
    (``JAX_COMPILATION_CACHE_DIR``) is left alone.
    """
    import jax

    if jax.config.jax_compilation_cache_dir:
        return None
    path = tempfile.mkdtemp(prefix="losses_xp-jax-cache-")
    jax.config.update("jax_compilation_cache_dir", path)
    for option, value in (("jax_persistent_cache_min_compile_time_secs", 0.0),
                          ("jax_persistent_cache_min_entry_size_bytes", -1)):
        with contextlib.suppress(AttributeError):  # an option older JAX versions lack
            jax.config.update(option, value)
    return path


def _single_threaded_torch_oracles(name: str) -> None:
    """The PyTorch oracles work on tiny float64 tensors: one intra-op thread.

    With two (the default on a 2-core machine), an operation that enters a parallel
    region waits for the second thread at its barrier, and on a loaded machine (CI runs
    two sessions at a time) that thread is often descheduled: ~5 ms per oracle call
    instead of microseconds (every oracle value and gradient of the matrix: 26 s with
    two threads, 3 s with one, the same bit for bit).  Not when PyTorch is the library
    under test: its session runs PyTorch as a user would.
    """
    if name == "torch" or importlib.util.find_spec("torch") is None:
        return
    import torch

    torch.set_num_threads(1)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SESSION_KEY] = _resolve(config)
    _cells.MISSING_ORACLES_SKIP[0] = config.getoption("--missing-oracles",
                                                       default="error") == "skip"
    _load_hypothesis_profile(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None and session.jax_cache_dir:
        shutil.rmtree(session.jax_cache_dir, ignore_errors=True)


def session_of(config: pytest.Config) -> Session:
    return config.stash[SESSION_KEY]


def pytest_report_header(config: pytest.Config) -> list[str]:
    s = session_of(config)
    if s.skip_reason:
        return [f"losses_xp conformance: backend={s.name}: SKIPPED ({s.skip_reason})"]
    bk = s.backends[0]
    devices = ", ".join(str(b.device_name) for b in s.backends)

    source = f"vendored copy {VENDORED}" if VENDORED else "losses_xp"
    return [f"losses_xp conformance: backend={s.name} {bk.version()} devices=[{devices}] "
            f"dtypes={list(bk.dtypes)}",
            f"package under test: {source} {losses_xp.__version__} from "
            f"{os.path.dirname(losses_xp.__file__)}; array-api-compat from "
            f"{os.path.dirname(losses_xp._compat._aac.__file__)}",
            *_hypothesis_header()]


def _hypothesis_header() -> list[str]:
    if importlib.util.find_spec("hypothesis") is None:
        return []
    from hypothesis import settings

    d = settings.default
    return [f"hypothesis profile {settings.get_current_profile_name()!r} (test_properties.py):"
            f" max_examples={d.max_examples} per loss and property, derandomize="
            f"{d.derandomize}; --hypothesis-profile=long for the long run"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    s = session_of(config)
    if s.skip_reason:
        terminalreporter.write_line(f"losses_xp conformance skipped entirely: {s.skip_reason}",
                                    yellow=True)


# --------------------------------------------------------------------------- parametrization

def _skipped(reason: str, id: str = "skipped") -> list[Any]:
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id=id)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    s = session_of(metafunc.config)
    marker = metafunc.definition.get_closest_marker("matrix")
    if "bk" in metafunc.fixturenames:
        if s.skip_reason:
            metafunc.parametrize("bk", _skipped(s.skip_reason))
        else:
            metafunc.parametrize("bk", s.backends, ids=[str(b.device_name) for b in s.backends])
    if marker is None:
        return
    arg = "point" if "point" in metafunc.fixturenames else "combo"
    if s.skip_reason:
        metafunc.parametrize(arg, _skipped(s.skip_reason))
        return
    check = CHECKS[marker.kwargs["check"]]
    why = backend_skip(check, s.backends[0])
    if why is not None:
        metafunc.parametrize(arg, _skipped(why))
        return
    matrix = metafunc.config.getoption("--matrix", default="auto")
    full = full_matrix(matrix, s.name)
    params: list[Any] = []
    for bk in s.backends:
        for name in sorted(SPECS):
            spec = SPECS[name]
            why = unsupported(spec, s.name, check.needs)
            if why is not None:
                if bk is s.backends[0]:
                    params += _skipped(why, id=f"{name}-unsupported")
                continue
            params += [pytest.param(c, id=c.id(len(s.backends) > 1))
                       for c in cells(check, spec, bk, full=full)]
    if not params:
        metafunc.parametrize(arg, _skipped(f"nothing in the matrix applies to {s.name}"))
        return
    metafunc.parametrize(arg, params)


def _sorting_function(params: Any) -> bool:
    """Whether a test's parameters name a function declared ``sorts`` (a loss name, a
    spec, a matrix combination or point, a catalogue function, a declaration)."""
    from losses_xp._declare import Declaration

    for v in params.values():
        decl = None
        if isinstance(v, str) and v in SPECS:
            decl = SPECS[v].decl
        elif isinstance(v, Declaration):
            decl = v
        elif isinstance(getattr(v, "decl", None), Declaration):
            decl = v.decl
        elif isinstance(getattr(getattr(v, "spec", None), "decl", None), Declaration):
            decl = v.spec.decl
        if decl is not None and decl.sorts:
            return True
    return False


@pytest.fixture(autouse=True)
def _one_chunk_for_sorting_functions(request: pytest.FixtureRequest) -> Any:
    """A function declared ``sorts`` gets its Dask arrays in one chunk (the sorted axis
    must be one; its spec checks the error and the other axes chunked)."""
    callspec = getattr(request.node, "callspec", None)
    on = callspec is not None and _sorting_function(callspec.params)
    with one_chunk(on):
        yield


# --------------------------------------------------------------------------- declared support

#: loss name -> outcome -> count, of the value matrix (``test_value_matches_oracle``)
OUTCOMES_KEY = pytest.StashKey[dict[str, dict[str, int]]]()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the value matrix's outcomes per loss, for :func:`pytest_sessionfinish`."""
    if "test_value_matches_oracle[" not in report.nodeid or not _CONFIG:
        return
    if report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    name = report.nodeid.split("[", 1)[1].split("-", 1)[0]
    counts = _CONFIG[0].stash.setdefault(OUTCOMES_KEY, {}).setdefault(name, {})
    counts[report.outcome] = counts.get(report.outcome, 0) + 1


_CONFIG: list[pytest.Config] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG[:] = [session.config]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run where it disagrees with the declared support: a loss declared to
    support the session's backend whose value matrix never ran, or one declared
    unsupported that ran.  Only for a run of the whole value matrix (no ``-k``/``-m``
    selection), where every declared function has its tests collected."""
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker ran a share; the controller sees every report
    s = session.config.stash.get(SESSION_KEY, None)
    outcomes = session.config.stash.get(OUTCOMES_KEY, None)
    if s is None or s.skip_reason or outcomes is None:
        return
    if session.config.option.keyword or session.config.option.markexpr:
        return
    if session.config.getoption("--missing-oracles", default="error") == "skip":
        return  # a deliberately partial run (a bare environment)
    from .support_matrix import disagreements

    problems = disagreements(s.name, outcomes)
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            for p in problems:
                reporter.write_line(f"DECLARED SUPPORT DISAGREES: {p}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _matrix_group(item: pytest.Item) -> tuple[Any, ...] | None:
    callspec = getattr(item, "callspec", None)
    combo = callspec.params.get("combo") if callspec is not None else None
    if not isinstance(combo, Combo):
        return None
    shapes = tuple(tuple(np.shape(a)) for a in combo.case.args)
    return (str(combo.bk.device_name), shapes, combo.dtype, combo.spec.name, combo.case.name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the matrix tests of one input shape × dtype back to back, case by case.

    The matrix's files (values, reductions, gradients, compile, extreme) call the losses
    on the same inputs, and the ~560 cases of all losses share ~40 input shapes.  JAX
    compiles every eager operation for each new shape and dtype and keeps only the latest
    ~2000 compilations in memory: in file and loss order, the suite's ~7800 distinct
    programs were evicted before their next use and ~3700 compiled (lowered, at least)
    again.  Ordered by shape and dtype, they are reused while they are cached.  Tests
    outside the matrix keep their order and run first; the tests of one case run one
    after the other, in file order.

    Under pytest-xdist (the nox sessions) ``--dist worksteal`` keeps this order: each
    worker starts on a contiguous share of it, and one that runs out takes tests from
    the end of another's share (``--dist load`` deals them out one by one, and each
    worker would compile every shape's programs).
    """
    _skip_backend_independent(config, items)
    keyed = [(_matrix_group(item), i, item) for i, item in enumerate(items)]
    plain = [item for group, _, item in keyed if group is None]
    matrix = sorted(((g, i, item) for g, i, item in keyed if g is not None),
                    key=lambda t: (t[0], t[1]))
    items[:] = plain + [item for _, _, item in matrix]


def _skip_backend_independent(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``backend_independent`` (the registry's own checks, the oracles against
    each other, the contributing page's worked example) assert nothing about the backend
    under test: they run in the reference backend's session only, and every other
    session skips them saying where they run (each ran in every session: ~10 s of
    oracle cross-checks per session)."""
    s = session_of(config)
    if s.skip_reason or s.name == REFERENCE_BACKEND:
        return
    skip = pytest.mark.skip(reason=f"backend-independent: runs once, with "
                                   f"--backend={REFERENCE_BACKEND}")
    for item in items:
        if item.get_closest_marker("backend_independent") is not None:
            item.add_marker(skip)


def _jax_cache_group(item: pytest.Item) -> tuple[Any, ...]:
    group = _matrix_group(item)
    return (item.path,) if group is None else group[:3]  # (device, shapes, dtype)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """JAX: drop the compiled programs when the next test starts another shape × dtype.

    Every program JAX keeps loaded makes the next compilation slower (measured: ~37 ms
    for a one-operation program in a fresh process, ~60 ms with 2000 loaded), so the
    in-memory caches are cleared between the groups of
    :func:`pytest_collection_modifyitems` (a program needed again is read back from this
    run's compilation cache).  Clearing changes no result: the same program compiles to
    the same executable.
    """
    session = session_of(item.config)
    if session.name != "jax" or session.skip_reason:
        return
    if nextitem is not None and _jax_cache_group(nextitem) == _jax_cache_group(item):
        return
    import jax

    jax.clear_caches()
