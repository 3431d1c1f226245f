"""One :class:`Spec` per public loss: its cases, an independent oracle, tolerances.

The registry is the single source of the conformance matrix.  Each spec joins

* the catalogue entry of ``losses_xp._testing.cases`` (the function, differentiable
  arguments, reductions, value cases and extreme cases);
* a float64 **oracle from an independent implementation** — PyTorch's
  ``torch.nn.functional``, Keras 3 (NumPy backend) or scikit-learn — never a second
  copy of our formula.  Oracles receive the case's arrays already rounded to the dtype
  under test (as float64), so only our arithmetic is being measured;
* a **gradient oracle**: PyTorch autograd through the PyTorch oracle, or, where the
  oracle is Keras or scikit-learn (no autodiff), a fourth-order central finite
  difference of that oracle in float64;
* optional **cross-checks**: further independent oracles (some apply to some cases
  only), each with the tolerance it can meet against the main oracle in float64;
* the documented **differences** between our semantics and the oracle's, and how the
  cases avoid them;
* per-dtype **tolerances** (one table, :data:`TOLERANCES`).

Oracle calling convention: ``oracle(args, kwargs, reduction) -> numpy.ndarray`` with
``args`` the case's positional arrays (float64 / int64 / bool) and ``kwargs`` its
options (NumPy arrays or lists).  A cross-check may return ``None`` for a case it
cannot express.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

import losses_xp
from losses_xp._testing.cases import CATALOG, LossCases

__all__ = ["SPECS", "TOLERANCES", "Spec", "Tol", "finite_difference_grad", "public_names"]

Oracle = Callable[[tuple[np.ndarray, ...], Mapping[str, Any], str], np.ndarray]
TorchExpr = Callable[[list[Any], Mapping[str, Any], str], Any]


# --------------------------------------------------------------------------- tolerances


@dataclass(frozen=True)
class Tol:
    """``|got - want| <= atol + rtol * |want|`` element-wise (NumPy's ``assert_allclose``).

    Gradients use ``rtol`` and ``atol * max|oracle gradient|`` (an absolute tolerance
    relative to the gradient's scale: a mean over N elements has gradients of 1/N).
    """

    rtol: float
    atol: float


#: The one tolerance table.  float64: the issue's 1e-6 relative.  float32: a few ulps
#: of every intermediate (1e-5 relative) plus an absolute floor for cancellations such
#: as ``logsumexp(x) - x[y]`` when the loss is ~1e-4.  Half precision is computed in
#: float32 and rounded once to the output dtype (bfloat16 keeps 8 significant bits:
#: 4e-3 relative), but the gradient's backward pass runs partly in the half dtype.
TOLERANCES: dict[str, Tol] = {
    "float64": Tol(rtol=1e-6, atol=1e-12),
    "float32": Tol(rtol=1e-5, atol=1e-6),
    "float16": Tol(rtol=1e-2, atol=1e-3),
    "bfloat16": Tol(rtol=2e-2, atol=1e-2),
}


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    """Everything the conformance suite knows about one public loss."""

    name: str
    entry: LossCases
    oracle: Oracle
    reference: str
    differences: str = ""
    torch_expr: TorchExpr | None = None
    cross_checks: tuple[tuple[str, Oracle, Tol], ...] = ()
    extreme_oracle: bool = False
    tolerances: Mapping[str, Tol] = field(default_factory=lambda: TOLERANCES)
    error_fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    # extreme_oracle: the oracle is exact at the extreme cases too (its finite values
    # are compared there as well); False where the oracle clamps differently.
    # error_fields: row id of the error catalogue (conformance/errors/) -> the fields of
    # its message that only this function knows (its own wording, which no declaration
    # can derive: why a reduction is missing, what to use instead).

    @property
    def fn(self) -> Callable[..., Any]:
        return self.entry.fn

    @property
    def grad_method(self) -> str:
        return "torch autograd" if self.torch_expr is not None else "finite differences"

    def tol(self, dtype: str) -> Tol:
        return self.tolerances[dtype]

    def oracle_grad(self, args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                    reduction: str, cotangent: np.ndarray | None) -> list[np.ndarray]:
        """Gradients of the oracle w.r.t. the differentiable arguments, in float64.

        For ``reduction="none"`` the scalar is ``sum(loss * cotangent)`` (a VJP).
        """
        argnums = self.entry.differentiable
        if self.torch_expr is not None:
            torch = _torch()
            targs = [_tensor(a, requires_grad=i in argnums) for i, a in enumerate(args)]
            out = self.torch_expr(targs, _torch_kwargs(kwargs), reduction)
            if cotangent is not None:
                out = (out * _tensor(cotangent)).sum()
            grads = torch.autograd.grad(out, [targs[i] for i in argnums])
            return [g.detach().numpy() for g in grads]

        def scalar(*a: np.ndarray) -> float:
            v = self.oracle(a, kwargs, reduction)
            return float(np.sum(v * cotangent)) if cotangent is not None else float(v)
        return [finite_difference_grad(scalar, args, i) for i in argnums]


def finite_difference_grad(f: Callable[..., float], args: tuple[np.ndarray, ...],
                           argnum: int, rel_step: float = 1e-4) -> np.ndarray:
    """Fourth-order central difference of scalar ``f`` w.r.t. ``args[argnum]`` (float64).

    Truncation error ~h⁴ (1e-16 relative with h = 1e-4·max(1, |x|)); rounding
    ~eps·|f|/h.  Only used on smooth oracles (log-cosh, probabilities in the interior,
    a positive mean squared error).
    """
    x = np.array(args[argnum], dtype=np.float64)
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        h = rel_step * max(1.0, abs(flat[i]))
        vals = []
        for k in (-2, -1, 1, 2):
            xi = flat.copy()
            xi[i] += k * h
            a = list(args)
            a[argnum] = xi.reshape(x.shape)
            vals.append(f(*a))
        gflat[i] = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)
    return g


# --------------------------------------------------------------------------- oracle helpers


@cache
def _torch() -> Any:
    import torch

    return torch


@cache
def _keras() -> Any:
    """Keras 3 on its NumPy backend (the backend is fixed at the first import).

    Keras's NumPy backend computes in float32 whatever ``floatx`` says: its type
    promotion maps float64 to float32 "to align with JAX"
    (``BIT64_TO_BIT32_DTYPE`` in ``keras/src/backend/common/dtypes.py``), e.g. the
    ``log(2)`` of ``log_cosh`` and every product with a Python float.  Keras is
    therefore a cross-check at float32 accuracy here, not a float64 oracle.
    """
    import sys

    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "numpy"
    import keras

    if keras.backend.backend() != "numpy":
        raise RuntimeError(
            f"the Keras oracle needs KERAS_BACKEND=numpy, but keras was already imported "
            f"with the {keras.backend.backend()!r} backend in this process"
        )
    return keras


def _tensor(a: Any, requires_grad: bool = False) -> Any:
    torch = _torch()
    a = np.asarray(a)
    if a.dtype.kind in "fb" or (a.dtype.kind == "i" and requires_grad):
        t = torch.from_numpy(np.array(a, dtype=np.float64))
    else:
        t = torch.from_numpy(np.array(a))
    return t.requires_grad_(requires_grad) if requires_grad else t


def _torch_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in kwargs.items():
        if isinstance(v, (np.ndarray, list)):
            out[k] = _tensor(np.asarray(v, dtype=np.float64))
        else:
            out[k] = v
    return out


def _from_torch(expr: TorchExpr) -> Oracle:
    """A NumPy-in/NumPy-out float64 oracle from a PyTorch expression."""
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray:
        torch = _torch()
        with torch.no_grad():
            out = expr([_tensor(a) for a in args], _torch_kwargs(kwargs), reduction)
        return np.asarray(out.numpy(), dtype=np.float64)
    return oracle


def _np_reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    """Our documented reductions of an element-wise oracle value: sum, or sum / count."""
    if reduction == "none":
        return loss
    s = np.sum(loss)
    if reduction == "sum":
        return np.asarray(s)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(s / np.float64(loss.size))


def _t_reduce(loss: Any, reduction: str) -> Any:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / loss.numel()


# --------------------------------------------------------------------------- regression


def _regression_torch(fname: str, option: str | None = None) -> TorchExpr:
    """``torch.nn.functional.<fname>``; element weights (which PyTorch lacks) multiply
    its ``reduction="none"`` output, then our documented mean (sum / element count)."""
    def expr(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
        F = _torch().nn.functional
        pred, target = t[0], t[1].to(t[0].dtype)
        opts = {option: float(kw[option])} if option and option in kw else {}
        if "weight" not in kw:
            return getattr(F, fname)(pred, target, reduction=reduction, **opts)
        loss = getattr(F, fname)(pred, target, reduction="none", **opts)
        return _t_reduce(loss * kw["weight"], reduction)
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


def _rmse_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                  reduction: str) -> np.ndarray:
    """``sklearn.metrics.root_mean_squared_error`` on the flattened inputs.

    scikit-learn's weighted RMSE divides by the summed weights, ours by the element
    count N: ours = sklearn · sqrt(Σw / N).  An empty input has RMSE NaN (the square
    root of mse_loss's NaN mean); scikit-learn raises on it.
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
    torch = _torch()
    loss = torch.nn.functional.mse_loss(t[0], t[1].to(t[0].dtype), reduction="none")
    if "weight" in kw:
        loss = loss * kw["weight"]
    return torch.sqrt(_t_reduce(loss, "mean"))


def _log_cosh_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The definition ``log(cosh(e))`` evaluated by PyTorch in float64 (we never call
    ``cosh``).  Exact to ~1e-16 relative for the value cases (|e| < 20); it overflows
    to inf past |e| = 710, where the extreme cases only check finiteness and
    test_published.py checks ``1e4 - log 2``."""
    torch = _torch()
    loss = torch.log(torch.cosh(t[0] - t[1].to(t[0].dtype)))
    if "weight" in kw:
        loss = loss * kw["weight"]
    return _t_reduce(loss, reduction)


def _log_cosh_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                    reduction: str) -> np.ndarray:
    """``keras.losses.log_cosh`` element-wise (a trailing axis of size 1 makes Keras's
    mean over the last axis the identity), then weights and our reductions."""
    keras = _keras()
    pred, target = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    loss = keras.losses.LogCosh(reduction=None, dtype="float64")
    value = np.asarray(loss(target.reshape(-1, 1), pred.reshape(-1, 1)),
                       dtype=np.float64).reshape(pred.shape)
    if "weight" in kwargs:
        value = value * np.asarray(kwargs["weight"], dtype=np.float64)
    return _np_reduce(value, reduction)


# --------------------------------------------------------------------------- classification


def _bce_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = _torch().nn.functional
    return F.binary_cross_entropy(t[0], t[1].to(t[0].dtype), weight=kw.get("weight"),
                                  reduction=reduction)


def _bce_logits_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = _torch().nn.functional
    return F.binary_cross_entropy_with_logits(
        t[0], t[1].to(t[0].dtype), weight=kw.get("weight"), pos_weight=kw.get("pos_weight"),
        reduction=reduction)


def _class_first(x: Any, axis: int, ndim: int) -> Any:
    """PyTorch wants the class axis at 1 (or 0 for an unbatched (C,) input)."""
    axis %= ndim
    return x if ndim == 1 or axis == 1 else x.movedim(axis, 1)


def _cross_entropy_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = _torch().nn.functional
    logits, target = t[0], t[1]
    axis = int(kw.get("axis", -1))
    x = _class_first(logits, axis, logits.ndim)
    if target.is_floating_point():  # probability targets
        target = _class_first(target, axis, logits.ndim)
    return F.cross_entropy(x, target, weight=kw.get("weight"),
                           ignore_index=int(kw.get("ignore_index", -100)),
                           label_smoothing=float(kw.get("label_smoothing", 0.0)),
                           reduction=reduction)


def _nll_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = _torch().nn.functional
    log_probs = t[0]
    x = _class_first(log_probs, int(kw.get("axis", -1)), log_probs.ndim)
    return F.nll_loss(x, t[1], weight=kw.get("weight"),
                      ignore_index=int(kw.get("ignore_index", -100)), reduction=reduction)


def _categorical_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``torch.nn.functional.cross_entropy`` of ``log(p)``: its log-softmax of
    ``log p`` is ``log(p / Σp)``, i.e. exactly Keras's renormalisation, with PyTorch's
    ε/C label smoothing and both target kinds (class axis moved to 1).  PyTorch does
    not clip: the cases keep probabilities in the interior where clipping is inactive.
    """
    F = _torch().nn.functional
    probs, target = t[0], t[1]
    axis = int(kw.get("axis", -1))
    x = _class_first(_torch().log(probs), axis, probs.ndim)
    if target.is_floating_point():
        target = _class_first(target, axis, probs.ndim)
    return F.cross_entropy(x, target, label_smoothing=float(kw.get("label_smoothing", 0.0)),
                           reduction=reduction)


def _categorical_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                       reduction: str) -> np.ndarray:
    """``keras.losses.categorical_crossentropy`` (class axis moved last; index targets
    one-hot encoded, which is what ``sparse_categorical_crossentropy`` does and lets
    Keras apply ``label_smoothing``), then the mean over samples."""
    keras = _keras()
    probs, target = np.asarray(args[0], np.float64), np.asarray(args[1])
    axis = int(kwargs.get("axis", -1)) % probs.ndim
    p = np.moveaxis(probs, axis, -1)
    c = p.shape[-1]
    if target.dtype.kind in "iu":
        y = np.eye(c)[target]
    else:
        y = np.moveaxis(target.astype(np.float64), axis, -1)
    loss = keras.losses.CategoricalCrossentropy(
        label_smoothing=float(kwargs.get("label_smoothing", 0.0)), reduction=None,
        dtype="float64")
    value = np.asarray(loss(y, p), dtype=np.float64)
    return _np_reduce(value.reshape(p.shape[:-1]), reduction)


def _sparse_categorical_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                              reduction: str) -> np.ndarray | None:
    """``keras.losses.sparse_categorical_crossentropy`` for index targets without
    smoothing (a cross-check of the one-hot route above)."""
    target = np.asarray(args[1])
    if target.dtype.kind not in "iu" or kwargs.get("label_smoothing", 0.0) or target.ndim == 0:
        return None
    keras = _keras()
    axis = int(kwargs.get("axis", -1)) % args[0].ndim
    p = np.moveaxis(np.asarray(args[0], np.float64), axis, -1)
    loss = keras.losses.SparseCategoricalCrossentropy(reduction=None, dtype="float64")
    value = np.asarray(loss(target, p), np.float64)
    return _np_reduce(value.reshape(p.shape[:-1]), reduction)


# --------------------------------------------------------------------------- the registry

_REGRESSION_WEIGHTS = (
    "PyTorch has no element `weight` for regression losses: the oracle multiplies "
    "PyTorch's reduction='none' output by the weights and divides the sum by the "
    "element count (our documented mean)."
)


#: losses whose oracle clamps probabilities differently from us (so their extreme
#: cases, probabilities of exactly 0 and 1, are only checked for finiteness)
_CLAMPING = frozenset({"binary_cross_entropy", "categorical_cross_entropy"})


def _spec(name: str, oracle: Oracle, reference: str, **kw: Any) -> Spec:
    kw.setdefault("extreme_oracle", name not in _CLAMPING)
    return Spec(name=name, entry=CATALOG[name], oracle=oracle, reference=reference, **kw)


def _torch_spec(name: str, expr: TorchExpr, reference: str, **kw: Any) -> Spec:
    return _spec(name, _from_torch(expr), reference, torch_expr=expr, **kw)


#: the tolerance a float64 cross-check meets against the main oracle: exact libraries
#: agree to rounding; Keras's NumPy backend computes in float32 (see ``_keras``)
EXACT = Tol(rtol=1e-9, atol=1e-12)
KERAS = Tol(rtol=1e-6, atol=1e-6)

SPECS: dict[str, Spec] = {
    s.name: s for s in [
        _torch_spec("mse_loss", _regression_torch("mse_loss"),
                    "torch.nn.functional.mse_loss", differences=_REGRESSION_WEIGHTS,
                    cross_checks=(("sklearn.metrics.mean_squared_error",
                                   _sklearn_mean("mean_squared_error"), EXACT),)),
        _torch_spec("l1_loss", _regression_torch("l1_loss"), "torch.nn.functional.l1_loss",
                    differences=_REGRESSION_WEIGHTS + " At a zero error the backends' abs "
                    "subgradients differ (PyTorch 0, JAX 1): such cases are value-only.",
                    cross_checks=(("sklearn.metrics.mean_absolute_error",
                                   _sklearn_mean("mean_absolute_error"), EXACT),)),
        _torch_spec("mae_loss", _regression_torch("l1_loss"), "torch.nn.functional.l1_loss",
                    differences="Alias of l1_loss. " + _REGRESSION_WEIGHTS,
                    cross_checks=(("sklearn.metrics.mean_absolute_error",
                                   _sklearn_mean("mean_absolute_error"), EXACT),)),
        _spec("rmse_loss", _rmse_sklearn, "sklearn.metrics.root_mean_squared_error",
              differences="scikit-learn's weighted RMSE divides by Σw, ours by N: the oracle "
              "rescales by sqrt(Σw/N). scikit-learn averages per column for 2-D inputs "
              "(multioutput): the oracle flattens. Empty input: NaN, the square root of "
              "mse_loss's NaN mean (scikit-learn raises). Gradients: finite differences of "
              "the scikit-learn value.",
              cross_checks=(("sqrt(torch.nn.functional.mse_loss)", _from_torch(_rmse_torch),
                             EXACT),),
              error_fields={"reduction-restricted": {
                  "why": "the root of the mean squared error",
                  "instead": "Use mse_loss or l1_loss for per-element values."}}),
        _torch_spec("huber_loss", _regression_torch("huber_loss", "delta"),
                    "torch.nn.functional.huber_loss", differences=_REGRESSION_WEIGHTS),
        _torch_spec("smooth_l1_loss", _regression_torch("smooth_l1_loss", "beta"),
                    "torch.nn.functional.smooth_l1_loss", differences=_REGRESSION_WEIGHTS),
        _torch_spec("log_cosh_loss", _log_cosh_torch, "torch.log(torch.cosh(error))",
                    differences="PyTorch has no log-cosh loss: the oracle is the definition "
                    "log(cosh(e)) in float64 (finite for |e| < 710). keras.losses.log_cosh is "
                    "a cross-check at float32 accuracy: Keras's NumPy backend computes in "
                    "float32 whatever floatx says.",
                    cross_checks=(("keras.losses.log_cosh (NumPy backend)", _log_cosh_keras,
                                   KERAS),)),
        _torch_spec("binary_cross_entropy", _bce_torch,
                    "torch.nn.functional.binary_cross_entropy",
                    differences="PyTorch clamps each log at -100, we clamp p to "
                    "[eps, 1 - eps] with eps = finfo(dtype).eps: they differ only when p is "
                    "within eps of 0 or 1, so value cases draw p from [0.02, 0.98]; p in "
                    "{0, 1} is only checked for finiteness (extreme cases)."),
        _torch_spec("binary_cross_entropy_with_logits", _bce_logits_torch,
                    "torch.nn.functional.binary_cross_entropy_with_logits"),
        _torch_spec("cross_entropy", _cross_entropy_torch, "torch.nn.functional.cross_entropy",
                    differences="PyTorch needs the class axis at 1: the oracle moves it. "
                    "PyTorch gives NaN for a -inf logit whose target probability is 0 "
                    "(0 · -inf); we give 0: checked against PyTorch on the finite classes in "
                    "test_published.py."),
        _torch_spec("nll_loss", _nll_torch, "torch.nn.functional.nll_loss",
                    differences="PyTorch needs the class axis at 1: the oracle moves it."),
        _torch_spec("categorical_cross_entropy", _categorical_torch,
                    "torch.nn.functional.cross_entropy(log(probs))",
                    differences="Keras's categorical_crossentropy is the model, but its NumPy "
                    "backend computes in float32: the float64 oracle is PyTorch's "
                    "cross-entropy of log(p) (its log-softmax renormalises p exactly like "
                    "Keras), Keras is a cross-check at float32 accuracy. Keras clips with a "
                    "fixed 1e-7, we with finfo(dtype).eps, PyTorch not at all: the value "
                    "cases keep probabilities in the interior (softmax rows, entries > 0.005); "
                    "exact 0/1 probabilities are only checked for finiteness. Keras's label "
                    "smoothing uses the size of the last axis: its oracle moves the class axis "
                    "last.",
                    cross_checks=(("keras.losses.categorical_crossentropy (NumPy backend)",
                                   _categorical_keras, KERAS),
                                  ("keras.losses.sparse_categorical_crossentropy (NumPy backend)",
                                   _sparse_categorical_keras, KERAS))),
    ]
}


def _family_specs() -> dict[str, Spec]:
    """Specs of the later families, one module each (``specs_<family>.py`` defining
    ``SPECS: list[Spec]``); they use the helpers above, so they are loaded last."""
    from . import specs_anyloss, specs_focal, specs_multilabel

    return {s.name: s for m in (specs_focal, specs_multilabel, specs_anyloss) for s in m.SPECS}


SPECS.update(_family_specs())


def public_names() -> list[str]:
    """Every public loss: ``losses_xp.__all__`` without ``__version__``."""
    return sorted(n for n in losses_xp.__all__ if n != "__version__")
