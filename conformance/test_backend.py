"""The run itself: the backend asked for is the one tested, on the devices promised."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._declare import declarations
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import quantize

pytestmark = pytest.mark.backend_paths  # the backend's own contract


def test_backend_is_native_and_on_its_device(bk: Backend) -> None:
    x = bk.asarray(np.array([1.0, 2.0]), "float32")
    assert bk.is_native(x)
    out = lx.mse_loss(x, x)
    assert bk.is_native(out)
    assert bk.device_of(out) == bk.device_of(x)
    if bk.device_name is not None and bk.name != "torch":
        assert bk.device_name in bk.device_of(out)


def test_array_api_strict_mode(bk: Backend) -> None:
    if bk.name != "array_api_strict":
        pytest.skip(f"{bk.name}: strict-mode flags only exist on array_api_strict")
    import array_api_strict

    flags = array_api_strict.get_array_api_strict_flags()
    assert flags["boolean_indexing"] is False
    assert flags["data_dependent_shapes"] is False
    assert bk.device_name in ("CPU_DEVICE", "device1", "no_float64")
    if bk.device_name == "no_float64":
        assert "float64" not in bk.dtypes
        with pytest.raises(Exception):  # noqa: B017 - the device refuses float64
            bk.asarray(np.array([1.0]), "float64")


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (2, 3, 4)])
def test_conversion_keeps_shape_and_dtype(bk: Backend, shape: tuple[int, ...]) -> None:
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    for dtype in bk.dtypes:
        x = bk.asarray(a, dtype)
        assert tuple(x.shape) == shape, (dtype, x.shape)
        assert bk.dtype_name(x) == dtype
        assert bk.to_numpy(x).shape == shape
    i = bk.asarray(a.astype(np.int64))
    assert tuple(i.shape) == shape
    assert bk.dtype_name(i) == "int64"


def test_value_checks_on_tensors_that_require_grad_do_not_warn(bk: Backend) -> None:
    """The eager range checks read min/max of inputs that may require grad: PyTorch warns
    when such a tensor is converted to a Python number (the checks read a detached view)."""
    if not bk.autodiff:
        pytest.skip(f"{bk.name} has no autodiff: nothing requires grad")
    p = bk.asarray(np.array([0.2, 0.7, 0.9]), "float32")
    t = bk.asarray(np.array([0.0, 1.0, 0.5]), "float32")
    if bk.name == "torch":
        p = p.requires_grad_(True)
        t = t.requires_grad_(True)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for decl in declarations().values():  # every loss that range-checks probabilities
            if decl.prediction in ("probs", "probs_or_logits") and decl.target == "binary":
                decl.fn(p, t)


_FIRST_CALL_TRACED = """
import jax, jax.numpy as jnp, losses_xp as lx
known = jnp.array([0, 1])  # a concrete array captured by the traced function
jax.grad(lambda v: lx.cross_entropy(v, known))(jnp.zeros((2, 3)))
try:
    lx.cross_entropy(jnp.zeros((2, 3)), jnp.array([0, 3]))
except ValueError as exc:
    print("raised:", exc)
"""


def test_jax_values_stay_readable_after_a_first_call_under_a_transformation(
        bk: Backend) -> None:
    """Whether JAX is tracing is decided against the trace outside every transformation,
    even when the first loss ever called is inside ``jax.grad`` (a fresh interpreter:
    the decision is made once per process).  It was once taken from that first call:
    every later eager call then skipped its value checks and returned NaN."""
    if bk.name != "jax":
        pytest.skip(f"{bk.name}: JAX's tracing state")
    out = subprocess.run([sys.executable, "-c", _FIRST_CALL_TRACED], capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "raised: `target` class indices must be in [0, 3)" in out.stdout, out.stdout


def test_quantization_matches_the_backend(bk: Backend) -> None:
    """The oracle's inputs (``Case.quantized``) are exactly what the backend received."""
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.normal(0, 3, 200), rng.uniform(0, 1, 200),
                        np.array([1e4, -1e4, 1e2, 0.3, 7000.0, 2.0 ** -30])])
    for dtype in bk.dtypes:
        got = bk.to_numpy(bk.asarray(a, dtype))
        np.testing.assert_array_equal(got, quantize(a, dtype), err_msg=dtype)
