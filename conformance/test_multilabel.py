"""Published values and documented properties of the multilabel family, on every backend.

* ``multilabel_categorical_crossentropy`` (ZLPR) of the article's example is
  ``[1.8582, 2.0163, 2.0666]`` (4 decimals), equal to the bert4keras reference; the
  values the article prints, ``[1.4417, 1.6109, 1.5661]``, are not what its own code
  computes.  Right in float16 (where the 1e12 sentinel overflows) and compiled.
* ``class_balanced_loss`` of the published example (10 samples, 5 classes, counts
  ``[2, 3, 1, 2, 2]``, β = 0.9999, γ = 2, focal) is ``1.9583``; a hard positive at logit
  -12 in float16 keeps its modulator 1 (the popular PyTorch port gives 0);
  ``"softmax"``'s mean is the mean over samples of ``w[y]·CE``, not PyTorch's
  ``Σw``-normalised weighted mean.
* ``class_balanced_weights``: sum = C, β = 0 uniform, zero counts finite (weight of a
  one-sample class), the result's library / dtype rules.
* ``hamming_loss`` of the published scores (as logits) is 4/9; on hard labels it is
  ``sklearn.metrics.hamming_loss`` (multi-label, multi-class, weighted), also compiled
  and lazy.
* ``top_k_accuracy``: the optimistic tie rule, per-sample values, k >= C.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._compat import device
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import quantize

from .registry import TOLERANCES

FULL = ("float32", "float64")


def _full(bk: Backend) -> list[str]:
    return [d for d in FULL if d in bk.dtypes]


def _lazy(bk: Backend, fn: Any, *args: Any, **kw: Any) -> Any:
    with bk.forbid_compute():
        return fn(*args, **kw)


def _close(got: np.ndarray, want: Any, dtype: str, what: str = "") -> None:
    tol = TOLERANCES[dtype]
    np.testing.assert_allclose(got, want, rtol=tol.rtol, atol=tol.atol, err_msg=f"{dtype} {what}")


def _compiled(bk: Backend, fn: Any, *args: Any) -> Any | None:
    """``fn(*args)`` through the backend's compiler, or None where it has none."""
    if not bk.compiles:
        return None
    if bk.name == "torch":
        import torch._dynamo

        torch._dynamo.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dynamo's notes about lru_cache'd helpers
        return bk.compile(fn)(*args)


# --------------------------------------------------------------------------- ZLPR

_ZLPR_S = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7], [0.7, 0.6, 0.1, 0.3]])
_ZLPR_Y = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]])
_ZLPR_PUBLISHED = np.array([1.8582, 2.0163, 2.0666])
_ZLPR_ARTICLE = np.array([1.4417, 1.6109, 1.5661])  # printed by the article, not reproduced


def _zlpr_reference(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """bert4keras's formula in float64 (the conformance oracle)."""
    import torch

    from .specs_multilabel import _zlpr_torch

    return _zlpr_torch([torch.tensor(s), torch.tensor(y)], {}, "none").numpy()


def test_zlpr_published_values(bk: Backend) -> None:
    np.testing.assert_array_equal(np.round(_zlpr_reference(_ZLPR_S, _ZLPR_Y), 4), _ZLPR_PUBLISHED)
    for dtype in bk.dtypes:
        s, y = bk.asarray(_ZLPR_S, dtype), bk.asarray(_ZLPR_Y)
        out = _lazy(bk, lx.multilabel_categorical_crossentropy, s, y, reduction="none")
        assert bk.dtype_name(out) == dtype
        got = bk.to_numpy(out)
        if dtype in FULL:
            np.testing.assert_array_equal(np.round(got, 4), _ZLPR_PUBLISHED, err_msg=dtype)
        # in every dtype: the reference on the same (rounded) inputs, right in float16
        _close(got, _zlpr_reference(quantize(_ZLPR_S, dtype), _ZLPR_Y), dtype)
        assert np.all(np.abs(got - _ZLPR_ARTICLE) > 0.25), "the article's printed values"
        mean = bk.to_numpy(_lazy(bk, lx.multilabel_categorical_crossentropy, s, y))
        _close(mean, np.mean(got), dtype, "mean")


def test_zlpr_compiled_in_float16(bk: Backend) -> None:
    """No 1e12 sentinel: float16 and jit/torch.compile give the reference value."""
    dtype = "float16" if "float16" in bk.dtypes else "float32"
    s, y = bk.asarray(_ZLPR_S, dtype), bk.asarray(_ZLPR_Y)
    out = _compiled(bk, lambda a, b: lx.multilabel_categorical_crossentropy(
        a, b, reduction="none"), s, y)
    if out is None:
        pytest.skip(f"{bk.name} has no compiler: checked on jax and torch")
    assert bk.dtype_name(out) == dtype
    _close(bk.to_numpy(out), _zlpr_reference(quantize(_ZLPR_S, dtype), _ZLPR_Y), dtype)


def test_zlpr_zero_logits_and_decision_rule(bk: Backend) -> None:
    """At s = 0 the loss is log(1 + #neg) + log(1 + #pos); scores of the right sign
    (s_i > 0 iff class i is positive) drive it to 0, of the wrong sign it grows like |s|."""
    y = np.array([[1, 0, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])
    n_pos = y.sum(-1)
    want = np.log1p(5 - n_pos) + np.log1p(n_pos)
    for dtype in bk.dtypes:
        yb = bk.asarray(y)
        zero = bk.to_numpy(_lazy(bk, lx.multilabel_categorical_crossentropy,
                                 bk.asarray(np.zeros((3, 5)), dtype), yb, reduction="none"))
        _close(zero, want, dtype, "s = 0")
        right = bk.to_numpy(_lazy(bk, lx.multilabel_categorical_crossentropy,
                                  bk.asarray(20.0 * (2 * y - 1), dtype), yb, reduction="none"))
        assert np.all(right < 1e-7), (dtype, right)
        wrong = bk.to_numpy(_lazy(bk, lx.multilabel_categorical_crossentropy,
                                  bk.asarray(-20.0 * (2 * y - 1), dtype), yb, reduction="none"))
        n_neg = 5 - n_pos
        _close(wrong, np.log1p(n_neg * math.exp(20.0)) + np.log1p(n_pos * math.exp(20.0)),
               dtype, "wrong signs")


# --------------------------------------------------------------------------- class-balanced

_CB_X = np.array([
    [0.1505, 0.9621, 0.8622, 0.0237, 0.0270], [0.6218, 0.2745, 0.3015, 0.1501, 0.1728],
    [0.3590, 0.1760, 0.0807, 0.7440, 0.6973], [0.9401, 0.7118, 0.1725, 0.1843, 0.3226],
    [0.4655, 0.8319, 0.4336, 0.8718, 0.5842], [0.9423, 0.3339, 0.1081, 0.4718, 0.4329],
    [0.5122, 0.7010, 0.1736, 0.5903, 0.0712], [0.6442, 0.1365, 0.1391, 0.8278, 0.5986],
    [0.1245, 0.5662, 0.9571, 0.8515, 0.9883], [0.4654, 0.8924, 0.0224, 0.9056, 0.4517]])
_CB_Y = np.array([0, 3, 4, 2, 2, 1, 4, 0, 1, 2])
_CB_COUNTS = [2, 3, 1, 2, 2]


def _cb_reference(x: np.ndarray, y: np.ndarray, counts: Any, reduction: str = "mean",
                  **kw: Any) -> np.ndarray:
    """The official TensorFlow formula in float64 (the conformance oracle)."""
    import torch

    from .specs_multilabel import _cb_torch

    return _cb_torch([torch.tensor(x), torch.tensor(y)],
                     {"samples_per_class": counts, **kw}, reduction).numpy()


def test_class_balanced_published_value(bk: Backend) -> None:
    assert round(float(_cb_reference(_CB_X, _CB_Y, _CB_COUNTS)), 4) == 1.9583
    for dtype in bk.dtypes:
        x, y = bk.asarray(_CB_X, dtype), bk.asarray(_CB_Y)
        out = _lazy(bk, lx.class_balanced_loss, x, y, _CB_COUNTS, beta=0.9999, gamma=2.0,
                    loss_type="focal")
        assert bk.dtype_name(out) == dtype
        got = bk.to_numpy(out)
        if dtype in FULL:
            assert round(float(got), 4) == 1.9583, (dtype, got)
        _close(got, _cb_reference(quantize(_CB_X, dtype), _CB_Y, _CB_COUNTS), dtype)


@pytest.mark.parametrize("loss_type", ["focal", "sigmoid", "softmax"])
def test_class_balanced_counts_as_array(bk: Backend, loss_type: str) -> None:
    """``samples_per_class`` as a list, an integer array and a floating array agree."""
    want = _cb_reference(_CB_X, _CB_Y, _CB_COUNTS, loss_type=loss_type, reduction="none")
    for dtype in _full(bk):
        x, y = bk.asarray(_CB_X, dtype), bk.asarray(_CB_Y)
        for counts in (_CB_COUNTS, bk.asarray(np.array(_CB_COUNTS)),
                       bk.asarray(np.array(_CB_COUNTS, dtype=np.float64), dtype)):
            got = bk.to_numpy(_lazy(bk, lx.class_balanced_loss, x, y, counts,
                                    loss_type=loss_type, reduction="none"))
            _close(got, want, dtype, loss_type)


def test_class_balanced_focal_hard_positive_float16(bk: Backend) -> None:
    """A hard positive (logit -12) keeps modulator (1 - p)^γ = 1: its loss is
    softplus(12) ≈ 12 in float16, not 0 (what ``exp(-γ y x - γ log1p(exp(-x)))``
    evaluated in float16 gives: exp(12) overflows float16's 65504)."""
    dtype = "float16" if "float16" in bk.dtypes else "float32"
    x = bk.asarray(np.array([[-12.0], [-12.0]]), dtype)
    y = bk.asarray(np.array([0, 0]))
    out = _lazy(bk, lx.class_balanced_loss, x, y, [1], beta=0.0, gamma=2.0,
                loss_type="focal", reduction="none")
    assert bk.dtype_name(out) == dtype
    p = 1.0 / (1.0 + math.exp(12.0))  # σ(-12)
    want = math.log1p(math.exp(12.0)) * (1.0 - p) ** 2  # 11.99986 (modulator ≈ 1)
    _close(bk.to_numpy(out), [want, want], dtype)
    # the naive float16 evaluation of the official formula, for contrast
    with np.errstate(over="ignore"):
        naive = np.exp(np.float16(24.0) - np.float16(2.0) * np.log1p(np.exp(np.float16(12.0))))
    assert naive == 0.0


def test_class_balanced_softmax_mean_is_not_torch_weighted_mean(bk: Backend) -> None:
    import torch

    w = np.asarray(lx.class_balanced_weights(_CB_COUNTS, beta=0.99))
    ce = torch.nn.functional.cross_entropy(torch.tensor(_CB_X), torch.tensor(_CB_Y),
                                           weight=torch.tensor(w), reduction="none").numpy()
    official = ce.mean()  # Σ w_y CE / N
    torch_mean = ce.sum() / w[_CB_Y].sum()  # PyTorch's weighted mean: Σ w_y CE / Σ w_y
    assert abs(official - torch_mean) > 1e-2
    for dtype in _full(bk):
        got = bk.to_numpy(_lazy(bk, lx.class_balanced_loss, bk.asarray(_CB_X, dtype),
                                bk.asarray(_CB_Y), _CB_COUNTS, beta=0.99,
                                loss_type="softmax"))
        _close(got, official, dtype)


def test_class_balanced_compiled(bk: Backend) -> None:
    dtype = "float32"
    x, y = bk.asarray(_CB_X, dtype), bk.asarray(_CB_Y)
    counts = bk.asarray(np.array(_CB_COUNTS, dtype=np.float64), dtype)
    out = _compiled(bk, lambda a, b, n: lx.class_balanced_loss(a, b, n), x, y, counts)
    if out is None:
        pytest.skip(f"{bk.name} has no compiler: checked on jax and torch")
    _close(bk.to_numpy(out), _cb_reference(quantize(_CB_X, dtype), _CB_Y, _CB_COUNTS), dtype)


def test_class_balanced_weights_properties(bk: Backend) -> None:
    counts = np.array([0.0, 1.0, 4.0, 30.0, 500.0, 0.0])
    for dtype in bk.dtypes:
        n = bk.asarray(counts, dtype)
        w = _lazy(bk, lx.class_balanced_weights, n, beta=0.99)
        assert bk.is_native(w)
        assert bk.dtype_name(w) == dtype
        got = bk.to_numpy(w)
        assert np.all(np.isfinite(got))
        _close(np.sum(got), 6.0, dtype, "sum = C")
        # a class with 0 samples has the weight of a class with one sample
        assert got[0] == got[1] == got[5], got
        assert np.all(np.diff(got[1:5]) < 0), "fewer samples, larger weight"
        uniform = bk.to_numpy(_lazy(bk, lx.class_balanced_weights, n, beta=0.0))
        np.testing.assert_array_equal(uniform, np.ones(6), err_msg=dtype)


def test_class_balanced_weights_result_library(bk: Backend) -> None:
    want = np.asarray(lx.class_balanced_weights([2, 3, 1]))
    assert isinstance(want, np.ndarray)
    assert want.dtype == np.float64
    # integer counts: the library's default floating dtype
    out = lx.class_balanced_weights(bk.asarray(np.array([2, 3, 1])))
    assert bk.is_native(out)
    xp = bk.namespace_of(out)
    assert out.dtype == xp.asarray(0.0, device=device(out)).dtype
    _close(bk.to_numpy(out), want, bk.dtype_name(out))
    # like=: the library, device and floating dtype of another array
    for dtype in bk.dtypes:
        like = bk.asarray(np.zeros(2), dtype)
        out = lx.class_balanced_weights([2, 3, 1], like=like)
        assert bk.is_native(out)
        assert bk.dtype_name(out) == dtype
        assert bk.device_of(out) == bk.device_of(like)
        _close(bk.to_numpy(out), want, dtype)


# --------------------------------------------------------------------------- metrics


