"""Numerically stable building blocks that the array API standard does not provide.

Every function takes the namespace ``xp`` first and works on any array-API library;
none reads array values in Python, indexes with a boolean mask or writes in place, so
all of them trace under ``jax.jit`` / ``torch.compile(fullgraph=True)`` and stay lazy
on Dask.  Python scalars only appear in operators, ``where`` and ``clip`` (array-api-
compat's two-argument wrappers such as ``maximum(x, 0)`` break ``torch.compile``).

Fast paths
----------
This module is the one seam where a backend's own fused kernels replace the generic
array-API formula: ``softplus`` / ``softplus_pair`` /
``log_softmax`` and the element-wise regression losses of :func:`pointwise_loss` call
``torch.nn.functional`` (PyTorch) and ``jax.nn`` (JAX) when the namespace is theirs,
and the generic formula otherwise (NumPy, CuPy, Dask, array-api-strict).  A fused
kernel is one pass over memory where the generic formula is several eager operations
(each a full read and write of the array in PyTorch eager mode).  Every fast path
computes the same function to rounding, including the tails (a fast path that loses a
tail is not used: PyTorch's fused BCE-with-logits returns 0 for ``x = -20, y = 0`` in
float32, where the exact value is 2.06e-9), and has a parity test against the generic
formula on every backend, values and gradients, at ±1e4
(``conformance/test_fast_paths.py``).
``LOSSES_XP_GENERIC=1`` in the environment disables every fast path (for those parity
tests and for benchmarking the generic formulas).
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

from ._compat import Array, Namespace, device, is_dask, is_jax, is_torch, stop_gradient
from ._reduction import mean

__all__ = [
    "binary_logit_loss",
    "clip",
    "fused_nll",
    "gather_at_class",
    "hard_target_logit",
    "log_mixed_sigmoids",
    "log_softmax",
    "mix",
    "neg_log_softmax_at",
    "one_hot",
    "pointwise_loss",
    "relu",
    "softplus",
    "softplus_pair",
]

# softplus(x) = x exactly (to rounding) above this, in float32 and float64 alike:
# log1p(exp(-40)) = 4.2e-18 is below half an ulp of 40 in float64, and exp(40) = 2.4e17
# does not overflow float32.  (torch's default threshold of 20 would lose 2e-9 in float64.)
_SOFTPLUS_THRESHOLD = 40.0

FAST_PATHS = os.environ.get("LOSSES_XP_GENERIC", "") in ("", "0")
"""Whether the fast paths are used (tests switch it off to compare with the generic formulas)."""

def _kind(xp: Namespace) -> str:
    """``'torch'``, ``'jax'`` or ``'generic'``: which fast paths apply to ``xp``.

    Reads no mutable state but ``FAST_PATHS`` and writes none: this runs inside
    ``torch.compile`` traces, where mutating a global makes Dynamo recompile every call.
    """
    if not FAST_PATHS:
        return "generic"
    if is_torch(xp):
        return "torch"
    return "jax" if is_jax(xp) else "generic"


def _torch_functional() -> Any:
    return sys.modules["torch"].nn.functional


def _jax_nn() -> Any:
    return sys.modules["jax"].nn


def clip(xp: Namespace, x: Array, min: float | None = None,
         max: float | None = None) -> Array:
    """``xp.clip`` with Python-number bounds, in ``x``'s dtype.

    Dask: ``dask.array.clip``.  array-api-compat's Dask ``clip`` turns a Python bound
    into a float64 array of the input's *whole* shape in one chunk, which the scheduler
    materialises up front: 8 bytes per element of the whole array, whatever the chunk
    size (a 10^9-element loss would hold 8 GB).  Elsewhere the standard's ``clip``,
    which keeps the dtype and compiles under ``torch.compile``.  PyTorch: ``torch.clamp``
    (older array-api-compat releases build the PyTorch ``clip`` from a copy and boolean
    mask assignments, which the Dynamo of PyTorch 2.3 cannot trace, and which before
    array-api-compat 1.12 dropped the gradient).
    """
    if is_dask(xp):
        return sys.modules["dask.array"].clip(x, min, max)
    if is_torch(xp):
        return sys.modules["torch"].clamp(x, min=min, max=max)
    return xp.clip(x, min=min, max=max)


def relu(xp: Namespace, x: Array) -> Array:
    """max(x, 0) (see :func:`clip`)."""
    return clip(xp, x, min=0.0)


def softplus(xp: Namespace, x: Array) -> Array:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).

    Exact in both tails: for x = -20 it is 2.06e-9 (not 0), for x = 1e4 it is 1e4
    (exp never overflows because its argument is <= 0).  PyTorch: the fused
    ``softplus`` with threshold 40 (exact to rounding in float32 and float64); JAX:
    ``jax.nn.softplus``.  The generic formula's derivative at exactly x = 0 is the
    backend's subgradient of max and |x| (1 on PyTorch instead of 1/2); it only runs on
    libraries without autodiff, where that cannot show.
    """
    kind = _kind(xp)
    if kind == "torch":
        return _torch_functional().softplus(x, beta=1.0, threshold=_SOFTPLUS_THRESHOLD)
    if kind == "jax":
        return _jax_nn().softplus(x)
    return relu(xp, x) + xp.log1p(xp.exp(-xp.abs(x)))


def _staged(xp: Namespace) -> bool:
    """Whether PyTorch's operations are being staged into one compiled program
    (``torch.compile``), where the compiler fuses every element-wise operation into one
    loop and the count of transcendental functions, not of operations, sets the speed.
    Decided from the tracing state, never from array values.  (JAX is always staged;
    its callers never ask.)"""
    return bool(sys.modules["torch"].compiler.is_compiling())


def softplus_pair(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(softplus(-x), softplus(x))``: both tails exact, in value and in gradient.

    PyTorch and JAX (eager, ``jax.jit``, ``torch.compile``): two fused ``softplus``
    calls, whose derivatives are σ(∓x) computed directly.  Generic (no autodiff): one
    ``exp`` and one ``log1p`` shared by both, softplus(±x) = max(±x, 0) +
    log1p(exp(-|x|)).  The shared form is not used where gradients exist: its derivative
    sums the O(1) terms of max(±x, 0) with the tail's exp(-|x|) in the dtype, so in
    float32 the gradient of softplus(-x) at x = 20 came out 0 instead of -2.06e-9
    (``jax.grad`` and ``torch.compile``; kept as a regression test).
    """
    kind = _kind(xp)
    if kind == "generic":
        tail = xp.log1p(xp.exp(-xp.abs(x)))
        return relu(xp, -x) + tail, relu(xp, x) + tail
    return softplus(xp, -x), softplus(xp, x)


def log_mixed_sigmoids(xp: Namespace, x: Array, y: Array, sp_neg: Array,
                       sp_pos: Array) -> Array:
    """log(y σ(-x) + (1 - y) σ(x)), the sigmoid focal loss's log(1 - p_t) for soft targets
    ``y`` (``sp_neg``, ``sp_pos``: softplus(∓x), so log σ(∓x) = -softplus(±x)).

    Generic and PyTorch: the log of the mixture y·exp(-softplus(x)) +
    (1 - y)·exp(-softplus(-x)) of two non-negative terms, each endpoint exact (see
    :func:`mix`), floored at the smallest normal number (below it the focal factor is 0
    to the dtype's precision either way, and the floor keeps log 0 out of the gradient);
    no ``where`` (NumPy's is ~10x slower than arithmetic on a random mask).  PyTorch's
    double backward through the floor is finite (tested at ±100 and ±1e4).  JAX: in log
    space, a two-term logaddexp of log y - softplus(x) and log(1 - y) - softplus(-x) in
    which a zero coefficient drops its term (double ``where``: no log 0 reaches the value
    or a derivative), because JAX's Hessian of the floored log forms -1/u² (overflowing
    float32 once u < 1e-19) times a zero: NaN.
    """
    if _kind(xp) != "jax":
        tiny = float(xp.finfo(x.dtype).smallest_normal)
        u = mix(xp, xp.exp(-sp_neg), xp.exp(-sp_pos), y)
        return xp.log(clip(xp, u, min=tiny))
    pos = y > 0.0
    neg = y < 1.0
    log_y = xp.where(pos, xp.log(xp.where(pos, y, 1.0)), -math.inf)
    log_1my = xp.where(neg, xp.log1p(-xp.where(neg, y, 0.0)), -math.inf)
    a = log_y - sp_pos
    b = log_1my - sp_neg
    # logaddexp(a, b) written out: PyTorch's has a NaN second derivative once |a - b|
    # passes ~88 in float32 (its backward forms exp(|a - b|)); a and b are never both -inf
    hi = xp.where(a > b, a, b)
    lo = xp.where(a > b, b, a)
    return hi + xp.log1p(xp.exp(lo - hi))


def mix(xp: Namespace, a: Array, b: Array, t: Array) -> Array:
    """``(1 - t) a + t b``, exactly ``a`` at ``t = 0`` and exactly ``b`` at ``t = 1``.

    The binary losses' ``(1 - y) softplus(x) + y softplus(-x)``.  PyTorch: ``torch.lerp``
    (one fused pass; it evaluates from the nearer end, so the endpoints are exact).
    """
    if _kind(xp) == "torch":
        return sys.modules["torch"].lerp(a, b, t)
    return (1.0 - t) * a + t * b


def hard_target_logit(xp: Namespace, x: Array, target: Array, y: Array) -> Array:
    """``z = x`` where the target is 0 and ``-x`` where it is 1 (``target``: bool or
    integer; ``y``: the same values in ``x``'s dtype).

    With hard targets the binary cross-entropy is ``softplus(z)`` and ``log(1 - p_t)``
    is ``-softplus(-z) = z - softplus(z)``: one transcendental pass instead of the two
    softplus and the mixture that soft targets need.  Chosen from the target's *dtype*
    (static), never from its values.  Generic: ``x * (1 - 2y)`` (exact for y in {0, 1});
    NumPy's ``where`` on a random mask is ~10x slower than a multiplication (branch
    mispredictions).
    """
    if _kind(xp) == "generic":
        return x * (1.0 - 2.0 * y)
    hot = target if target.dtype == xp.bool else target != 0
    return xp.where(hot, -x, x)


def binary_logit_loss(xp: Namespace, x: Array, y: Array) -> Array:
    """Element-wise binary cross-entropy with logits, ``y softplus(-x) + (1 - y) softplus(x)``.

    PyTorch and JAX: two fused softplus and :func:`mix`, exact in every tail for soft
    targets too.  Generic (NumPy, CuPy, Dask, array-api-strict: no autodiff):
    ``(max(x, 0) - x y) + log1p(exp(-|x|))``, 8 passes instead of 13: exact in both tails
    for y in {0, 1} (``max(x, 0) - x y`` is then 0, x or -x exactly; x = -20, y = 0
    gives 2.06e-9), and for a soft target within eps·y/(1 - y) of the exact value (the
    formula PyTorch's own kernel uses, in a better order: PyTorch returns 0 there).
    """
    kind = _kind(xp)
    if (kind == "torch" and x.requires_grad and math.prod(x.shape) >= _FUSED_BACKWARD_MIN
            and not _staged(xp)):
        # (static facts only: whether autograd will run, the size, the tracing state)
        return _torch_bce_with_logits().apply(x, y)
    if kind != "generic":
        sp_neg, sp_pos = softplus_pair(xp, x)
        return mix(xp, sp_pos, sp_neg, y)
    return (relu(xp, x) - x * y) + xp.log1p(xp.exp(-xp.abs(x)))


_TORCH_BCE: list[Any] = []
# below this many elements the ~25 µs of a custom autograd.Function call cost more than
# the backward kernels it saves (measured on PyTorch 2.13 CPU)
_FUSED_BACKWARD_MIN = 65536


def _torch_bce_with_logits() -> Any:
    """A ``torch.autograd.Function``: the exact forward of :func:`binary_logit_loss`
    (``lerp(softplus(x), softplus(-x), y)``) with the analytic backward
    ``σ(x) - y`` (and ``-x`` for ``y``) in one expression, instead of autograd's backward
    kernel per forward operation.  The backward is written in differentiable operations,
    so second derivatives work; ``generate_vmap_rule`` lets ``torch.func`` transform it.
    Eager PyTorch only (under ``torch.compile`` the compiler fuses the plain formula).
    Built on first use (PyTorch is imported by then), once.
    """
    if _TORCH_BCE:
        return _TORCH_BCE[0]
    torch = sys.modules["torch"]
    F = torch.nn.functional

    class BinaryLogitLoss(torch.autograd.Function):  # type: ignore[misc,name-defined]
        generate_vmap_rule = True

        @staticmethod
        def forward(x: Any, y: Any) -> Any:
            return torch.lerp(F.softplus(x, beta=1.0, threshold=_SOFTPLUS_THRESHOLD),
                              F.softplus(-x, beta=1.0, threshold=_SOFTPLUS_THRESHOLD), y)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, Any], output: Any) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
            x, y = ctx.saved_tensors
            gx = grad * (torch.sigmoid(x) - y) if ctx.needs_input_grad[0] else None
            gy = grad * -x if ctx.needs_input_grad[1] else None
            return gx, gy

    _TORCH_BCE.append(BinaryLogitLoss)
    return BinaryLogitLoss


def neg_log_softmax_at(xp: Namespace, x: Array, picked: Array, axis: int) -> Array:
    """-log_softmax(x)[picked] = log Σ exp(x - m) - (x_picked - m), without the (N, C)
    log-softmax (``picked``: the values of ``x`` at one class per row, ``axis`` removed).

    The negative log-likelihood itself, never a negation of the log-probability: a
    fully confident row (or a single class) has log p = 0 and -(0) would be ``-0.0``,
    a negative zero loss; ``log s - (x_y - m)`` is ``+0`` there (the same value, to the
    bit, everywhere else, and one operation less).

    Same arithmetic as a log-softmax read at the target: subtracting the row maximum
    ``m`` first keeps a confident prediction's small loss accurate to about one ulp of
    1 in absolute terms, as PyTorch's (``logsumexp - x_y`` would round ``m + log s`` at
    the magnitude of ``m``); a loss below that, e.g. float32 logits ``[20, 0]`` (true
    loss 2.1e-9), rounds to 0.  Under ``jax.jit`` /
    ``torch.compile`` the exponentials fuse into the sum: no temporary of the input's size.
    """
    if _has_no_elements(x):
        return xp.sum(x, axis=axis) - picked  # empty: the shape is all that matters
    m = xp.max(x, axis=axis, keepdims=True)
    m = stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))
    log_s = xp.log(xp.sum(xp.exp(x - m), axis=axis))
    return log_s - (picked - xp.squeeze(m, axis=axis))


def _has_no_elements(x: Array) -> bool:
    """Whether ``x`` is statically known to be empty (a 0 in its shape; static metadata
    only, never array values: an unknown Dask dimension is ``None`` or NaN)."""
    return any(d == 0 for d in x.shape)


def log_softmax(xp: Namespace, x: Array, axis: int) -> Array:
    """x - logsumexp(x) along ``axis`` (``torch.nn.functional.log_softmax``,
    ``jax.nn.log_softmax``: one fused pass).

    Generic: ``(x - m) - log Σ exp(x - m)`` with the row maximum ``m`` (gradient
    stopped), as PyTorch and JAX compute it; never ``x - logsumexp(x)``, whose
    ``m + log s`` is rounded at the magnitude of ``m``: two float16 logits of 65504 in
    a column came out with probabilities 0.5009 instead of 1/2 (computed in float32;
    found by conformance/test_properties.py against PyTorch).  One operation fewer, too.
    """
    kind = _kind(xp)
    if kind == "torch":
        return _torch_functional().log_softmax(x, dim=axis)
    if kind == "jax":
        return _jax_nn().log_softmax(x, axis=axis)
    if _has_no_elements(x):  # (Dask's max of an empty chunk raises; only the shape matters)
        return x - xp.sum(x, axis=axis, keepdims=True)
    m = xp.max(x, axis=axis, keepdims=True)
    shifted = x - stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def one_hot(xp: Namespace, index: Array, num_classes: int, axis: int) -> Array:
    """Boolean one-hot of integer ``index`` with the class dimension inserted at ``axis``.

    ``axis`` is an axis of the *result* (non-negative).  Indices outside
    ``[0, num_classes)`` give an all-False row.  Built as ``index == arange`` so it is
    jit-safe and needs no scatter.
    """
    classes = xp.arange(num_classes, dtype=index.dtype, device=device(index))
    shape = [1] * (index.ndim + 1)
    shape[axis] = num_classes
    return xp.expand_dims(index, axis=axis) == xp.reshape(classes, tuple(shape))


def gather_at_class(xp: Namespace, x: Array, index: Array, axis: int) -> Array:
    """``x`` picked at ``index`` along the class ``axis`` (non-negative).

    ``index`` has ``x``'s shape without ``axis`` and must hold valid class indices
    (callers replace ignored or invalid ones first).  Uses ``take_along_axis`` where
    the namespace has it and a one-hot ``where``-sum otherwise (Dask).  PyTorch:
    ``torch.take_along_dim`` directly (the Dynamo of PyTorch 2.3 and 2.4 cannot trace
    ``hasattr`` on a module), with the indices as int64, the only dtype it takes (class
    indices of any integer dtype are accepted: an int32 target raised a RuntimeError;
    chosen from the static dtype, and int64 indices are not copied).
    """
    if is_torch(xp):
        torch = sys.modules["torch"]
        if index.dtype != torch.int64:
            index = index.to(torch.int64)
        picked = torch.take_along_dim(x, xp.expand_dims(index, axis=axis), dim=axis)
        return xp.squeeze(picked, axis=axis)
    if hasattr(xp, "take_along_axis") and not is_dask(xp):
        picked = xp.take_along_axis(x, xp.expand_dims(index, axis=axis), axis=axis)
        return xp.squeeze(picked, axis=axis)
    mask = one_hot(xp, index, x.shape[axis], axis)
    return xp.sum(xp.where(mask, x, 0.0), axis=axis)


# ----------------------------------------------------------- element-wise regression

POINTWISE_KINDS = ("squared", "absolute", "huber", "smooth_l1", "log_cosh")
# PyTorch's fused kernels for the kinds it has, called with the reduction (one pass)
_TORCH_POINTWISE = {"squared": "mse_loss", "absolute": "l1_loss", "huber": "huber_loss",
                    "smooth_l1": "smooth_l1_loss"}


def pointwise_loss(xp: Namespace, kind: str, prediction: Array, target: Array,
                   param: float = 1.0, reduction: str = "none") -> Array:
    """An element-wise regression loss of ``error = prediction - target``, reduced.

    ``kind``: ``squared`` e², ``absolute`` |e|, ``huber`` ½q² + δ(|e| − q) with
    q = min(|e|, δ = ``param``), ``smooth_l1`` huber(β = ``param``)/β (|e| for β = 0),
    ``log_cosh`` |e| + log1p(exp(−2|e|)) − log 2.  ``reduction``: ``none``, ``sum`` or
    ``mean`` (over all elements).  Both inputs have the same shape and floating dtype.
    PyTorch: the fused ``torch.nn.functional`` loss with the reduction, one call; except
    the ``mean`` of an empty input (static shape), whose fused backward divides by the
    element count in Python in PyTorch's decompositions (a ``ZeroDivisionError`` under
    ``torch.compile`` and on the ``meta`` device, PyTorch 2.13): the generic formula's
    ``mean`` gives the same NaN.
    """
    if _kind(xp) == "torch" and kind in _TORCH_POINTWISE and not (
            reduction == "mean" and _has_no_elements(prediction)):
        fn = getattr(_torch_functional(), _TORCH_POINTWISE[kind])
        if kind == "huber":
            return fn(prediction, target, reduction=reduction, delta=param)
        if kind == "smooth_l1":
            return fn(prediction, target, reduction=reduction, beta=param)
        return fn(prediction, target, reduction=reduction)
    e = prediction - target
    if kind == "squared":
        loss = e * e
    elif kind == "absolute":
        loss = xp.abs(e)
    elif kind in ("huber", "smooth_l1"):
        if kind == "smooth_l1" and param < float(xp.finfo(e.dtype).smallest_normal):
            # β = 0 is exactly L1; so is, to within that smallest normal number, a β
            # whose 1/β overflows the compute dtype (β = 1e-250 on float32 gave 0 · inf
            # = NaN; found by test_properties.py)
            loss = xp.abs(e)
        else:
            # one branch-free formula whose both pieces are finite for every finite error
            a = xp.abs(e)
            q = clip(xp, a, max=param)
            if kind == "huber":
                loss = 0.5 * q * q + param * (a - q)
            else:
                # huber(β) / β written out, 0.5 q (q / β) + (a - q): the Huber value
                # divided by β overflowed (inf) for β > 1 and an error near the dtype's
                # maximum, whose loss ~|e| is finite (found by test_properties.py)
                loss = (0.5 * q) * (q * (1.0 / param)) + (a - q)
    elif kind == "log_cosh":
        a = xp.abs(e)
        # log cosh(a) = a + log1p(e^{-2a}) - log 2 = a + log1p(expm1(-2a) / 2): the same
        # operation count as the first form, whose "- log 2" cancels for small errors to
        # an absolute error of ulp(log 2) (a loss of -6e-8 in float32 for an error of
        # 1e-4, whose log-cosh is 5e-9; found by conformance/test_properties.py); here
        # the error is ~ulp(a).  One smooth expression, so the gradient at e = 0 is
        # exactly 0 whatever subgradient the backend gives abs (a max(-2a, 0) kink there
        # gave JAX a gradient of 1).  (torch.compile's CPU expm1 is exp(x) - 1, which
        # gives back the first form's accuracy, no worse.)
        loss = a + xp.log1p(xp.expm1(-2.0 * a) * 0.5)
    else:  # pragma: no cover - internal misuse
        raise ValueError(f"unknown pointwise loss kind {kind!r}")
    if reduction == "sum":
        return xp.sum(loss)
    if reduction == "mean":
        return mean(xp, loss)  # (NaN for an empty input, without NumPy's warnings)
    return loss


# ------------------------------------------------------------ class-index losses


def fused_nll(xp: Namespace, kind: str, x: Array, target: Array, axis: int,
              weight: Array | None, ignore_index: int, smoothing: float,
              reduction: str) -> Array | None:
    """PyTorch's fused ``cross_entropy`` (``kind='logits'``) or ``nll_loss``
    (``kind='log_probs'``) of class indices, or ``None`` where there is none.

    Only for indices that were validated (every one in ``[0, C)`` or ``ignore_index``):
    PyTorch's kernels fail or read out of bounds on others, where the generic formula
    gives NaN.  Same semantics as ours by construction (``weight``, ``ignore_index``,
    label smoothing, the weighted mean's denominator, NaN when all are ignored).
    """
    if _kind(xp) != "torch":  # pragma: no cover - callers ask has_fused_nll first
        return None
    torch = sys.modules["torch"]
    if x.ndim > 1 and axis != 1:
        x = torch.movedim(x, axis, 1)  # a view: PyTorch wants the classes on dim 1
    if target.dtype != torch.int64:
        target = target.to(torch.int64)
    F = _torch_functional()
    if kind == "logits":
        return F.cross_entropy(x, target, weight=weight, ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=smoothing)
    if x.ndim == 4 and x.requires_grad and not x.is_contiguous():
        # PyTorch's 4-d nll_loss (nll_loss2d) backward raises "grad_input must be
        # contiguous" for a non-contiguous input, e.g. the view above of (C, N, H, W)
        # log-probabilities with axis=0 (PyTorch 2.13; found by test_properties.py).
        # Its forward and every other rank are fine: only this case pays for a copy.
        x = x.contiguous()
    return F.nll_loss(x, target, weight=weight, ignore_index=ignore_index,
                      reduction=reduction)


def has_fused_nll(xp: Namespace) -> bool:
    """Whether :func:`fused_nll` has a kernel for ``xp`` (checked before validating)."""
    return _kind(xp) == "torch"
