"""The value-check switch (``losses_xp.value_checks``, ``set_value_checks``,
``get_value_checks``): its levels, scoping, threads, the environment variable, and what
each level checks eagerly (NumPy, PyTorch), under ``jax.jit`` and under
``torch.compile(fullgraph=True)``."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _settings

X = np.array([[0.5, -1.0], [2.0, 0.0]])
T_BAD = np.array([[1.0, 2.0], [0.0, 1.0]])  # 2 is not a binary target
P_BAD = np.array([[0.5, 1.5], [0.2, 0.9]])  # 1.5 is not a probability
Y01 = np.array([[1.0, 0.0], [0.0, 1.0]])
IDX_BAD = np.array([0, 7])  # 7 is not a class of 2
BCE_MSG = r"`target` must lie in \[0, 1\]; got values in \[0, 2\]"
PROBS_MSG = r"`probs` must lie in \[0, 1\]; got values in \[0.2, 1.5\]"
IDX_MSG = r"`target` class indices must be in \[0, 2\) or equal ignore_index \(-100\); got 7"


def test_default_level_and_set() -> None:
    assert lx.get_value_checks() == "essential"
    previous = lx.set_value_checks("all")
    try:
        assert previous == "essential"
        assert lx.get_value_checks() == "all"
    finally:
        assert lx.set_value_checks(previous) == "all"
    assert lx.get_value_checks() == "essential"


@pytest.mark.parametrize("bad", ["full", "", None, True, 1])
def test_a_bad_level_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"`mode` must be one of 'all', 'essential', 'none'; "
                                         f"got {bad!r}"):
        lx.set_value_checks(bad)
    with pytest.raises(ValueError, match="`mode` must be one of"), lx.value_checks(bad):
        pass  # pragma: no cover - never reached
    assert lx.get_value_checks() == "essential"


def test_blocks_nest_and_restore_on_error() -> None:
    with lx.value_checks("none"):
        assert lx.get_value_checks() == "none"
        with pytest.raises(KeyError), lx.value_checks("all"):
            _raise_at("all")
        assert lx.get_value_checks() == "none"
    assert lx.get_value_checks() == "essential"


def _raise_at(level: str) -> None:
    assert lx.get_value_checks() == level
    raise KeyError("inside")


def test_a_block_overrides_the_process_level_in_its_thread_only() -> None:
    seen: dict[str, str] = {}
    inside, done = threading.Event(), threading.Event()

    def other() -> None:
        inside.wait(5)
        seen["other"] = lx.get_value_checks()
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with lx.value_checks("all"):
        inside.set()
        done.wait(5)
        seen["here"] = lx.get_value_checks()
    thread.join(5)
    assert seen == {"other": "essential", "here": "all"}
    previous = lx.set_value_checks("none")  # the process level: every thread without a block
    try:
        thread = threading.Thread(target=lambda: seen.update(later=lx.get_value_checks()))
        thread.start()
        thread.join(5)
        assert seen["later"] == "none"
    finally:
        lx.set_value_checks(previous)


@pytest.mark.parametrize(("env", "expected"), [("all", "all"), ("none", "none"),
                                               ("", "essential")])
def test_the_environment_sets_the_process_level(env: str, expected: str) -> None:
    code = "import losses_xp as lx; print(lx.get_value_checks())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "LOSSES_XP_VALUE_CHECKS": env}, check=True)
    assert out.stdout.strip() == expected


def test_a_bad_environment_value_fails_the_import_with_its_name() -> None:
    out = subprocess.run([sys.executable, "-c", "import losses_xp"], capture_output=True,
                         text=True, env={**os.environ, "LOSSES_XP_VALUE_CHECKS": "strict"})
    assert out.returncode != 0
    assert ("ValueError: the environment variable LOSSES_XP_VALUE_CHECKS must be one of "
            "'all', 'essential', 'none'; got 'strict'") in out.stderr


def test_runs() -> None:
    table = {level: (_settings_runs(level, True), _settings_runs(level, False))
             for level in _settings.LEVELS}
    assert table == {"all": (True, True), "essential": (True, False), "none": (False, False)}


def _settings_runs(level: str, essential: bool) -> bool:
    with lx.value_checks(level):
        return _settings.runs(essential)


# --------------------------------------------------------------------------- eager


def _libraries() -> list[Any]:
    try:
        import torch
    except ImportError:  # pragma: no cover - the tests sessions install torch
        reason = "torch not installed: its eager cases run where it is"
        torch_param = pytest.param(None, id="torch", marks=pytest.mark.skip(reason=reason))
    else:
        torch_param = pytest.param(torch.asarray, id="torch")
    return [pytest.param(np.asarray, id="numpy"), torch_param]


@pytest.mark.parametrize("asarray", _libraries())
def test_eager_levels(asarray: Any) -> None:
    x, t_bad, p_bad = asarray(X), asarray(T_BAD), asarray(P_BAD)
    y01, idx_bad = asarray(Y01), asarray(IDX_BAD)
    # a binary target: checked at "all" only
    for level in ("essential", "none"):
        with lx.value_checks(level):
            assert math.isfinite(float(lx.binary_cross_entropy_with_logits(x, t_bad)))
            assert math.isfinite(float(lx.sigmoid_focal_loss(x, t_bad)))
    with lx.value_checks("all"), pytest.raises(ValueError, match=BCE_MSG):
        lx.binary_cross_entropy_with_logits(x, t_bad)
    # a probability: an essential check (PyTorch's binary_cross_entropy checks it too)
    for level in ("all", "essential"):
        with lx.value_checks(level), pytest.raises(ValueError, match=PROBS_MSG):
            lx.binary_cross_entropy(p_bad, y01)
    with lx.value_checks("none"):  # not ours: the clipped probability's loss
        assert math.isfinite(float(lx.binary_cross_entropy(p_bad, y01)))
    # a class index: essential
    for level in ("all", "essential"):
        with lx.value_checks(level), pytest.raises(ValueError, match=IDX_MSG):
            lx.cross_entropy(x, idx_bad)


def test_none_leaves_an_index_to_the_formula_or_the_kernel() -> None:
    """At ``"none"`` an out-of-range index is NaN in the generic formula (NumPy) and
    PyTorch's own error where PyTorch's kernel computes the loss (eager CPU)."""
    with lx.value_checks("none"):
        assert math.isnan(float(lx.cross_entropy(X, IDX_BAD)))
    torch = pytest.importorskip("torch", reason="torch not installed")
    with lx.value_checks("none"), pytest.raises(IndexError, match="out of bounds"):
        lx.cross_entropy(torch.asarray(X), torch.asarray(IDX_BAD))


# --------------------------------------------------------------------------- traced


def test_jax_jit_reads_the_level_when_it_traces() -> None:
    """A trace keeps the level in effect when it was made; JAX caches traces by function,
    so each level here traces a new function (``_settings``' docstring)."""
    jax = pytest.importorskip("jax", reason="jax not installed: the jit case runs in the "
                              "sessions that install it")
    jnp = jax.numpy
    x, t_bad, p_bad, y01 = jnp.asarray(X), jnp.asarray(T_BAD), jnp.asarray(P_BAD), jnp.asarray(Y01)

    def jitted(name: str) -> Any:
        return jax.jit(lambda *a: getattr(lx, name)(*a))

    with lx.value_checks("all"):
        assert math.isnan(float(jitted("binary_cross_entropy_with_logits")(x, t_bad)))
        assert math.isnan(float(jitted("cross_entropy")(x, jnp.asarray(IDX_BAD))))
    with lx.value_checks("essential"):
        assert math.isfinite(float(jitted("binary_cross_entropy_with_logits")(x, t_bad)))
        assert math.isnan(float(jitted("binary_cross_entropy")(p_bad, y01)))
    with lx.value_checks("none"):
        assert math.isfinite(float(jitted("binary_cross_entropy")(p_bad, y01)))
    bce = jax.jit(lx.binary_cross_entropy_with_logits)
    with lx.value_checks("all"):
        assert math.isnan(float(bce(x, t_bad)))
    with lx.value_checks("essential"):  # the cached trace of "all"
        assert math.isnan(float(bce(x, t_bad)))


def test_torch_compile_recompiles_when_the_level_changes() -> None:
    torch = pytest.importorskip("torch", reason="torch not installed")
    torch._dynamo.reset()
    compiled = torch.compile(lx.binary_cross_entropy_with_logits, fullgraph=True)
    x, t_bad = torch.asarray(X), torch.asarray(T_BAD)
    with lx.value_checks("all"):
        assert math.isnan(float(compiled(x, t_bad)))
    with lx.value_checks("essential"):
        assert math.isfinite(float(compiled(x, t_bad)))
    with lx.value_checks("all"):
        assert math.isnan(float(compiled(x, t_bad)))


@pytest.mark.parametrize("name", ["binary_cross_entropy_with_logits", "sigmoid_focal_loss",
                                  "binary_cross_entropy"])
def test_all_on_empty_torch_inputs_checks_nothing_and_raises_nothing(name: str) -> None:
    """An empty input has no value to check: at ``"all"`` the result is the default
    level's (PyTorch's ``aminmax`` of nothing raises; found by ``python -m losses_xp
    check`` at ``LOSSES_XP_VALUE_CHECKS=all``)."""
    torch = pytest.importorskip("torch", reason="torch not installed")
    empty = torch.zeros((0, 3))
    for reduction in ("none", "sum", "mean"):
        want = getattr(lx, name)(empty, empty, reduction=reduction)
        with lx.value_checks("all"):
            got = getattr(lx, name)(empty, empty, reduction=reduction)
        torch.testing.assert_close(got, want, equal_nan=True)
