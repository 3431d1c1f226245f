"""The exact-tails switch (``losses_xp.exact_tails``, ``set_exact_tails``,
``get_exact_tails``): default, scoping, threads, the environment variable, bad values,
and what it changes: PyTorch's fused ``binary_cross_entropy_with_logits`` by default
(eager and under ``torch.compile(fullgraph=True)``, which recompiles when the setting
changes), ``log1p(exp(-|x|))`` exact in the far tails with it on; other libraries are
exact either way (NumPy eagerly, JAX under ``jax.jit``)."""

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
from losses_xp._testing.backends import autograd_nodes

# x = -20, y = 0 and x = 20, y = 1: the loss is log1p(exp(-20)) = 2.06e-9 (both)
X_TAIL = np.array([-20.0, 20.0, 0.5])
Y_TAIL = np.array([0.0, 1.0, 1.0])
TAIL = math.log1p(math.exp(-20.0))
SIGMA_MINUS_20 = 1.0 / (1.0 + math.exp(20.0))  # σ(-20) = 2.06e-9


def test_default_set_and_restore() -> None:
    assert lx.get_exact_tails() is False
    assert lx.set_exact_tails(True) is False
    try:
        assert lx.get_exact_tails() is True
    finally:
        assert lx.set_exact_tails(False) is True
    assert lx.get_exact_tails() is False


@pytest.mark.parametrize("bad", [1, 0, "on", None, np.bool_(True)])
def test_a_bad_value_is_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match=f"`on` must be True or False; got {bad!r}"):
        lx.set_exact_tails(bad)
    with pytest.raises(TypeError, match="`on` must be True or False"), lx.exact_tails(bad):
        pass  # pragma: no cover - never reached
    assert lx.get_exact_tails() is False


def test_blocks_nest_restore_on_error_and_stay_in_their_thread() -> None:
    seen: dict[str, bool] = {}
    inside, done = threading.Event(), threading.Event()

    def other() -> None:
        inside.wait(5)
        seen["other"] = lx.get_exact_tails()
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with lx.exact_tails():
        inside.set()
        done.wait(5)
        seen["here"] = lx.get_exact_tails()
        with pytest.raises(KeyError), lx.exact_tails(False):
            _record_and_raise(seen)
        seen["after"] = lx.get_exact_tails()
    thread.join(5)
    assert seen == {"other": False, "here": True, "nested": False, "after": True}
    assert lx.get_exact_tails() is False
    # a block overrides the process-wide setting; the value checks are a separate switch
    previous = lx.set_exact_tails(True)
    try:
        with lx.exact_tails(False), lx.value_checks("all"):
            assert (lx.get_exact_tails(), lx.get_value_checks()) == (False, "all")
        assert lx.get_exact_tails() is True
    finally:
        lx.set_exact_tails(previous)


def _record_and_raise(seen: dict[str, bool]) -> None:
    seen["nested"] = lx.get_exact_tails()
    raise KeyError("inside")


@pytest.mark.parametrize(("env", "expected"), [("1", "True"), ("0", "False"), ("", "False")])
def test_the_environment_sets_the_process_default(env: str, expected: str) -> None:
    code = "import losses_xp as lx; print(lx.get_exact_tails())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "LOSSES_XP_EXACT_TAILS": env}, check=True)
    assert out.stdout.strip() == expected


def test_a_bad_environment_value_fails_the_import_with_its_name() -> None:
    out = subprocess.run([sys.executable, "-c", "import losses_xp"], capture_output=True,
                         text=True, env={**os.environ, "LOSSES_XP_EXACT_TAILS": "yes"})
    assert out.returncode != 0
    assert ("ValueError: the environment variable LOSSES_XP_EXACT_TAILS must be '0' or '1'; "
            "got 'yes'") in out.stderr


@pytest.mark.parametrize("on", [False, True])
def test_numpy_is_exact_either_way(on: bool) -> None:
    with lx.exact_tails(on):
        got = lx.binary_cross_entropy_with_logits(X_TAIL, Y_TAIL, reduction="none")
    np.testing.assert_allclose(got[:2], [TAIL, TAIL], rtol=1e-12)


def test_jax_jit_is_exact_either_way() -> None:
    jax = pytest.importorskip("jax", reason="jax not installed: the jit case runs in the "
                              "sessions that install it")
    x, y = jax.numpy.asarray(X_TAIL, dtype="float32"), jax.numpy.asarray(Y_TAIL, dtype="float32")
    for on in (False, True):
        with lx.exact_tails(on):
            fn = jax.jit(lambda x, y: lx.binary_cross_entropy_with_logits(x, y, reduction="sum"))
            g = jax.grad(fn)(x, y)
        np.testing.assert_allclose(np.asarray(g)[:2], [SIGMA_MINUS_20, -SIGMA_MINUS_20],
                                   rtol=1e-5)


def _torch() -> Any:
    return pytest.importorskip("torch", reason="torch not installed: its cases run in the "
                               "sessions that install it (coverage, conformance(torch))")


@pytest.mark.parametrize("n", [3, 70_000])  # below and above the fused backward's size
def test_torch_default_is_pytorchs_kernel_and_exact_tails_are_exact(n: int) -> None:
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    x, y = rng.normal(0.0, 8.0, n), rng.uniform(0.0, 1.0, n)
    x[:3], y[:3] = X_TAIL, Y_TAIL
    xt, yt = torch.asarray(x, dtype=torch.float32), torch.asarray(y, dtype=torch.float32)
    for reduction in ("none", "mean", "sum"):
        ours = lx.binary_cross_entropy_with_logits(xt, yt, reduction=reduction)
        assert torch.equal(ours, F.binary_cross_entropy_with_logits(xt, yt,
                                                                    reduction=reduction))
    # the kernel's tails (float32): 0 at x = -20, y = 0; a gradient of 0 at x = 20, y = 1
    for on in (False, True):
        with lx.exact_tails(on):
            z = xt.clone().requires_grad_(True)
            loss = lx.binary_cross_entropy_with_logits(z, yt, reduction="none")
            (g,) = torch.autograd.grad(loss.sum(), z)
        if on:
            np.testing.assert_allclose(loss[:2].detach().numpy(), [TAIL, TAIL], rtol=1e-6)
            np.testing.assert_allclose(g[:2].numpy(), [SIGMA_MINUS_20, -SIGMA_MINUS_20],
                                       rtol=1e-5)
        else:
            assert (loss[0].item(), g[1].item()) == (0.0, 0.0)


def test_torch_sigmoid_focal_default_equals_torchvision_and_exact_tails_are_exact() -> None:
    torch = _torch()
    F = torch.nn.functional
    xt, yt = torch.asarray(X_TAIL, dtype=torch.float32), torch.asarray(Y_TAIL, dtype=torch.float32)
    # torchvision.ops.sigmoid_focal_loss (alpha = 0.25, gamma = 2), written out
    p = torch.sigmoid(xt)
    ce = F.binary_cross_entropy_with_logits(xt, yt, reduction="none")
    p_t = p * yt + (1 - p) * (1 - yt)
    want = (0.25 * yt + 0.75 * (1 - yt)) * ce * (1 - p_t) ** 2
    torch.testing.assert_close(lx.sigmoid_focal_loss(xt, yt, reduction="none"), want)
    z = xt.clone().requires_grad_(True)  # PyTorch's kernel is in the graph, not ours
    assert "BinaryCrossEntropyWithLogitsBackward0" in autograd_nodes(lx.sigmoid_focal_loss(z, yt))
    with lx.exact_tails():
        names = autograd_nodes(lx.sigmoid_focal_loss(z, yt))
    assert "BinaryCrossEntropyWithLogitsBackward0" not in names
    with lx.exact_tails():
        got = lx.sigmoid_focal_loss(xt, yt, alpha=None, gamma=0.0, reduction="none")
    np.testing.assert_allclose(got[:2].numpy(), [TAIL, TAIL], rtol=1e-6)


def test_torch_compile_recompiles_when_the_setting_changes() -> None:
    torch = _torch()
    torch._dynamo.reset()
    compiled = torch.compile(lambda x, y: lx.binary_cross_entropy_with_logits(
        x, y, reduction="none"), fullgraph=True)
    xt, yt = torch.asarray(X_TAIL, dtype=torch.float32), torch.asarray(Y_TAIL, dtype=torch.float32)
    for on in (False, True, False):
        with lx.exact_tails(on):
            got = compiled(xt, yt)[:2].numpy()
        if on:
            np.testing.assert_allclose(got, [TAIL, TAIL], rtol=1e-6)
        else:
            assert got[0] == 0.0  # PyTorch's kernel at x = -20, y = 0 (float32)
