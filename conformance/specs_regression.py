"""Conformance spec entries of the regression family (``losses_xp/regression.py``).

Oracles (float64): PyTorch's ``torch.nn.functional`` losses where PyTorch has one (element
weights, which PyTorch's regression losses lack, multiply its ``reduction="none"``
output; the mean then divides by the element count, as we document),
``sklearn.metrics.root_mean_squared_error`` for RMSE, the definition ``log(cosh(e))``
evaluated by PyTorch for log-cosh; scikit-learn and Keras are cross-checks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import mpmath
import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.compare import TOLERANCES
from losses_xp._testing.inputs import EPS, Case, quantize, regression_values, weights

from .helpers import lazy, need_autodiff
from .registry import (
    EXACT,
    KERAS,
    Oracle,
    Pinned,
    Tol,
    TorchExpr,
    from_torch,
    keras,
    np_reduce,
    spec,
    t_reduce,
    torch,
    torch_spec,
)

# --------------------------------------------------------------------------- cases


def _regression_cases(weighted: bool = True, kink_ok: bool = True,
                      extra: Callable[[np.random.Generator], list[Case]] | None = None,
                      ) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        rv = regression_values

        def pair(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
            return rv(rng, shape), rv(rng, shape)

        cases = [
            Case("0d", pair(()), tags=frozenset({"0d"})),
            Case("empty", pair((0, 3)), tags=frozenset({"empty", "nan-mean"}), grad=False),
            Case("1d", pair((7,)), tags=frozenset({"1d"})),
            Case("2d", pair((4, 5)), tags=frozenset({"2d"})),
            Case("nd", pair((2, 3, 4, 5)), tags=frozenset({"nd"})),
            Case("int-target", (rv(rng, (6,)), rng.integers(-3, 4, size=(6,))),
                 tags=frozenset({"1d", "int-target"})),
        ]
        if weighted:
            cases += [
                Case("2d-weight", pair((4, 5)), {"weight": weights(rng, (4, 5))},
                     tags=frozenset({"2d", "weight"})),
                Case("2d-weight-list", pair((4, 5)),
                     {"weight": [float(w) for w in weights(rng, (5,))]},
                     tags=frozenset({"2d", "weight"})),
            ]
        if kink_ok:
            p, t = pair((6,))
            t[::2] = p[::2]  # zero errors: the |e| kink; backends' subgradients differ
            cases.append(Case("zero-errors", (p, t), tags=frozenset({"1d", "kink"}),
                              grad=False))
        if extra is not None:
            cases += extra(rng)
        return cases
    return make


def _regression_extreme(half_max: float = 2000.0,
                        ) -> Callable[[np.random.Generator], list[Case]]:
    """Errors of 700 to 1e4 (past cosh's float64 overflow at 710); ``half_max`` caps
    the float16 case so the exact loss and its sum stay below float16's 65504."""
    def make(rng: np.random.Generator) -> list[Case]:
        sign = rng.choice([-1.0, 1.0], size=(2, 3))
        big = sign * rng.uniform(700.0, 1e4, size=(2, 3))
        big[0, 0] = 1e4
        big[1, 0] = -1e4
        t = regression_values(rng, (2, 3))
        half = sign[0, :2] * rng.uniform(0.5 * half_max, half_max, size=(2,))
        th = regression_values(rng, (2,))
        return [
            Case("errors-700-1e4", (t + big, t), dtypes=("float32", "float64", "bfloat16"),
                 tags=frozenset({"2d"})),
            Case("errors-1e4-0d", (np.array(1e4), np.array(0.0)),
                 dtypes=("float32", "float64", "bfloat16"), tags=frozenset({"0d"})),
            Case(f"errors-half-{half_max:g}", (th + half, th), dtypes=("float16",),
                 tags=frozenset({"1d"})),
        ]
    return make


def _huber_extra(rng: np.random.Generator) -> list[Case]:
    rv = regression_values
    return [Case(f"delta-{d:g}", (rv(rng, (4, 5)), rv(rng, (4, 5))), {"delta": d},
                 tags=frozenset({"2d"})) for d in (0.5, 2.5)]


def _charbonnier_extra(rng: np.random.Generator) -> list[Case]:
    rv = regression_values
    return [Case(f"eps-{e:g}", (rv(rng, (4, 5)), rv(rng, (4, 5))), {"eps": e},
                 tags=frozenset({"2d"})) for e in (1e-6, 0.5, 1.0)]


def _smooth_l1_extra(rng: np.random.Generator) -> list[Case]:
    rv = regression_values
    out = [Case(f"beta-{b:g}", (rv(rng, (4, 5)), rv(rng, (4, 5))), {"beta": b},
                tags=frozenset({"2d"})) for b in (0.0, 0.5, 2.5)]
    p = rv(rng, (6,))
    t = p.copy()
    t[1::2] += rv(rng, (3,))
    out.append(Case("beta-0-zero-errors", (p, t), {"beta": 0.0},
                    tags=frozenset({"1d", "kink"}), grad=False))
    return out


# --------------------------------------------------------------------------- oracles


def _regression_torch(fname: str, option: str | None = None) -> TorchExpr:
    """``torch.nn.functional.<fname>``; element weights (which PyTorch lacks) multiply
    its ``reduction="none"`` output, then our documented mean (sum / element count)."""
    def expr(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
        F = torch().nn.functional
        pred, target = t[0], t[1].to(t[0].dtype)
        opts = {option: float(kw[option])} if option and option in kw else {}
        if "weight" not in kw:
            return getattr(F, fname)(pred, target, reduction=reduction, **opts)
        loss = getattr(F, fname)(pred, target, reduction="none", **opts)
        return t_reduce(loss * kw["weight"], reduction)
    return expr


def _sklearn_mean(fname: str) -> Oracle:
    """``sklearn.metrics.<fname>`` on the flattened inputs (unweighted ``mean`` only)."""
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray | None:
        if reduction != "mean" or "weight" in kwargs or args[0].size == 0:
            return None
        from sklearn import metrics

        return np.asarray(getattr(metrics, fname)(np.ravel(args[1]).astype(np.float64),
                                                  np.ravel(args[0])))
    return oracle


def _pseudo_huber_scipy(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                        reduction: str) -> np.ndarray:
    """``scipy.special.pseudo_huber(delta, e)`` in float64, then our reductions (SciPy
    evaluates it without cancellation for small errors)."""
    from scipy.special import pseudo_huber

    e = np.asarray(args[0], np.float64) - np.asarray(args[1], np.float64)
    return np_reduce(pseudo_huber(float(kwargs.get("delta", 1.0)), e), reduction)


# ------------------------------------------------ MAPE, MSLE, Tweedie deviances


def _away_from_zero(make: Callable[[np.random.Generator], list[Case]],
                    ) -> Callable[[np.random.Generator], list[Case]]:
    """The cases of ``make`` with every target at least 0.25 from 0 (zeros of integer
    targets made 1), the predictions that equalled a target moved with it (and, but in
    the kink cases, none equal to its target in bfloat16): a relative error whose
    denominator is the target itself in every dtype (a target below the dtype's eps is a
    pinned case)."""
    def away(t: np.ndarray) -> np.ndarray:
        if t.dtype.kind != "f":
            return np.where(t == 0, 1, t).astype(t.dtype)
        return np.where(np.abs(t) < 0.25, np.where(t < 0, t - 0.5, t + 0.5), t)

    def wrapped(rng: np.random.Generator) -> list[Case]:
        out = []
        for c in make(rng):
            p, t = c.args
            t2 = away(t)
            p2 = np.where(p == t, t2, p)
            if "kink" not in c.tags:  # no error of 0 (the |e| kink) once rounded to bfloat16
                p2 = np.where(quantize(p2, "bfloat16") == quantize(t2, "bfloat16"), p2 + 0.5, p2)
            out.append(dataclasses.replace(c, args=(p2, t2)))
        return out
    return wrapped


def _sklearn_raw(fname: str) -> Oracle:
    """``sklearn.metrics.<fname>`` per element (the elements as the columns of one
    sample, ``multioutput="raw_values"``), then our reductions."""
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray:
        from sklearn import metrics

        p = np.asarray(args[0], np.float64)
        if p.size == 0:  # (scikit-learn raises on an empty input)
            return np_reduce(np.zeros(p.shape), reduction)
        t = np.asarray(args[1], np.float64)
        raw = getattr(metrics, fname)(t.reshape(1, -1), p.reshape(1, -1),
                                      multioutput="raw_values")
        return np_reduce(np.asarray(raw, np.float64).reshape(p.shape), reduction)
    return oracle


_mape_sklearn = _sklearn_raw("mean_absolute_percentage_error")


def _mape_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                reduction: str) -> np.ndarray | None:
    """``keras.losses.mean_absolute_percentage_error`` per element (a trailing axis of
    1), divided by 100 (Keras returns a percentage), then our reductions."""
    p = np.asarray(args[0], np.float64)
    if p.size == 0:
        return None
    k = keras()
    t = np.asarray(args[1], np.float64)
    value = np.asarray(k.losses.mean_absolute_percentage_error(
        t.reshape(-1, 1), p.reshape(-1, 1)), np.float64) / 100.0
    return np_reduce(value.reshape(p.shape), reduction)


def _mape_zero_targets(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                       reduction: str, dtype: str) -> np.ndarray:
    """scikit-learn's value at zero targets, |p| / float64's eps, rescaled to the
    dtype's eps (our documented denominator)."""
    value = _mape_sklearn(args, kwargs, "none") * (np.finfo(np.float64).eps / EPS[dtype])
    return np_reduce(value, reduction)


_PINNED_MAPE = (
    # a zero target divides by the dtype's eps: |p| / eps, large and finite
    Pinned("zero-targets-divide-by-eps", (np.array([1.0, -2.5, 0.5, 3.0]), np.zeros(4)),
           value=_mape_zero_targets, reductions=("none", "sum", "mean")),
)


def _mapped(make: Callable[[np.random.Generator], list[Case]],
            floats: Callable[[np.ndarray], np.ndarray],
            ints: Callable[[np.ndarray], np.ndarray] = np.abs,
            ) -> Callable[[np.random.Generator], list[Case]]:
    """The cases of ``make`` with every floating argument mapped by ``floats`` and every
    integer one by ``ints`` (element-wise, so equal arguments stay equal): real values
    into a loss's domain."""
    def wrapped(rng: np.random.Generator) -> list[Case]:
        return [dataclasses.replace(c, args=tuple(
            np.asarray((floats(a) if a.dtype.kind == "f" else ints(a)) if a.dtype != bool
                       else a) for a in c.args)) for c in make(rng)]
    return wrapped


def _log1p_domain(x: np.ndarray) -> np.ndarray:
    """Real values into (-1, inf): expm1(x / 2) (normal values of scale 2: -0.98 to 20)."""
    return np.expm1(x / 2.0)


def _msle_cases(rng: np.random.Generator) -> list[Case]:
    """The regression cases mapped into (-1, inf), and non-negative arguments (where
    Keras's clip at 1e-7 changes nothing: its cross-check)."""
    rv = regression_values
    return [*_mapped(_regression_cases(weighted=False), _log1p_domain)(rng),
            Case("2d-non-negative", (np.abs(rv(rng, (4, 5))), np.abs(rv(rng, (4, 5)))),
                 tags=frozenset({"2d"}))]


def _msle_extreme(rng: np.random.Generator) -> list[Case]:
    """Errors of 700 to 1e4 (the regression extremes, absolute values) and arguments next
    to -1 (-0.999 in float16, whose spacing there is 4.9e-4; -0.99 in bfloat16)."""
    near = [Case(f"near-minus-one-{m:g}", (np.array([m, 1e4, -0.5, 0.0, m]),
                                           np.array([1e4, m, 3.0, m, -0.25])),
                 dtypes=dtypes, tags=frozenset({"1d"}))
            for m, dtypes in ((-0.999, ("float64", "float32", "float16")),
                              (-0.99, ("bfloat16",)))]
    return _mapped(_regression_extreme(), np.abs)(rng) + near


_msle_sklearn = _sklearn_raw("mean_squared_log_error")


def _msle_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                reduction: str) -> np.ndarray | None:
    """``keras.losses.mean_squared_logarithmic_error`` per element (a trailing axis of 1),
    for non-negative arguments only (Keras clips below at 1e-7: values in (-1, 0) count
    as 0 there)."""
    p, t = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    if p.size == 0 or np.any(p < 0) or np.any(t < 0):
        return None
    k = keras()
    value = np.asarray(k.losses.mean_squared_logarithmic_error(
        t.reshape(-1, 1), p.reshape(-1, 1)), np.float64)
    return np_reduce(value.reshape(p.shape), reduction)


_PINNED_MSLE = (
    # arguments in (-1, 0) are valid (scikit-learn); Keras would clip them to 0
    Pinned("arguments-in-minus-one-to-zero", (np.array([-0.5, -0.9, 0.3, -0.75]),
                                              np.array([0.2, -0.25, -0.75, -0.75])),
           value="oracle", reductions=("none", "mean")),
)


def _positive_domain(x: np.ndarray) -> np.ndarray:
    """Real values into (0, inf): exp(x / 2) (normal values of scale 2: 0.02 to 50)."""
    return np.exp(x / 2.0)


def _tweedie_cases(target: str, powers: tuple[float, ...] = ()
                   ) -> Callable[[np.random.Generator], list[Case]]:
    """The regression cases mapped into the domain (means exp(x / 2); integer targets
    |y| for ``target="non_negative"``, |y| + 1 for ``"positive"``), the powers on 2-d
    means, and targets of 0 (below 0 too at a negative power) where the domain has them."""
    ints = np.abs if target == "non_negative" else (lambda y: np.abs(y) + 1)

    def make(rng: np.random.Generator) -> list[Case]:
        rv = regression_values

        def pos(shape: tuple[int, ...]) -> np.ndarray:
            return _positive_domain(rv(rng, shape))
        out = _mapped(_regression_cases(weighted=False), _positive_domain, ints)(rng)
        t2 = frozenset({"2d"})
        out += [Case(f"2d-power-{p!r}", (pos((4, 5)), pos((4, 5))), {"power": p}, tags=t2)
                for p in powers]
        zeros = (1, 1.5, -1.0) if powers else ((None,) if target == "non_negative" else ())
        for p in zeros:
            y = pos((6,))
            y[::2] = 0.0
            out.append(Case(f"zero-targets-power-{p!r}" if p else "zero-targets", (pos((6,)), y),
                            {} if p is None else {"power": p}, tags=frozenset({"1d"})))
        if powers:  # any real target at a negative power, any real values at power 0
            out += [Case("negative-targets-power--1.0", (pos((6,)), rv(rng, (6,))),
                         {"power": -1.0}, tags=frozenset({"1d"})),
                    Case("2d-power-0-real-values", (rv(rng, (4, 5)), rv(rng, (4, 5))),
                         {"power": 0.0}, tags=t2)]
        return out
    return make


def _tweedie_extreme(powers: tuple[float, ...] = ()
                     ) -> Callable[[np.random.Generator], list[Case]]:
    """Means of 700 to 1e4 against targets of a few units (the regression extremes,
    absolute values plus 1/4: the 0-d target 0 becomes 1/4), at each power in float32
    and float64."""
    def make(rng: np.random.Generator) -> list[Case]:
        out = _mapped(_regression_extreme(half_max=120.0), lambda x: np.abs(x) + 0.25)(rng)
        base = next(c for c in out if c.name == "errors-700-1e4")
        out += [dataclasses.replace(base, name=f"errors-700-1e4-power-{p!r}",
                                    kwargs={"power": p}, dtypes=("float32", "float64"))
                for p in powers]
        return out
    return make


def _tweedie_sklearn(fname: str) -> Oracle:
    """``sklearn.metrics.<fname>`` (``power`` passed on where given), per element for
    ``reduction="none"`` (it has no ``multioutput``), over the flattened inputs for the
    mean (and the mean times the count for the sum)."""
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray:
        from sklearn import metrics

        f = getattr(metrics, fname)
        mu = np.asarray(args[0], np.float64)
        if mu.size == 0:  # (scikit-learn raises on an empty input)
            return np_reduce(np.zeros(mu.shape), reduction)
        y = np.asarray(args[1], np.float64).reshape(-1)
        kw = {"power": kwargs["power"]} if "power" in kwargs else {}
        if reduction != "none":
            value = f(y, mu.reshape(-1), **kw)
            return np.asarray(value * (mu.size if reduction == "sum" else 1.0))
        flat = mu.reshape(-1)
        return np.array([f(y[i:i + 1], flat[i:i + 1], **kw)
                         for i in range(mu.size)]).reshape(mu.shape)
    return oracle


def _tweedie_torch(power: float | None = None) -> TorchExpr:
    """The definition (scikit-learn's formula for each power, ``torch.xlogy`` at power
    1) in float64 PyTorch: the gradients by autograd (the scikit-learn value oracle has
    none)."""
    def expr(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
        th = torch()
        mu, y = t[0], t[1].to(t[0].dtype)
        p = float(kw.get("power", 0.0)) if power is None else power
        if p == 0.0:
            d = (y - mu) ** 2
        elif p == 1.0:
            # (xlogy(y, y / mu)'s autograd is 0 / 0 at y = 0: the two terms apart)
            d = 2.0 * (th.xlogy(y, y) - th.xlogy(y, mu) - y + mu)
        elif p == 2.0:
            d = 2.0 * (th.log(mu / y) + y / mu - 1.0)
        else:
            d = 2.0 * (th.clamp(y, min=0.0) ** (2.0 - p) / ((1.0 - p) * (2.0 - p))
                       - y * mu ** (1.0 - p) / (1.0 - p) + mu ** (2.0 - p) / (2.0 - p))
        return t_reduce(d, reduction)
    return expr


def _tweedie_at(fname: str, power: float) -> Oracle:
    """``sklearn.metrics.<fname>`` (Poisson, gamma) where a case's power is ``power``."""
    def check(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
              reduction: str) -> np.ndarray | None:
        if float(kwargs.get("power", 0.0)) != power:
            return None
        return _tweedie_sklearn(fname)(args, {}, reduction)
    return check


def _poisson_value(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str, dtype: str) -> np.ndarray:
    """``sklearn.metrics.mean_poisson_deviance`` per element (a power next to 1 must
    give it: the deviance is continuous in the power)."""
    return _tweedie_sklearn("mean_poisson_deviance")(args, {}, reduction)


_POWER_NEAR = (np.array([0.5, 0.5, 2.0, 2.0, 7.0]), np.array([2.0, 0.0, 1.0, 4.0, 6.5]))

_PINNED_TWEEDIE = (
    # scikit-learn's docstring example (power 1): 1.4260...
    Pinned("sklearn-docstring-example", (np.array([0.5, 0.5, 2.0, 2.0]),
                                         np.array([2.0, 0.0, 1.0, 4.0])), {"power": 1},
           value=1.4260151319598084, reductions=("mean",)),
    # powers next to 1 are the Poisson deviance: no division by a small 1 - power
    *(Pinned(f"power-{p!r}-is-poisson", _POWER_NEAR, {"power": p}, value=_poisson_value,
             dtypes=("float32", "float64"), tol=Tol(1e-5, 1e-7)) for p in (1.0 + 1e-9,
                                                                          1.0 + 1e-6)),
)

_PINNED_POISSON = (
    # a zero target: 2 mu, gradient 2 (xlogy: 0 log 0 = 0)
    Pinned("zero-target-is-two-mu", (np.array([0.5, 3.0]), np.zeros(2)), value=np.array(
        [1.0, 6.0]), grad=np.array([2.0, 2.0])),
)


def _charbonnier_scipy(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                       reduction: str) -> np.ndarray:
    """sqrt(e^2 + eps^2) = scipy.special.pseudo_huber(eps, e) / eps + eps (float64)."""
    from scipy.special import pseudo_huber

    eps = float(kwargs.get("eps", 1e-3))
    e = np.asarray(args[0], np.float64) - np.asarray(args[1], np.float64)
    return np_reduce(pseudo_huber(eps, e) / eps + eps, reduction)


def _rmse_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                  reduction: str) -> np.ndarray:
    """``sklearn.metrics.root_mean_squared_error`` on the flattened inputs.

    scikit-learn's weighted RMSE divides by the summed weights, ours by the element
    count N: ours = sklearn · sqrt(Σw / N).  An empty input has RMSE NaN (the square
    root of the NaN mean squared error); scikit-learn raises on it.
    """
    from sklearn.metrics import root_mean_squared_error

    pred, target = args[0], np.asarray(args[1], dtype=np.float64)
    n = pred.size
    if n == 0:
        return np.asarray(math.nan)
    if "weight" not in kwargs:
        return np.asarray(root_mean_squared_error(np.ravel(target), np.ravel(pred)))
    w = np.broadcast_to(np.asarray(kwargs["weight"], dtype=np.float64), pred.shape).ravel()
    value = root_mean_squared_error(np.ravel(target), np.ravel(pred), sample_weight=w)
    return np.asarray(value * math.sqrt(np.sum(w) / n))


def _rmse_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``sqrt(torch.nn.functional.mse_loss)`` (used as a cross-check)."""
    th = torch()
    loss = th.nn.functional.mse_loss(t[0], t[1].to(t[0].dtype), reduction="none")
    if "weight" in kw:
        loss = loss * kw["weight"]
    return th.sqrt(t_reduce(loss, "mean"))


def _log_cosh_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The definition ``log(cosh(e))`` evaluated by PyTorch in float64 (we never call
    ``cosh``).  Exact to ~1e-16 relative for the value cases (|e| < 20); it overflows
    to inf past |e| = 710, where the extreme cases only check finiteness and a pinned
    value checks ``1e4 - log 2``."""
    th = torch()
    loss = th.log(th.cosh(t[0] - t[1].to(t[0].dtype)))
    if "weight" in kw:
        loss = loss * kw["weight"]
    return t_reduce(loss, reduction)


def _log_cosh_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                    reduction: str) -> np.ndarray:
    """``keras.losses.log_cosh`` element-wise (a trailing axis of size 1 makes Keras's
    mean over the last axis the identity), then weights and our reductions."""
    k = keras()
    pred, target = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    loss = k.losses.LogCosh(reduction=None, dtype="float64")
    value = np.asarray(loss(target.reshape(-1, 1), pred.reshape(-1, 1)),
                       dtype=np.float64).reshape(pred.shape)
    if "weight" in kwargs:
        value = value * np.asarray(kwargs["weight"], dtype=np.float64)
    return np_reduce(value, reduction)


# --------------------------------------------------------------------------- specs

_REGRESSION_WEIGHTS = (
    "PyTorch has no element `weight` for regression losses: the oracle multiplies "
    "PyTorch's reduction='none' output by the weights and divides the sum by the "
    "element count (our documented mean)."
)

#: the table's relative tolerance without its absolute floor (published values, fuzzer
#: findings at large magnitudes)
_RTOL_ONLY = {d: Tol(t.rtol, 0.0) for d, t in TOLERANCES.items()}

_PINNED_HUBER_LOSS = (
    Pinned("0d-result-is-an-array", (np.array(0.12573242), np.array(1)), value="oracle"),
)

_PINNED_MSE_LOSS = (
    Pinned("0d-result-is-an-array", (np.array([1.0, 2.0]), np.array([1, 4])), value="oracle",
           reductions=("mean",)),
    # the mean of an empty batch is NaN, without NumPy's "Mean of empty slice" warnings
    Pinned("empty-mean-is-nan", (np.zeros((0, 3)), np.zeros((0, 3))), value=np.nan,
           reductions=("mean",)),
)

_PINNED_SMOOTH_L1_LOSS = (
    Pinned("empty-mean-is-nan", (np.zeros(0), np.zeros(0, dtype=bool)), {"beta": 0.5},
           value=np.nan, reductions=("mean",)),
    # fuzzer: beta > 1 and an error near float32's maximum: the Huber value overflowed
    # before the division by beta
    Pinned("extreme-beta-large-error", (np.array(0.1257302165031433),
                                        np.array(5.3169116662270134e+36)), {"beta": 65.0},
           value="oracle", dtypes=("float32",), tol=_RTOL_ONLY),
    # fuzzer: a beta below float32's smallest normal number: 1/beta overflowed, 0 * inf = NaN
    Pinned("extreme-beta-tiny", (np.array([0.125732421875, -0.132080078125, 0.640625]),
                                 np.array([-290.0, -330.0, -222.0])),
           {"beta": 8.446580965917371e-252}, value="oracle", dtypes=("float16",),
           tol=_RTOL_ONLY),
)


def _mpmath_log_cosh(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                     reduction: str, dtype: str) -> np.ndarray:
    """mpmath's ``log(cosh(e))`` at 50 digits, element-wise (``reduction="none"``)."""
    with mpmath.workdps(50):
        return np.array([float(mpmath.log(mpmath.cosh(mpmath.mpf(float(a) - float(b)))))
                         for a, b in zip(np.ravel(args[0]), np.ravel(args[1]), strict=True)])


_LOG_COSH_SMALL = np.array([1e-4, -3e-4, 1e-3, 0.01, -0.1, 1.0, 20.0])

_PINNED_LOG_COSH_LOSS = (
    # log cosh(±1e4) = 1e4 - log 2 (cosh itself overflows past 710), gradient exactly ±1
    Pinned("error-1e4-is-1e4-minus-log-2", (np.array([1e4, -1e4, 3e4]),
                                            np.array([0.0, 0.0, 2e4])),
           value=lambda a, k, r, d: np_reduce(np.full(3, 1e4 - math.log(2.0)), r),
           reductions=("sum", "none"), dtypes=("float32", "float64"), tol=_RTOL_ONLY,
           grad=np.array([1.0, -1.0, 1.0]), grad_tol=Tol(0.0, 0.0)),
    # fuzzer: log-cosh was |e| + log1p(e^{-2|e|}) - log 2, which cancels to ulp(log 2) for
    # small errors: -6e-8 (a negative loss) in float32.  Oracle: mpmath at 50 digits; no
    # absolute floor, so a negative (or zero) loss fails.
    Pinned("small-errors-mpmath", (_LOG_COSH_SMALL, np.zeros_like(_LOG_COSH_SMALL)),
           value=_mpmath_log_cosh, dtypes=("float32", "float64"),
           tol={"float32": Tol(2e-3, 0.0), "float64": Tol(1e-9, 0.0)}),
    # the fuzzer's float16 example: its last loss, 2e-9, rounds to 0 in float16; the
    # absolute floor 3e-9 lies below float16's smallest subnormal (6e-8), so a negative
    # loss still fails (and -0.0 is checked for every pinned value)
    Pinned("small-errors-mpmath-float16-fuzzer",
           (np.array([0.0004818439483642578, -0.0006198883056640625, -0.0011758804321289062,
                      0.00107574462890625, 6.461143493652344e-05]),
            np.array([-1.1708984375, -0.31591796875, 1.4169921875, 1.0244140625,
                      -5.960464477539063e-08])),
           value=_mpmath_log_cosh, dtypes=("float16",), tol=Tol(1e-2, 3e-9)),
)

_PINNED_RMSE_LOSS = (
    Pinned("empty-mean-is-nan", (np.zeros(0), np.zeros(0)), {"weight": np.zeros(0)},
           value=np.nan, reductions=("mean",)),
)

SPECS = [
    torch_spec("mse_loss", _regression_torch("mse_loss"), "torch.nn.functional.mse_loss",
               _regression_cases(), _regression_extreme(half_max=120.0),
               differences=_REGRESSION_WEIGHTS,
               cross_checks=(("sklearn.metrics.mean_squared_error",
                              _sklearn_mean("mean_squared_error"), EXACT),),
               pinned=_PINNED_MSE_LOSS),
    torch_spec("l1_loss", _regression_torch("l1_loss"), "torch.nn.functional.l1_loss",
               _regression_cases(), _regression_extreme(),
               differences=_REGRESSION_WEIGHTS + " At a zero error the backends' abs "
               "subgradients differ (PyTorch 0, JAX 1): such cases are value-only.",
               cross_checks=(("sklearn.metrics.mean_absolute_error",
                              _sklearn_mean("mean_absolute_error"), EXACT),)),
    spec("rmse_loss", _rmse_sklearn, "sklearn.metrics.root_mean_squared_error",
         _regression_cases(kink_ok=False), _regression_extreme(half_max=120.0),
         differences="scikit-learn's weighted RMSE divides by Σw, ours by N: the oracle "
         "rescales by sqrt(Σw/N). scikit-learn averages per column for 2-D inputs "
         "(multioutput): the oracle flattens. Empty input: NaN, the square root of "
         "the NaN mean squared error (scikit-learn raises). Gradients: finite differences "
         "of the scikit-learn value.",
         cross_checks=(("sqrt(torch.nn.functional.mse_loss)", from_torch(_rmse_torch),
                        EXACT),),
         error_fields={"reduction-restricted": {
             "why": "the root of the mean squared error",
             "instead": "Use mse_loss or l1_loss for per-element values."}},
         pinned=_PINNED_RMSE_LOSS),
    torch_spec("huber_loss", _regression_torch("huber_loss", "delta"),
               "torch.nn.functional.huber_loss",
               _regression_cases(extra=_huber_extra), _regression_extreme(),
               differences=_REGRESSION_WEIGHTS,
               pinned=_PINNED_HUBER_LOSS),
    torch_spec("smooth_l1_loss", _regression_torch("smooth_l1_loss", "beta"),
               "torch.nn.functional.smooth_l1_loss",
               _regression_cases(extra=_smooth_l1_extra), _regression_extreme(),
               differences=_REGRESSION_WEIGHTS,
               pinned=_PINNED_SMOOTH_L1_LOSS),
    torch_spec("log_cosh_loss", _log_cosh_torch, "torch.log(torch.cosh(error))",
               _regression_cases(), _regression_extreme(),
               differences="PyTorch has no log-cosh loss: the oracle is the definition "
               "log(cosh(e)) in float64 (finite for |e| < 710). keras.losses.log_cosh is "
               "a cross-check at float32 accuracy: Keras's NumPy backend computes in "
               "float32 whatever floatx says.",
               cross_checks=(("keras.losses.log_cosh (NumPy backend)", _log_cosh_keras,
                              KERAS),),
               pinned=_PINNED_LOG_COSH_LOSS),
    spec("pseudo_huber_loss", _pseudo_huber_scipy, "scipy.special.pseudo_huber",
         _regression_cases(weighted=False, extra=_huber_extra), _regression_extreme(),
         differences="No loss library ships it: SciPy's element-wise function is the "
         "oracle."),
    spec("mape_loss", _mape_sklearn, "sklearn.metrics.mean_absolute_percentage_error",
         _away_from_zero(_regression_cases(weighted=False)),
         _away_from_zero(_regression_extreme()),
         differences="scikit-learn's epsilon is float64's eps whatever the dtype, ours the "
         "dtype's: the value cases keep every target 0.25 from 0, and a pinned case checks "
         "zero targets against scikit-learn's value rescaled to the dtype's eps. "
         "scikit-learn is target-first and raises on an empty input. Keras's "
         "mean_absolute_percentage_error / 100 is a cross-check at float32 accuracy (a "
         "percentage, epsilon 1e-7). Gradients: finite differences of the scikit-learn "
         "value.",
         cross_checks=(("keras.losses.mean_absolute_percentage_error / 100 (NumPy backend)",
                        _mape_keras, KERAS),),
         pinned=_PINNED_MAPE),
    spec("msle_loss", _msle_sklearn, "sklearn.metrics.mean_squared_log_error",
         _msle_cases, _msle_extreme,
         differences="scikit-learn is target-first and raises on an empty input. Keras's "
         "mean_squared_logarithmic_error is a cross-check at float32 accuracy where both "
         "arguments are >= 0 (it clips below at 1e-7). Gradients: finite differences of "
         "the scikit-learn value.",
         cross_checks=(("keras.losses.mean_squared_logarithmic_error (NumPy backend)",
                        _msle_keras, KERAS),),
         pinned=_PINNED_MSLE),
    spec("tweedie_deviance", _tweedie_sklearn("mean_tweedie_deviance"),
         "sklearn.metrics.mean_tweedie_deviance",
         _tweedie_cases("positive", (-1.0, 1, 1.5, 2.0, 3.0)),
         _tweedie_extreme((-1.0, 1, 1.5, 2.0, 3.0)), torch_expr=_tweedie_torch(),
         differences="scikit-learn is target-first, has no multioutput (the oracle calls it "
         "per element for reduction='none') and raises on an empty input. Gradients: "
         "PyTorch autograd of the definition (scikit-learn's formula of each power, "
         "torch.xlogy at power 1) in float64.",
         cross_checks=(("sklearn.metrics.mean_poisson_deviance (power 1)",
                        _tweedie_at("mean_poisson_deviance", 1.0), EXACT),
                       ("sklearn.metrics.mean_gamma_deviance (power 2)",
                        _tweedie_at("mean_gamma_deviance", 2.0), EXACT)),
         pinned=_PINNED_TWEEDIE),
    spec("poisson_deviance", _tweedie_sklearn("mean_poisson_deviance"),
         "sklearn.metrics.mean_poisson_deviance",
         _tweedie_cases("non_negative"), _tweedie_extreme(), torch_expr=_tweedie_torch(1.0),
         differences="scikit-learn is target-first and raises on an empty input (the oracle "
         "calls it per element for reduction='none'). Gradients: PyTorch autograd of "
         "2 (xlogy(y, y) - xlogy(y, mu) - y + mu) in float64.",
         pinned=_PINNED_POISSON),
    spec("gamma_deviance", _tweedie_sklearn("mean_gamma_deviance"),
         "sklearn.metrics.mean_gamma_deviance",
         _tweedie_cases("positive"), _tweedie_extreme(), torch_expr=_tweedie_torch(2.0),
         differences="scikit-learn is target-first and raises on an empty input (the oracle "
         "calls it per element for reduction='none'). Gradients: PyTorch autograd of "
         "2 (log(mu / y) + y / mu - 1) in float64."),
    spec("charbonnier_loss", _charbonnier_scipy,
         "scipy.special.pseudo_huber(eps, e) / eps + eps",
         _regression_cases(weighted=False, extra=_charbonnier_extra), _regression_extreme(),
         differences="No loss library has it: the oracle is SciPy's pseudo-Huber function "
         "through the identity sqrt(e^2 + eps^2) = pseudo_huber(eps, e) / eps + eps, in "
         "float64. Gradients: finite differences of the SciPy value."),
]



def _smooth_l1_inputs(bk: Backend, dtype: str) -> tuple[Any, Any]:
    rng = np.random.default_rng(3)
    p = rng.normal(size=(4, 6))
    t = p.copy()
    t[:, ::2] += rng.normal(size=(4, 3))  # half of the errors are exactly 0
    return bk.asarray(p, dtype), bk.asarray(t, dtype)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_smooth_l1_beta_0_is_l1(bk: Backend, reduction: str) -> None:
    for dtype in bk.dtypes:
        p, t = _smooth_l1_inputs(bk, dtype)
        got = bk.to_numpy(lazy(bk, lx.smooth_l1_loss, p, t, beta=0.0, reduction=reduction))
        want = bk.to_numpy(lazy(bk, lx.l1_loss, p, t, reduction=reduction))
        np.testing.assert_array_equal(got, want, err_msg=dtype)


def test_smooth_l1_beta_0_gradient_is_finite_at_0(bk: Backend) -> None:
    need_autodiff(bk)
    for dtype in bk.dtypes:
        p, t = _smooth_l1_inputs(bk, dtype)
        _, (g,) = bk.value_and_grad(
            lambda a, b: lx.smooth_l1_loss(a, b, beta=0.0, reduction="sum"), [p, t], [0])
        assert np.all(np.isfinite(g)), (dtype, g)
        # away from 0 it is the sign of the error
        e = bk.to_numpy(p) - bk.to_numpy(t)
        np.testing.assert_array_equal(g[e != 0], np.sign(e[e != 0]), err_msg=dtype)


# ------------------------------------------------- probabilistic regression (issue 17)


def _counts(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Poisson counts (floating), with 0, 1 and 2 among them (the Stirling term's edge)."""
    y = rng.poisson(3.0, size=shape).astype(np.float64)
    y.reshape(-1)[:3] = (0.0, 1.0, 2.0)[:y.size]
    return y


def _rates(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Rates >= 0 for ``log_input=False``, one exactly 0."""
    r = np.exp(rng.normal(0.0, 1.0, size=shape))
    r.reshape(-1)[:1] = 0.0
    return r


def _poisson_cases(rng: np.random.Generator) -> list[Case]:
    lr = regression_values  # log-rates
    t2, t1 = frozenset({"2d"}), frozenset({"1d"})
    y = _counts(rng, (4, 5))
    y[0, 3] = 2.5  # (a count need not be an integer)
    return [
        Case("0d", (lr(rng, ()), np.array(4.0)), tags=frozenset({"0d"})),
        Case("empty", (lr(rng, (0, 3)), np.zeros((0, 3))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("1d", (lr(rng, (7,)), _counts(rng, (7,))), tags=t1),
        Case("2d", (lr(rng, (4, 5)), y), tags=t2),
        Case("nd", (lr(rng, (2, 3, 4, 5)), _counts(rng, (2, 3, 4, 5))), tags=frozenset({"nd"})),
        Case("int-target", (lr(rng, (6,)), rng.poisson(2.0, size=(6,))),
             tags=frozenset({"1d", "int-target"})),
        Case("bool-target", (lr(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
             tags=frozenset({"1d", "bool-target"})),
        Case("negative-target", (lr(rng, (6,)), lr(rng, (6,))), tags=t1),
        Case("2d-full", (lr(rng, (4, 5)), y), {"full": True}, tags=t2),
        Case("2d-rates", (_rates(rng, (4, 5)), y), {"log_input": False}, tags=t2),
        Case("2d-rates-full", (_rates(rng, (4, 5)), y), {"log_input": False, "full": True},
             tags=t2),
        Case("2d-rates-eps-0.5", (_rates(rng, (4, 5)), y), {"log_input": False, "eps": 0.5},
             tags=t2),
        Case("nd-rates-eps-1e-7", (_rates(rng, (2, 3, 4)) + 0.1, _counts(rng, (2, 3, 4))),
             {"log_input": False, "eps": 1e-7}, tags=frozenset({"nd"})),
        Case("2d-eps-log-input", (lr(rng, (4, 5)), y), {"eps": 0.5, "log_input": True},
             tags=t2),
    ]


def _poisson_extreme(rng: np.random.Generator) -> list[Case]:
    """Log-rates as large as keep exp(x) (and the sum) finite in each dtype, rates of 0
    and 1e4, counts of 0 to 1e4 with the Stirling term."""
    full = ("float32", "float64", "bfloat16")
    x = np.array([[85.0, -85.0, 40.0], [-40.0, 0.0, 60.0]])
    y = np.array([[1e4, 0.0, 1.0], [2.0, 1e4, 37.0]])
    xh = np.array([[8.0, -8.0, 4.0], [-4.0, 0.0, 6.0]])
    yh = np.array([[100.0, 0.0, 1.0], [2.0, 300.0, 37.0]])
    r = np.array([[0.0, 1e4, 0.5], [3e3, 0.0, 1.0]])
    # (float16: a zero rate with the count 0; with a count y its gradient 1 - y / eps is
    # beyond float16's range, an overflow of the exact value)
    rh = np.array([[1e3, 0.0, 0.5], [300.0, 1.0, 1.0]])
    out = []
    for full_term in (False, True):
        kw = {"full": True} if full_term else {}
        s = "-full" if full_term else ""
        out += [
            Case(f"log-rates-pm85{s}", (x, y), kw, dtypes=full, tags=frozenset({"2d"})),
            Case(f"log-rates-pm8{s}", (xh, yh), kw, dtypes=("float16",), tags=frozenset({"2d"})),
            Case(f"rates-0-1e4{s}", (r, y), {"log_input": False, **kw}, dtypes=full,
                 tags=frozenset({"2d"})),
            Case(f"rates-0-1e3{s}", (rh, yh), {"log_input": False, **kw}, dtypes=("float16",),
                 tags=frozenset({"2d"})),
        ]
    out.append(Case("log-rate-85-0d", (np.array(85.0), np.array(1e4)), dtypes=full,
                    tags=frozenset({"0d"})))
    return out


def _poisson_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``torch.nn.functional.poisson_nll_loss`` (float64)."""
    F = torch().nn.functional
    return F.poisson_nll_loss(t[0], t[1].to(t[0].dtype), log_input=kw.get("log_input", True),
                              full=kw.get("full", False), eps=kw.get("eps", 1e-8),
                              reduction=reduction)


def _poisson_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray | None:
    """``keras.losses.poisson`` of the rate (``log_input=False``; Keras's epsilon is
    1e-7, so only the cases with ``eps=1e-7`` and without the Stirling term), element-wise
    through a trailing axis of size 1."""
    if kwargs.get("log_input", True) or kwargs.get("full", False) or \
            kwargs.get("eps") != 1e-7 or args[0].size == 0:
        return None
    k = keras()
    rate, y = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    value = np.asarray(k.losses.poisson(y.reshape(-1, 1), rate.reshape(-1, 1)), np.float64)
    return np_reduce(value.reshape(rate.shape), reduction)


_PINNED_POISSON_NLL = (
    # the Stirling term only where the count is > 1 (PyTorch, TensorFlow; Paddle once
    # added it at counts <= 1, #56733): 1 + 2 log 2 - 2 + log(4 pi) / 2 at the count 2
    Pinned("stirling-only-above-1", (np.zeros(3), np.array([0.0, 1.0, 2.0])), {"full": True},
           value=np.array([1.0, 1.0, 1.6518064846045362])),
    # a zero rate with log_input=False: -y log(eps), finite
    Pinned("zero-rate-is-finite", (np.zeros(2), np.array([0.0, 2.0])), {"log_input": False},
           value=np.array([0.0, -2.0 * math.log(1e-8)]), dtypes=("float32", "float64")),
)

SPECS.append(
    torch_spec("poisson_nll_loss", _poisson_torch, "torch.nn.functional.poisson_nll_loss",
               _poisson_cases, _poisson_extreme,
               differences="None from PyTorch (the deprecated size_average / reduce aside). "
               "keras.losses.poisson takes the rate with epsilon 1e-7: a cross-check at "
               "float32 accuracy for log_input=False, eps=1e-7, full=False.",
               cross_checks=(("keras.losses.poisson (NumPy backend)", _poisson_keras,
                              KERAS),),
               pinned=_PINNED_POISSON_NLL))


def _gaussian_cases(rng: np.random.Generator) -> list[Case]:
    rv, w = regression_values, weights  # variances in [0.25, 2]
    t2, t1, tn = frozenset({"2d"}), frozenset({"1d"}), frozenset({"nd"})
    p, t = rv(rng, (4, 5)), rv(rng, (4, 5))
    small = w(rng, (4, 5)) * 0.2  # (0.05 to 0.4: below eps = 0.5, clamped)
    zero = w(rng, (4, 5))
    zero[::2, 1] = 0.0  # clamped at eps = 1e-6 (its gradient ~1e12: not for float16)
    return [
        Case("0d", (rv(rng, ()), rv(rng, ()), w(rng, ())), tags=frozenset({"0d"})),
        Case("empty", (rv(rng, (0, 3)), rv(rng, (0, 3)), w(rng, (0, 3))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("1d", (rv(rng, (7,)), rv(rng, (7,)), w(rng, (7,))), tags=t1),
        Case("1d-var-0d", (rv(rng, (7,)), rv(rng, (7,)), w(rng, ())), tags=t1),
        Case("2d", (p, t, w(rng, (4, 5))), tags=t2),
        Case("2d-var-per-row", (p, t, w(rng, (4,))), tags=t2),
        Case("2d-var-trailing-1", (p, t, w(rng, (4, 1))), tags=t2),
        Case("2d-var-shared-by-rows", (p, t, w(rng, (1, 5))), tags=t2),
        Case("nd", (rv(rng, (2, 3, 4, 5)), rv(rng, (2, 3, 4, 5)), w(rng, (2, 3, 4, 5))),
             tags=tn),
        Case("nd-var-without-last-axis", (rv(rng, (2, 3, 4)), rv(rng, (2, 3, 4)),
                                          w(rng, (2, 3))), tags=tn),
        Case("nd-var-size-1-axis", (rv(rng, (2, 3, 4, 5)), rv(rng, (2, 3, 4, 5)),
                                    w(rng, (2, 1, 4, 5))), tags=tn),
        Case("int-target", (rv(rng, (6,)), rng.integers(-3, 4, size=(6,)), w(rng, (6,))),
             tags=frozenset({"1d", "int-target"})),
        Case("2d-full", (p, t, w(rng, (4, 5))), {"full": True}, tags=t2),
        Case("2d-eps-0.5-clamped", (p, t, small), {"eps": 0.5}, tags=t2),
        Case("2d-var-zero-clamped", (p, t, zero), dtypes=("float32", "float64"), tags=t2),
        Case("2d-eps-1e-300", (p, t, w(rng, (4, 5))), {"eps": 1e-300, "full": True}, tags=t2),
    ]


def _gaussian_extreme(rng: np.random.Generator) -> list[Case]:
    """Errors of 700 to 1e4, variances from the clamp (0 -> eps) to 1e30 (float32/64,
    bfloat16); float16: errors up to 30 (the exact loss e^2 / (2v) stays finite)."""
    full = ("float32", "float64", "bfloat16")
    sign = rng.choice([-1.0, 1.0], size=(2, 3))
    e = sign * rng.uniform(700.0, 1e4, size=(2, 3))
    e[0, 0], e[1, 0] = 1e4, -1e4
    t = regression_values(rng, (2, 3))
    v = np.array([[0.5, 1e30, 2.0], [1e-3, 1.0, 1e4]])
    eh = sign * rng.uniform(10.0, 30.0, size=(2, 3))
    return [
        Case("errors-1e4-var-1e-3-to-1e30", (t + e, t, v), dtypes=full, tags=frozenset({"2d"})),
        Case("errors-1e4-var-0", (t + e, t, np.zeros((2, 3))), dtypes=("float32", "float64"),
             tags=frozenset({"2d"})),
        Case("errors-1e4-var-per-row-full", (t + e, t, np.array([1e-2, 1e3])), {"full": True},
             dtypes=full, tags=frozenset({"2d"})),
        Case("errors-30-float16", (t + eh, t, np.array([[0.5, 1.0, 2.0], [4.0, 1.0, 0.5]])),
             dtypes=("float16",), tags=frozenset({"2d"})),
        Case("error-1e4-0d", (np.array(1e4), np.array(0.0), np.array(1.0)), dtypes=full,
             tags=frozenset({"0d"})),
    ]


def _gaussian_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``torch.nn.functional.gaussian_nll_loss`` (float64; its clamp runs under no_grad,
    so the gradient with respect to ``var`` passes it straight through)."""
    F = torch().nn.functional
    x, y, var = t[0], t[1].to(t[0].dtype), t[2]
    if var.dim() == x.dim() and var.shape != x.shape and var.shape[-1] == x.shape[-1]:
        # a variance shared along a size-1 axis other than the last: PyTorch 2.13 (the
        # pinned one) broadcasts it; 2.3, the minimums session's, refuses it ("var is of
        # incorrect size"), so the oracle expands it there (the same values, summed
        # gradients)
        try:
            return F.gaussian_nll_loss(x, y, var, full=kw.get("full", False),
                                       eps=kw.get("eps", 1e-6), reduction=reduction)
        except ValueError:
            var = var.expand_as(x)
    return F.gaussian_nll_loss(x, y, var, full=kw.get("full", False),
                               eps=kw.get("eps", 1e-6), reduction=reduction)


_PINNED_GAUSSIAN_NLL = (
    # var clamped at eps, not added (PyTorch #190058): 0.5 (log 0.5 + 1 / 0.5) at var 0.1,
    # eps 0.5; the gradient w.r.t. var is that at the clamped 0.5, passed straight through
    # (PyTorch clamps under no_grad): 0.5 (1 / 0.5 - 1 / 0.25) = -1
    Pinned("var-clamped-not-added", (np.array([1.0]), np.array([0.0]), np.array([0.1])),
           {"eps": 0.5}, value=np.array([0.5 * (math.log(0.5) + 2.0)]),
           dtypes=("float32", "float64")),
)


def _gaussian_inputs(bk: Backend, dtype: str) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(5)
    return (bk.asarray(rng.normal(size=(3, 4)), dtype), bk.asarray(rng.normal(size=(3, 4)),
                                                                   dtype),
            bk.asarray(rng.uniform(0.05, 2.0, size=(3, 4)), dtype))


def test_gaussian_nll_var_gradient_passes_the_clamp(bk: Backend) -> None:
    """Where var < eps the gradient with respect to var is dl/dv at v = eps, passed
    straight through (PyTorch's clamp_ under no_grad), not 0 (a clamp's gradient)."""
    need_autodiff(bk)
    x, y = bk.asarray(np.array([1.0, 2.0]), "float64"), bk.asarray(np.zeros(2), "float64")
    v = bk.asarray(np.array([0.1, 1.0]), "float64")
    _, (gv,) = bk.value_and_grad(
        lambda a, b, c: lx.gaussian_nll_loss(a, b, c, eps=0.5, reduction="sum"), [x, y, v], [2])
    np.testing.assert_allclose(gv, [0.5 * (1 / 0.5 - 1 / 0.25), 0.5 * (1.0 - 4.0)], rtol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_gaussian_nll_python_number_var(bk: Backend, reduction: str) -> None:
    """A Python number as var (PyTorch accepts a float): one variance for all."""
    for dtype in bk.dtypes:
        x, y, _ = _gaussian_inputs(bk, dtype)
        got = bk.to_numpy(lazy(bk, lx.gaussian_nll_loss, x, y, 0.75, reduction=reduction))
        full = bk.asarray(np.full((3, 4), 0.75), dtype)
        want = bk.to_numpy(lazy(bk, lx.gaussian_nll_loss, x, y, full, reduction=reduction))
        np.testing.assert_array_equal(got, want, err_msg=dtype)
    with pytest.raises(ValueError, match=r"`var` must be >= 0\.0; got -1\.0"):
        lx.gaussian_nll_loss(x, y, -1.0)


SPECS.append(
    torch_spec("gaussian_nll_loss", _gaussian_torch, "torch.nn.functional.gaussian_nll_loss",
               _gaussian_cases, _gaussian_extreme,
               differences="None from PyTorch in values and gradients (input and var; the "
               "clamp at eps passes var's gradient straight through in both). A NaN "
               "variance is a ValueError here (PyTorch's var < 0 test lets it through). "
               "The extreme cases' variance of 0 is clamped at eps in both.",
               pinned=_PINNED_GAUSSIAN_NLL))


def _levels(rng: np.random.Generator, q: int) -> np.ndarray:
    return np.sort(rng.uniform(0.05, 0.95, size=q))


def _pinball_extra(rng: np.random.Generator) -> list[Case]:
    rv = regression_values
    t2, tn = frozenset({"2d"}), frozenset({"nd"})
    out = [Case(f"2d-quantile-{q:g}", (rv(rng, (4, 5)), rv(rng, (4, 5))), {"quantile": q},
                tags=t2) for q in (0.1, 0.9, 0.01, 0.999)]
    p, y = rv(rng, (6, 3)), rv(rng, (6,))
    p[1, 2] = y[1]  # (a zero error at a level: value only, the kink)
    out += [
        Case("2d-levels", (rv(rng, (6, 3)), rv(rng, (6,))), {"quantile": _levels(rng, 3)},
             tags=t2),
        Case("2d-levels-list", (rv(rng, (6, 4)), rv(rng, (6,))),
             {"quantile": [0.1, 0.25, 0.75, 0.9]}, tags=t2),
        Case("2d-levels-zero-error", (p, y), {"quantile": [0.1, 0.5, 0.9]}, tags=t2,
             grad=False),
        Case("nd-levels", (rv(rng, (2, 3, 4)), rv(rng, (2, 3))), {"quantile": _levels(rng, 4)},
             tags=tn),
        Case("1d-levels-0d-target", (rv(rng, (3,)), rv(rng, ())), {"quantile": _levels(rng, 3)},
             tags=frozenset({"1d"})),
        Case("1d-one-level", (rv(rng, (7, 1)), rv(rng, (7,))), {"quantile": [0.3]},
             tags=t2),
        Case("empty-levels", (rv(rng, (0, 3)), rv(rng, (0,))), {"quantile": _levels(rng, 3)},
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("int-target-levels", (rv(rng, (5, 2)), rng.integers(-3, 4, size=(5,))),
             {"quantile": [0.2, 0.8]}, tags=frozenset({"2d", "int-target"})),
    ]
    return out


def _pinball_cases(rng: np.random.Generator) -> list[Case]:
    """The regression cases and the quantile ones, with every error of a case whose
    gradient is compared at least 0.1 (rounding to bfloat16 could make one 0: the
    kink, where the backends' subgradients of |e| differ)."""
    out = []
    for c in _regression_cases(weighted=False, extra=_pinball_extra)(rng):
        if c.grad and c.args[0].size:
            p, t = c.args[0], np.asarray(c.args[1], np.float64)
            t = t if p.shape == t.shape else t[..., None]
            c = replace(c, args=(np.where(np.abs(t - p) < 0.1, t + 0.5, p), c.args[1]))
        out.append(c)
    return out


def _pinball_extreme(rng: np.random.Generator) -> list[Case]:
    out = _regression_extreme()(rng)
    t = regression_values(rng, (2, 3))
    e = np.array([[1e4, -1e4, 700.0], [-3e3, 5e3, -1e4]])
    return [
        *out,
        Case("errors-1e4-quantile-0.99", (t + e, t), {"quantile": 0.99},
             dtypes=("float32", "float64", "bfloat16"), tags=frozenset({"2d"})),
        Case("errors-1e4-levels", (t + e, t[:, 0]), {"quantile": [0.01, 0.5, 0.99]},
             dtypes=("float32", "float64", "bfloat16"), tags=frozenset({"2d"})),
        Case("errors-2000-levels-float16", (t + 0.2 * e, t[:, 0]),
             {"quantile": [0.01, 0.5, 0.99]}, dtypes=("float16",), tags=frozenset({"2d"})),
    ]


def _pinball_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                     reduction: str) -> np.ndarray:
    """``sklearn.metrics.mean_pinball_loss(y_true, y_pred, alpha=q)`` per element (each
    element its own output of one sample, ``multioutput="raw_values"``), level by level
    along the prediction's last axis with levels; then our reductions."""
    from sklearn.metrics import mean_pinball_loss

    p, y = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    q = kwargs.get("quantile", 0.5)
    scalar = isinstance(q, float)
    levels = [float(q)] if scalar else [float(v) for v in np.asarray(q, np.float64)]
    pl = p[..., None] if scalar else p
    value = np.zeros(pl.shape)
    if y.size:
        for j, alpha in enumerate(levels):
            value[..., j] = np.asarray(mean_pinball_loss(
                y.reshape(1, -1), pl[..., j].reshape(1, -1), alpha=alpha,
                multioutput="raw_values")).reshape(y.shape)
    return np_reduce(value.reshape(p.shape), reduction)


def _pinball_sklearn_means(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                           reduction: str) -> np.ndarray | None:
    """``mean``: the mean over the levels of ``mean_pinball_loss`` on each level's
    flattened predictions (what ``mean`` is documented to be)."""
    from sklearn.metrics import mean_pinball_loss

    q = kwargs.get("quantile", 0.5)
    if reduction != "mean" or args[1].size == 0:
        return None
    p, y = np.asarray(args[0], np.float64), np.ravel(np.asarray(args[1], np.float64))
    if isinstance(q, float):
        return np.asarray(mean_pinball_loss(y, np.ravel(p), alpha=q))
    return np.asarray(np.mean([mean_pinball_loss(y, np.ravel(p[..., j]), alpha=float(a))
                               for j, a in enumerate(np.asarray(q, np.float64))]))


_PINNED_PINBALL = (
    # the docstring's example: errors above and below the prediction at q = 0.9
    Pinned("quantile-0.9", (np.array([1.0, 3.0]), np.array([2.0, 2.0])), {"quantile": 0.9},
           value=np.array([0.9, 0.1])),
    # q = 0.5 is half the absolute error
    Pinned("median-is-half-l1", (np.array([1.0, -3.0, 0.5]), np.array([2.0, 2.0, 0.5])),
           value=np.array([0.5, 2.5, 0.0])),
)

SPECS.append(
    spec("pinball_loss", _pinball_sklearn, "sklearn.metrics.mean_pinball_loss per level",
         _pinball_cases, _pinball_extreme,
         differences="scikit-learn is target-first, one level per call (alpha in [0, 1]; "
         "here the open interval (0, 1)), and averages 2-D inputs per column: the oracle "
         "evaluates it per element (each element its own output, raw_values) and per "
         "level. mean with Q levels is the mean over the levels of scikit-learn's mean per "
         "level (a cross-check). Gradients: finite differences of the scikit-learn value.",
         cross_checks=(("mean of sklearn.metrics.mean_pinball_loss per level",
                        _pinball_sklearn_means, EXACT),),
         pinned=_PINNED_PINBALL))
