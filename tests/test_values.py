"""Values of every loss on tiny examples, with expected values computed by hand.

Each expected value is written out from the definition (``math.log`` of the probabilities
the example was built from, PyTorch's documented denominators), not with the package's
own formulas; the hypothesis tests at the end check identities between losses that hold
mathematically (shift invariance, huber = delta * smooth_l1, one-hot = index targets ...).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import LOSSES, XP, Loss, loss_params, valid_inputs
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import losses_xp as lx

LN = math.log


def value(xpb: XP, out: object) -> np.ndarray:
    return xpb.to_numpy(out).astype(np.float64)


def close(got: np.ndarray, expected: object, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(got, np.asarray(expected, dtype=float), rtol=rtol, atol=1e-15)


# --------------------------------------------------------------------------- regression


def test_mse_l1_rmse(xpb: XP) -> None:
    p, t = xpb.asarray([1.0, 2.0, 4.0]), xpb.asarray([1.0, 1.0, 1.0])
    close(value(xpb, lx.mse_loss(p, t)), 10 / 3)
    close(value(xpb, lx.mse_loss(p, t, reduction="sum")), 10.0)
    close(value(xpb, lx.mse_loss(p, t, reduction="none")), [0.0, 1.0, 9.0])
    close(value(xpb, lx.l1_loss(p, t)), 4 / 3)
    close(value(xpb, lx.l1_loss(p, t, reduction="none")), [0.0, 1.0, 3.0])
    close(value(xpb, lx.rmse_loss(p, t)), math.sqrt(10 / 3))


def test_regression_weights_divide_by_the_element_count(xpb: XP) -> None:
    """Weighted mean = sum(w * loss) / N, not / sum(w) (documented; unlike scikit-learn)."""
    p, t = xpb.asarray([3.0, 0.0]), xpb.asarray([0.0, 4.0])
    w = [1.0, 0.0]
    close(value(xpb, lx.mse_loss(p, t, weight=w)), 9 / 2)
    close(value(xpb, lx.rmse_loss(p, t, weight=w)), math.sqrt(9 / 2))
    close(value(xpb, lx.l1_loss(p, t, weight=[2.0, 0.5])), (6 + 2) / 2)
    close(value(xpb, lx.rmse_loss(p, t)), math.sqrt(25 / 2))


@pytest.mark.parametrize(("delta", "errors", "expected"), [
    (1.0, [0.5, -3.0, 1.0], [0.125, 2.5, 0.5]),
    (2.0, [1.0, 3.0, -2.0], [0.5, 4.0, 2.0]),  # 2 * (3 - 1)
    (0.5, [0.25, -1.0], [0.03125, 0.375]),  # 0.5 * (1 - 0.25)
])
def test_huber(delta: float, errors: list[float], expected: list[float], xpb: XP) -> None:
    e = xpb.asarray(errors)
    out = lx.huber_loss(e, xpb.asarray(np.zeros(len(errors))), delta=delta, reduction="none")
    close(value(xpb, out), expected)


@pytest.mark.parametrize(("beta", "errors", "expected"), [
    (1.0, [0.5, -3.0], [0.125, 2.5]),
    (2.0, [1.0, 3.0], [0.25, 2.0]),  # 1 / (2 * 2) ; 3 - 1
    (0.0, [0.5, -3.0, 0.0], [0.5, 3.0, 0.0]),  # beta = 0 is exactly L1
])
def test_smooth_l1(beta: float, errors: list[float], expected: list[float], xpb: XP) -> None:
    e = xpb.asarray(errors)
    out = lx.smooth_l1_loss(e, xpb.asarray(np.zeros(len(errors))), beta=beta, reduction="none")
    close(value(xpb, out), expected)


def test_log_cosh(xpb: XP) -> None:
    errors = [0.0, 1.0, -2.5, 30.0]
    out = lx.log_cosh_loss(xpb.asarray(errors), xpb.asarray(np.zeros(4)), reduction="none")
    close(value(xpb, out), [math.log(math.cosh(e)) for e in errors], rtol=1e-14)


def test_regression_is_on_the_error_only(xpb: XP) -> None:
    """prediction - target: shifting both changes nothing, swapping flips the error sign."""
    rng = np.random.default_rng(5)
    p, t = rng.normal(size=7), rng.normal(size=7)
    for fn in (lx.mse_loss, lx.l1_loss, lx.huber_loss, lx.smooth_l1_loss, lx.log_cosh_loss,
               lx.rmse_loss):
        a = value(xpb, fn(xpb.asarray(p), xpb.asarray(t)))
        b = value(xpb, fn(xpb.asarray(p + 0.5), xpb.asarray(t + 0.5)))
        c = value(xpb, fn(xpb.asarray(t), xpb.asarray(p)))
        close(b, a, rtol=1e-13)
        close(c, a, rtol=1e-13)


def test_integer_regression_target(xpb: XP) -> None:
    out = lx.mse_loss(xpb.asarray([0.5, 2.0], "float32"), xpb.asarray([1, 2]))
    close(value(xpb, out), 0.125)


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


# --------------------------------------------------------------------------- reductions


@pytest.mark.parametrize("loss", loss_params([x for x in LOSSES if x.name != "rmse_loss"]))
def test_sum_and_mean_agree_with_none(loss: Loss, xpb: XP) -> None:
    p, t = valid_inputs(loss, n=5, c=3, seed=11)
    pred, target = xpb.asarray(p), xpb.asarray(t)
    none = value(xpb, loss.fn(pred, target, reduction="none"))
    close(value(xpb, loss.fn(pred, target, reduction="sum")), none.sum(), rtol=1e-13)
    close(value(xpb, loss.fn(pred, target)), none.mean(), rtol=1e-13)


@pytest.mark.parametrize("loss", loss_params(LOSSES))
def test_numpy_and_strict_agree(loss: Loss) -> None:
    import array_api_strict as xs

    p, t = valid_inputs(loss, n=6, c=4, seed=2)
    for dtype in ("float32", "float64"):
        a = loss.fn(p.astype(dtype), t)
        b = loss.fn(xs.asarray(p.astype(dtype)), xs.asarray(t))
        assert b.dtype == getattr(xs, dtype)
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-6 if dtype == "float32" else 1e-14)


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


@SETTINGS
@given(e=hnp.arrays(np.float64, st.integers(1, 8), elements=finite),
       delta=st.floats(0.01, 10))
def test_huber_is_delta_times_smooth_l1(e: np.ndarray, delta: float) -> None:
    z = np.zeros_like(e)
    np.testing.assert_allclose(lx.huber_loss(e, z, delta=delta, reduction="none"),
                               delta * lx.smooth_l1_loss(e, z, beta=delta, reduction="none"),
                               rtol=1e-12, atol=1e-15)
    # and both are bounded by the quadratic and the linear pieces
    h = lx.huber_loss(e, z, delta=delta, reduction="none")
    assert np.all(h <= 0.5 * e * e + 1e-12)
    assert np.all(h <= delta * np.abs(e) + 1e-12)


@SETTINGS
@given(e=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-300, 300)))
def test_log_cosh_matches_its_definition(e: np.ndarray) -> None:
    np.testing.assert_allclose(lx.log_cosh_loss(e, np.zeros_like(e), reduction="none"),
                               np.log(np.cosh(e)), rtol=1e-12, atol=1e-15)


@SETTINGS
@given(p=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-50, 50)),
       t=st.floats(-50, 50))
def test_rmse_is_the_root_of_mse(p: np.ndarray, t: float) -> None:
    target = np.full_like(p, t)
    np.testing.assert_allclose(lx.rmse_loss(p, target) ** 2, lx.mse_loss(p, target), rtol=1e-12,
                               atol=1e-300)
