"""The conformance kit's public API (``losses_xp.testing``) as a project uses it.

The kit's checks themselves are proven by the library's own conformance suite, which runs
every one of its cells through them (``conformance/test_*.py``); the worked example and
its broken variants, with every backend, are docs/testing_your_loss.md's doctests (the
``docs`` session).  Here: the declaration, the spec, the report, the pytest helper and
``python -m losses_xp check --module``, on the worked example (``docs/examples``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp
from losses_xp import testing
from losses_xp._declare import declarations

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
sys.path.insert(0, str(EXAMPLES))

import broken_tversky  # noqa: E402
import weighted_tversky  # noqa: E402

SPEC = weighted_tversky.SPEC


def test_a_declaration_is_the_library_s_language_and_stays_out_of_the_library() -> None:
    decl = testing.declaration_of(weighted_tversky.weighted_tversky_loss)
    assert (decl.prediction, decl.target, decl.unit) == ("logits", "binary", "sample")
    assert decl.options["weight"] == "element_weight"
    assert "weighted_tversky_loss" not in declarations()
    assert "weighted_tversky_loss" not in losses_xp.__all__
    assert decl.no_peer == testing.USER_LOSS


def test_a_bad_declaration_names_each_problem() -> None:
    def loss(x: Any, y: Any, *, alpha: float = 0.5, reduction: str = "mean") -> Any:
        return x

    with pytest.raises(TypeError, match=r"unknown prediction kind 'logit'.*options \[\] "
                                        r"are not the function's \['alpha'\]"):
        testing.declare(prediction="logit", target="binary")(loss)


def test_a_spec_needs_a_declared_function() -> None:
    def loss(x: Any, y: Any, *, reduction: str = "mean") -> Any:
        return x

    with pytest.raises(TypeError, match="'loss' has no declaration: decorate it with "
                                        r"@losses_xp.testing.declare"):
        testing.spec(loss)


def test_cases_are_derived_from_the_declaration_or_given() -> None:
    names = [c.name for c in SPEC.value_cases()]
    assert {"2d", "empty", "2d-weight-array", "2d-alpha-0.0", "nd-all-options"} <= set(names)
    assert all(c.args[0].ndim >= 2 for c in SPEC.value_cases())  # (min_ndim=2)
    assert any("logits-pm10000" in c.name for c in SPEC.extreme_cases())
    own = testing.Case("mine", (np.zeros((2, 3)), np.ones((2, 3))))
    given = testing.spec(weighted_tversky.weighted_tversky_loss, cases=[own], extreme=[])
    assert [c.name for c in given.value_cases()] == ["mine"]
    assert given.extreme_cases() == ()


def test_the_report_counts_every_cell_and_prints_the_table() -> None:
    report = testing.check(SPEC, backends=["numpy", "array_api_strict", "cupy"],
                           checks=["values", "reductions", "grad", "host_sync"])
    assert report.ok, report.table()
    assert report.backends == ["numpy", "array_api_strict"]
    assert "cupy" in report.unavailable
    passed = report.select("passed", check="values", backend="numpy")
    # NumPy, the reference, runs the product: every case x dtype x reduction
    assert len(passed) == sum(3 * len(SPEC.entry.reductions_for(c)) for c in SPEC.value_cases())
    table = report.table()
    assert table.splitlines()[0] == ("weighted_tversky_loss  (oracle: the definition in "
                                     "float64 PyTorch)")
    row = next(line for line in table.splitlines() if line.startswith("values"))
    assert row.split()[1:] == ["ok", str(len(passed)), "ok",
                               str(len(report.select("passed", check="values",
                                                     backend="array_api_strict")))]
    assert "grad on numpy" in table
    assert "numpy has no autodiff" in table
    assert "cupy: cupy needs a CUDA device" in table or "cupy: cannot import" in table


def test_the_traced_compiled_and_strict_checks_pass_a_clean_loss() -> None:
    """The checks whose cells run only on JAX, PyTorch and array-api-strict (the library's
    own run them in conformance(jax), conformance(torch) and conformance(array_api_strict);
    here they also run under the coverage session)."""
    report = testing.check(SPEC, backends=["torch", "jax", "array_api_strict"],
                           checks=["compile", "vmap", "host_sync"])
    assert report.ok, report.table()
    assert report.entry(SPEC.name, "compile", "torch") == "ok 1"
    assert report.entry(SPEC.name, "vmap", "jax") == "ok 1"
    assert report.entry(SPEC.name, "vmap", "torch") == "skip"
    # host_sync: one cell per case and dtype (all reductions in it); JAX: float32, float64
    cells = sum(c.applies_to(d) for c in SPEC.value_cases() + SPEC.extreme_cases()
                for d in ("float32", "float64"))
    assert report.entry(SPEC.name, "host_sync", "jax") == f"ok {cells}"


def test_a_failure_names_the_cell_and_why() -> None:
    report = testing.check(broken_tversky.SPECS["tversky_in_float64"],
                           backends=["numpy", "array_api_strict"], checks=["values"])
    assert not report.ok
    assert report.failed_entries() == {("values", "numpy"), ("values", "array_api_strict")}
    numpy = report.failures(backend="numpy")
    # (float64 in, float64 out is right: the float16 and float32 cells fail)
    assert {o.cell.rsplit("-", 2)[1] for o in numpy} == {"float16", "float32"}
    assert "result dtype float64, expected float32" in {o.message for o in numpy}
    strict = {o.message for o in report.failures(backend="array_api_strict")}
    assert any("does not support dtype=array_api_strict.float64" in m for m in strict)
    assert "Traceback" in numpy[0].detail
    with pytest.raises(AssertionError, match="cells failed"):
        report.raise_for_failures()


def test_check_refuses_what_it_does_not_know() -> None:
    with pytest.raises(ValueError, match=r"backends: unknown \['tpu'\]"):
        testing.check(SPEC, backends=["tpu"])
    with pytest.raises(ValueError, match=r"checks: unknown \['speed'\]"):
        testing.check(SPEC, checks=["speed"])
    with pytest.raises(ValueError, match="matrix must be 'auto', 'full' or 'pairs'"):
        testing.check(SPEC, backends=["numpy"], matrix="some")
    with pytest.raises(TypeError, match="at least one spec"):
        testing.check()


# the pytest helper, as a project's test file uses it: every cell a test, the backends
# that cannot run here (CuPy without a CUDA device) skipped with the reason
test_weighted_tversky = testing.conformance(SPEC, backends=["numpy", "torch", "cupy"],
                                            checks=["values", "grad"], matrix="pairs")


def test_the_pytest_helper_parametrizes_every_cell_and_skips_with_reasons() -> None:
    (mark,) = test_weighted_tversky.pytestmark
    params = mark.args[1]
    ids = [p.id for p in params]
    assert "cupy-unavailable" in ids
    assert "grad-numpy-skipped" in ids
    skipped = {p.id: p.marks[0].kwargs["reason"] for p in params if p.marks}
    assert "autodiff" in skipped["grad-numpy-skipped"]
    assert any(i.startswith("grad-torch-cpu-weighted_tversky_loss-2d-") for i in ids)
    assert len(ids) == len(set(ids))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES),
                                                        os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "losses_xp", "check", *args],
                          capture_output=True, text=True, env=env, timeout=600, check=False)


def test_the_command_checks_every_loss_of_a_module() -> None:
    ok = _cli("--module", "weighted_tversky", "--backends", "numpy", "--checks",
              "values,reductions")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("weighted_tversky_loss  (oracle: the definition")
    assert " cells passed, 0 failed, " in ok.stdout
    broken = _cli("--module", "broken_tversky", "--backends", "numpy", "--checks", "values",
                  "--losses", "tversky_in_float64,tversky_naive_sigmoid")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "values on numpy" in broken.stdout
    assert "result dtype float64" in broken.stdout
    assert "tversky_naive_sigmoid" in broken.stdout
    assert "tversky_calls_numpy" not in broken.stdout
    # the module's declared functions without a spec are their own (NumPy) oracle
    assert testing.spec(broken_tversky.tversky_naive_sigmoid).reference.startswith("itself")


def test_the_command_says_what_is_wrong_with_its_arguments() -> None:
    missing = _cli("--module", "no_such_module_here")
    assert missing.returncode == 2
    assert "No module named 'no_such_module_here'" in missing.stderr
    empty = _cli("--module", "json")
    assert empty.returncode == 2
    assert "has no spec (losses_xp.testing.spec) and no function declared" in empty.stderr
    unknown = _cli("--module", "weighted_tversky", "--checks", "speed")
    assert unknown.returncode == 2
    assert "unknown backend(s) or check(s) ['speed']" in unknown.stderr
    loss = _cli("--module", "weighted_tversky", "--losses", "dice")
    assert loss.returncode == 2
    assert "has no loss ['dice']" in loss.stderr
