"""Unit tests of the classification family (NumPy and array-api-strict): the binary and
multi-class cross-entropies on tiny examples computed by hand, identities between them,
dtypes and the published edge values of issue 2.

Each expected value is written out from the definition (``math.log`` of the
probabilities the example was built from, PyTorch's documented denominators), not with
the package's own formulas; the hypothesis tests check identities that hold
mathematically (shift invariance, one-hot = index targets, cross-entropy = NLL of the
log-softmax ...).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import XP
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import losses_xp as lx

LN = math.log


def value(xpb: XP, out: object) -> np.ndarray:
    return xpb.to_numpy(out).astype(np.float64)


def close(got: np.ndarray, expected: object, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(got, np.asarray(expected, dtype=float), rtol=rtol, atol=1e-15)


def _inputs(name: str, n: int = 4, c: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A valid ``(prediction, target)`` pair for the loss ``name``: ``(n, c)`` predictions,
    ``(n, c)`` targets for the binary losses, ``(n,)`` class indices for the others."""
    rng = np.random.default_rng(seed)
    if name == "binary_cross_entropy":
        return rng.uniform(0.05, 0.95, size=(n, c)), rng.uniform(size=(n, c))
    if name == "binary_cross_entropy_with_logits":
        return rng.normal(size=(n, c)) * 3, rng.uniform(size=(n, c))
    x = rng.normal(size=(n, c))
    y = rng.integers(0, c, size=n)
    if name == "nll_loss":
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    elif name == "categorical_cross_entropy":
        x = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    return x, y


# --------------------------------------------------------------------------- binary


def test_bce_on_probabilities(xpb: XP) -> None:
    p, y = xpb.asarray([0.9, 0.2]), xpb.asarray([1.0, 0.0])
    close(value(xpb, lx.binary_cross_entropy(p, y)), -(LN(0.9) + LN(0.8)) / 2)
    # soft target 0.25 at p = 0.5: log 2 whatever the target
    close(value(xpb, lx.binary_cross_entropy(xpb.asarray([0.5]), xpb.asarray([0.25]))), LN(2))
    # weights: mean divides by the element count
    out = lx.binary_cross_entropy(p, y, weight=[2.0, 0.0])
    close(value(xpb, out), -2 * LN(0.9) / 2)


def test_bce_with_logits(xpb: XP) -> None:
    # sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4
    x = xpb.asarray([LN(3.0), -LN(3.0), 0.0])
    y = xpb.asarray([0.25, 1.0, 0.0])
    expected = [-(0.25 * LN(0.75) + 0.75 * LN(0.25)), -LN(0.25), LN(2.0)]
    close(value(xpb, lx.binary_cross_entropy_with_logits(x, y, reduction="none")), expected)
    close(value(xpb, lx.binary_cross_entropy_with_logits(x, y)), sum(expected) / 3)
    close(value(xpb, lx.binary_cross_entropy_with_logits(x, y, reduction="sum")), sum(expected))


def test_bce_with_logits_pos_weight_broadcasts_over_the_last_axis(xpb: XP) -> None:
    """pos_weight p_c multiplies the positive term only, one value per last-axis column."""
    x = xpb.asarray(np.zeros((2, 3)))
    y = xpb.asarray([[1.0, 1.0, 0.0], [0.5, 0.0, 1.0]])
    out = lx.binary_cross_entropy_with_logits(x, y, pos_weight=[2.0, 3.0, 4.0], reduction="none")
    ln2 = LN(2.0)
    expected = [[2 * ln2, 3 * ln2, ln2], [(0.5 * 2 + 0.5) * ln2, ln2, 4 * ln2]]
    close(value(xpb, out), expected)
    both = lx.binary_cross_entropy_with_logits(x, y, pos_weight=[2.0, 3.0, 4.0],
                                               weight=[[1.0], [0.0]], reduction="sum")
    close(value(xpb, both), 6 * ln2)


def test_bce_with_logits_of_zero_dim_inputs() -> None:
    out = lx.binary_cross_entropy_with_logits(np.asarray(0.0), np.asarray(1.0))
    assert math.isclose(float(out), math.log(2.0), rel_tol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_large_logit_is_exact(dtype: str, xpb: XP) -> None:
    """x = 1e4, y = 0.3: (1 - y) * x + softplus(-x) = 7000 exactly (published in the issue)."""
    out = lx.binary_cross_entropy_with_logits(xpb.asarray([1e4], dtype),
                                              xpb.asarray([0.3], dtype))
    assert out.dtype == xpb.dtype(dtype)
    assert float(xpb.to_numpy(out)) == 7000.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_negative_tail_is_not_zero(dtype: str, xpb: XP) -> None:
    """x = -20, y = 0: log(1 + e^-20) = 2.0611536e-9, not 0 (published in the issue)."""
    expected = 2.061153620314381e-09  # math.log1p(math.exp(-20))
    assert math.isclose(math.log1p(math.exp(-20.0)), expected, rel_tol=1e-15)
    out = lx.binary_cross_entropy_with_logits(xpb.asarray([-20.0], dtype),
                                              xpb.asarray([0.0], dtype))
    got = float(xpb.to_numpy(out))
    assert math.isclose(got, expected, rel_tol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_bce_with_logits_extreme_logits_are_finite(dtype: str) -> None:
    big = 1e2 if dtype == "float16" else 1e4
    x = np.array([big, -big, big, -big], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype)
    out = lx.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.astype(float), [big, big, 0.0, 0.0], rtol=1e-3, atol=1e-30)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_bce_on_probabilities_is_finite_at_zero_and_one(dtype: str) -> None:
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero in log
        out = lx.binary_cross_entropy(p, y, reduction="none")
    assert out.dtype == np.dtype(dtype)
    out64 = out.astype(np.float64)
    assert np.all(np.isfinite(out64))
    # the wrong-side entries are large (clamped at the dtype's epsilon), the right ones ~0
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(out64[:2], -math.log(eps), rtol=1e-2)
    assert np.all(out64[2:] <= 2 * eps)
    assert np.isfinite(lx.binary_cross_entropy(p, y))


def test_bce_on_probabilities_is_finite_in_strict(xpb: XP) -> None:
    out = lx.binary_cross_entropy(xpb.asarray([0.0, 1.0], "float32"),
                                  xpb.asarray([1.0, 0.0], "float32"), reduction="none")
    assert np.all(np.isfinite(xpb.to_numpy(out)))


# --------------------------------------------------------------------------- multi-class

# logits ln(1), ln(2), ln(3): softmax (1, 2, 3) / 6
X3 = [LN(1.0), LN(2.0), LN(3.0)]
P3 = [1 / 6, 2 / 6, 3 / 6]


def test_cross_entropy_index_targets(xpb: XP) -> None:
    x = xpb.asarray([X3, X3, [0.0, 0.0, 0.0]])
    y = xpb.asarray([2, 0, 1])
    per = [-LN(P3[2]), -LN(P3[0]), LN(3.0)]
    close(value(xpb, lx.cross_entropy(x, y, reduction="none")), per)
    close(value(xpb, lx.cross_entropy(x, y)), sum(per) / 3)
    close(value(xpb, lx.cross_entropy(x, y, reduction="sum")), sum(per))


def test_cross_entropy_weighted_mean_divides_by_summed_target_weights(xpb: XP) -> None:
    """PyTorch: sum_i w[y_i] l_i / sum_i w[y_i] over non-ignored targets."""
    x = xpb.asarray([X3, X3, X3])
    y = xpb.asarray([2, 0, -100])
    w = [3.0, 1.0, 0.5]
    num = 0.5 * -LN(P3[2]) + 3.0 * -LN(P3[0])
    close(value(xpb, lx.cross_entropy(x, y, weight=w)), num / 3.5)
    close(value(xpb, lx.cross_entropy(x, y, weight=w, reduction="sum")), num)
    close(value(xpb, lx.cross_entropy(x, y, weight=w, reduction="none")),
          [0.5 * -LN(P3[2]), 3.0 * -LN(P3[0]), 0.0])
    # unweighted: the ignored target is out of the numerator and the count
    close(value(xpb, lx.cross_entropy(x, y)), (-LN(P3[2]) - LN(P3[0])) / 2)


def test_cross_entropy_label_smoothing(xpb: XP) -> None:
    """eps / C on every class: (1 - eps) (-log p_y) + eps / C * sum_c (-log p_c)."""
    eps = 0.3
    x = xpb.asarray([X3, X3])
    y = xpb.asarray([2, -100])
    expected = (1 - eps) * -LN(P3[2]) + eps / 3 * -sum(LN(p) for p in P3)
    close(value(xpb, lx.cross_entropy(x, y, label_smoothing=eps)), expected)
    none = lx.cross_entropy(x, y, label_smoothing=eps, reduction="none")
    close(value(xpb, none), [expected, 0.0])
    # the same with probability targets (1 - eps) one_hot + eps / C
    t = xpb.asarray([[0.0, 0.0, 1.0]])
    close(value(xpb, lx.cross_entropy(xpb.asarray([X3]), t, label_smoothing=eps)), expected)


def test_cross_entropy_weighted_label_smoothing(xpb: XP) -> None:
    """PyTorch: the smoothing term is weighted per class, the mean divides by sum w[y]."""
    eps, w = 0.2, [2.0, 1.0, 0.5]
    x = xpb.asarray([X3, X3])
    y = xpb.asarray([0, 2])
    smooth = -sum(wc * LN(p) for wc, p in zip(w, P3, strict=True))
    per = [(1 - eps) * w[k] * -LN(P3[k]) + eps / 3 * smooth for k in (0, 2)]
    out = lx.cross_entropy(x, y, weight=w, label_smoothing=eps)
    close(value(xpb, out), sum(per) / (w[0] + w[2]))


def test_cross_entropy_probability_targets(xpb: XP) -> None:
    x = xpb.asarray([X3, X3])
    t = xpb.asarray([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])
    per = [-(0.5 * LN(P3[0]) + 0.5 * LN(P3[2])), -LN(P3[1])]
    close(value(xpb, lx.cross_entropy(x, t, reduction="none")), per)
    close(value(xpb, lx.cross_entropy(x, t)), sum(per) / 2)
    # class weights multiply each term; the mean is still over samples (PyTorch)
    w = [2.0, 1.0, 3.0]
    per_w = [-(0.5 * 2 * LN(P3[0]) + 0.5 * 3 * LN(P3[2])), -LN(P3[1])]
    close(value(xpb, lx.cross_entropy(x, t, weight=w)), sum(per_w) / 2)


def test_cross_entropy_class_axis(xpb: XP) -> None:
    """PyTorch layout (N, C, d) with axis=1 equals the channels-last layout with axis=-1."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 5))
    y = rng.integers(0, 4, size=(2, 5))
    first = lx.cross_entropy(xpb.asarray(x), xpb.asarray(y), axis=1, reduction="none")
    last = lx.cross_entropy(xpb.asarray(np.moveaxis(x, 1, -1)), xpb.asarray(y), reduction="none")
    close(value(xpb, first), value(xpb, last), rtol=1e-14)
    # against the definition, per element
    lse = np.log(np.exp(x).sum(axis=1))
    picked = np.take_along_axis(x, y[:, None, :], axis=1)[:, 0, :]
    close(value(xpb, first), lse - picked, rtol=1e-12)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_weight_with_spatial_targets(name: str) -> None:
    """(N, C, d) logits with (N, d) targets and a class weight: the 2-D result per pixel."""
    rng = np.random.default_rng(4)
    x = np.log(rng.dirichlet(np.ones(3), size=(2, 4)))  # (N, d, C) log-probabilities
    y = rng.integers(0, 3, size=(2, 4))
    w = [0.5, 2.0, 1.0]
    fn = getattr(lx, name)
    flat = fn(x.reshape(8, 3), y.reshape(8), weight=w, reduction="none").reshape(2, 4)
    got = fn(np.moveaxis(x, -1, 1), y, axis=1, weight=w, reduction="none")
    close(got, flat, rtol=1e-14)


def test_nll_loss(xpb: XP) -> None:
    logp = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8], [0.2, 0.3, 0.5]]))
    y = xpb.asarray([0, 2, -100])
    close(value(xpb, lx.nll_loss(xpb.asarray(logp), y)), (LN(2) - LN(0.8)) / 2)
    close(value(xpb, lx.nll_loss(xpb.asarray(logp), y, reduction="none")), [LN(2), -LN(0.8), 0.0])
    w = [1.0, 2.0, 4.0]
    close(value(xpb, lx.nll_loss(xpb.asarray(logp), y, weight=w)), (LN(2) - 4 * LN(0.8)) / 5)
    # log-probabilities are used as given, not renormalised
    close(value(xpb, lx.nll_loss(xpb.asarray([[-1.0, -7.0]]), xpb.asarray([1]))), 7.0)


def test_categorical_cross_entropy(xpb: XP) -> None:
    # renormalised along the class axis: (0.35, 0.1, 0.05) / 0.5 = (0.7, 0.2, 0.1)
    p = xpb.asarray([[0.35, 0.1, 0.05], [0.1, 0.1, 0.8]])
    onehot = xpb.asarray([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    expected = -(LN(0.7) + LN(0.8)) / 2
    close(value(xpb, lx.categorical_cross_entropy(p, onehot)), expected)
    close(value(xpb, lx.categorical_cross_entropy(p, xpb.asarray([0, 2]))), expected)
    eps = 0.3
    smooth = (1 - eps) * -LN(0.7) + eps / 3 * -(LN(0.7) + LN(0.2) + LN(0.1))
    out = lx.categorical_cross_entropy(p, xpb.asarray([0, 2]), label_smoothing=eps,
                                       reduction="none")
    close(value(xpb, out)[0], smooth)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_categorical_from_probabilities_is_finite_at_zero(dtype: str) -> None:
    p = np.array([[1.0, 0.0, 0.0]], dtype)
    out = lx.categorical_cross_entropy(p, np.array([1]))
    assert out.dtype == np.dtype(dtype)
    assert np.isfinite(out.astype(float))
    assert float(out) > 5.0


def test_float16_cross_entropy_mean_over_70000_rows() -> None:
    n = 70_000
    # two classes with logits (0, 0): every row costs log 2
    out = lx.cross_entropy(np.zeros((n, 2), np.float16), np.zeros(n, np.int64))
    assert out.dtype == np.float16
    assert float(out) == float(np.float16(math.log(2.0)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_cross_entropy_extreme_logits_are_finite(dtype: str) -> None:
    big = 1e2 if dtype == "float16" else 1e4
    x = np.array([[big, -big, 0.0], [big, -big, 0.0]], dtype)
    out = lx.cross_entropy(x, np.array([0, 1]), reduction="none")
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.astype(float), [0.0, 2 * big], atol=1e-30, rtol=1e-3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # see test_all_ignored_mean_warns_not
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_all_ignored_mean_is_nan(name: str, weighted: bool, xpb: XP) -> None:
    """As PyTorch: 0 / 0 = NaN; the sum is 0 and ``none`` is all zeros."""
    fn = getattr(lx, name)
    x = xpb.asarray(np.log(np.full((3, 4), 0.25)))
    y = xpb.asarray(np.full(3, -100))
    kw = {"weight": [1.0, 2.0, 3.0, 4.0]} if weighted else {}
    assert math.isnan(float(xpb.to_numpy(fn(x, y, **kw))))
    assert float(xpb.to_numpy(fn(x, y, reduction="sum", **kw))) == 0.0
    assert np.array_equal(xpb.to_numpy(fn(x, y, reduction="none", **kw)), np.zeros(3))


def test_all_ignored_mean_warns_not() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lx.cross_entropy(np.zeros((2, 3)), np.array([-100, -100]))
    assert math.isnan(float(out))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_neg_inf_logit_with_zero_probability_contributes_zero(dtype: str, xpb: XP) -> None:
    x = xpb.asarray([[0.0, -np.inf, math.log(3.0)]], dtype)
    t = xpb.asarray([[0.5, 0.0, 0.5]], dtype)
    out = float(xpb.to_numpy(lx.cross_entropy(x, t)))
    # softmax over the finite logits (1, 3)/4: -(0.5 log(1/4) + 0.5 log(3/4))
    expected = -(0.5 * math.log(0.25) + 0.5 * math.log(0.75))
    assert math.isclose(out, expected, rel_tol=1e-6)
    # and with a class-index target on a finite class
    out_idx = float(xpb.to_numpy(lx.cross_entropy(x, xpb.asarray([2]))))
    assert math.isclose(out_idx, -math.log(0.75), rel_tol=1e-6)


def test_neg_inf_logit_on_the_target_class_is_inf() -> None:
    out = lx.cross_entropy(np.array([[0.0, -np.inf]]), np.array([1]))
    assert out == np.inf


def test_zero_dim_logits_have_no_class_axis() -> None:
    with pytest.raises(ValueError, match=r"at least 1 dimension"):
        lx.cross_entropy(np.asarray(0.0), np.asarray(0))


def test_one_dim_logits_with_zero_dim_target() -> None:
    """A single sample without a batch axis: logits (C,), target () as in PyTorch."""
    out = lx.cross_entropy(np.log(np.array([0.25, 0.25, 0.5])), np.asarray(2), reduction="none")
    assert out.shape == ()
    assert math.isclose(float(out), math.log(2.0), rel_tol=1e-12)


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("name", ["cross_entropy", "categorical_cross_entropy"])
@pytest.mark.parametrize("eps", [0, 0.0, 1, 1.0])
def test_label_smoothing_bounds_are_accepted(name: str, eps: float) -> None:
    p, t = _inputs(name)
    assert np.isfinite(getattr(lx, name)(p, t, label_smoothing=eps))


# --------------------------------------------------------------------------- properties

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False, width=64)
SETTINGS = settings(max_examples=40, deadline=None)


def logits_and_labels(max_c: int = 5) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
        n = draw(st.integers(1, 6))
        c = draw(st.integers(1, max_c))
        x = draw(hnp.arrays(np.float64, (n, c), elements=finite))
        y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
        return x, y

    return build()


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


@SETTINGS
@given(data=logits_and_labels(), shift=st.floats(-50, 50))
def test_cross_entropy_is_shift_invariant(data: tuple[np.ndarray, np.ndarray],
                                          shift: float) -> None:
    x, y = data
    np.testing.assert_allclose(lx.cross_entropy(x + shift, y, reduction="none"),
                               lx.cross_entropy(x, y, reduction="none"), rtol=1e-9, atol=1e-9)


@SETTINGS
@given(data=logits_and_labels(), eps=st.floats(0, 1))
def test_index_targets_equal_one_hot_targets(data: tuple[np.ndarray, np.ndarray],
                                             eps: float) -> None:
    x, y = data
    onehot = (y[:, None] == np.arange(x.shape[1])).astype(np.float64)
    np.testing.assert_allclose(lx.cross_entropy(x, y, label_smoothing=eps, reduction="none"),
                               lx.cross_entropy(x, onehot, label_smoothing=eps, reduction="none"),
                               rtol=1e-10, atol=1e-12)


@SETTINGS
@given(data=logits_and_labels())
def test_cross_entropy_is_nll_of_log_softmax(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    np.testing.assert_allclose(lx.cross_entropy(x, y, reduction="none"),
                               lx.nll_loss(_log_softmax(x), y, reduction="none"),
                               rtol=1e-10, atol=1e-12)


@SETTINGS
@given(data=logits_and_labels())
def test_categorical_of_softmax_is_cross_entropy(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    x = x / 10  # keep the probabilities away from the clamp
    got = lx.categorical_cross_entropy(np.exp(_log_softmax(x)), y, reduction="none")
    np.testing.assert_allclose(got, lx.cross_entropy(x, y, reduction="none"), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(x=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-15, 15)),
       seed=st.integers(0, 2**16))
def test_bce_with_logits_equals_bce_of_sigmoid(x: np.ndarray, seed: int) -> None:
    y = np.random.default_rng(seed).uniform(size=x.shape)
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(lx.binary_cross_entropy_with_logits(x, y, reduction="none"),
                               lx.binary_cross_entropy(sig, y, reduction="none"),
                               rtol=1e-8, atol=1e-12)


def test_categorical_cross_entropy_accepts_integer_one_hot_targets(xpb: XP) -> None:
    """Integer and bool one-hot rows are class probabilities, as in Keras's
    ``categorical_crossentropy`` (they used to fail with the class-index shape message)."""
    p = xpb.asarray([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    expected = -(LN(0.7) + LN(0.8)) / 2
    onehot = np.array([[1, 0, 0], [0, 0, 1]])
    for target in (onehot, onehot.astype(np.int32), onehot.astype(bool)):
        close(value(xpb, lx.categorical_cross_entropy(p, xpb.asarray(target))), expected)
    with pytest.raises(ValueError, match=r"class-index `target` must have the shape"):
        lx.categorical_cross_entropy(p, xpb.asarray(onehot[:, :1]))  # (N, 1): indices


def test_cross_entropy_probability_targets_refuse_ignore_index(xpb: XP) -> None:
    """``ignore_index`` has nothing to ignore in class probabilities: a value other than
    the default raises (it used to be accepted silently; PyTorch raises too)."""
    logits = xpb.asarray([[2.0, 0.5, -1.0]])
    probs = xpb.asarray([[1.0, 0.0, 0.0]])
    expected = value(xpb, lx.cross_entropy(logits, probs))
    close(value(xpb, lx.cross_entropy(logits, probs, ignore_index=-100)), expected)
    for ignore in (0, -1):
        with pytest.raises(ValueError, match=r"^`ignore_index` applies to class-index targets"):
            lx.cross_entropy(logits, probs, ignore_index=ignore)
    # class indices keep it
    close(value(xpb, lx.cross_entropy(logits, xpb.asarray([0]), ignore_index=0,
                                      reduction="sum")), 0.0)
