"""Numerically stable building blocks that the array API standard does not provide.

Every function takes the namespace ``xp`` first and works on any array-API library;
none reads array values in Python, indexes with a boolean mask or writes in place, so
all of them trace under ``jax.jit`` / ``torch.compile(fullgraph=True)`` and stay lazy
on Dask.  Python scalars only appear in operators, ``where`` and ``clip`` (array-api-
compat's two-argument wrappers such as ``maximum(x, 0)`` break ``torch.compile``).

Fast paths
----------
This module is the one seam where a backend's own fused kernels replace the generic
array-API formula, chosen from the namespace (never from values): ``torch.nn.functional``
(PyTorch) and ``jax.nn`` (JAX); the generic formula elsewhere (NumPy, CuPy, Dask,
array-api-strict).  Every fast path computes the same function to rounding, tails
included, and has a parity test against the generic formula, values and gradients
(``conformance/test_fast_paths.py``).  ``LOSSES_XP_GENERIC=1`` in the environment
disables them all.  Why each is written as it is: ``docs/numerics.md``.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

from ._compat import (
    Array,
    Namespace,
    device,
    is_dask,
    is_empty,
    is_jax,
    is_torch,
    stop_gradient,
)
from ._settings import get_exact_tails, get_value_checks

__all__ = [
    "alpha_factor",
    "binary_logit_loss",
    "clip",
    "cumulative_sum",
    "exp_minus_one_plus",
    "focal_bce",
    "fused_loss",
    "fused_nll",
    "gather_at_class",
    "hard_target",
    "hard_target_logit",
    "log_cosh",
    "log_mixed_sigmoids",
    "log_one_minus_softmax",
    "log_softmax",
    "mix",
    "neg_log_softmax_at",
    "one_hot",
    "relu",
    "scan",
    "smooth_binary",
    "softplus",
    "softplus_pair",
]

# softplus(x) = x to rounding above this in float32 and float64 (torch's default 20 is not)
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


def clip(xp: Namespace, x: Array, min: float | None = None,
         max: float | None = None) -> Array:
    """``xp.clip`` with Python-number bounds, in ``x``'s dtype.

    Dask: ``dask.array.clip`` (array-api-compat's builds a float64 array of the whole
    shape in one chunk); PyTorch: ``torch.clamp`` (older array-api-compat releases build
    one Dynamo cannot trace); the standard's ``clip`` elsewhere.
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
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), exact in both tails (2.06e-9 at
    x = -20; exp never overflows).  PyTorch: the fused ``softplus`` with threshold 40;
    JAX: ``jax.nn.softplus``.
    """
    kind = _kind(xp)
    if kind == "torch":
        F = sys.modules["torch"].nn.functional
        return F.softplus(x, beta=1.0, threshold=_SOFTPLUS_THRESHOLD)
    if kind == "jax":
        return sys.modules["jax"].nn.softplus(x)
    return relu(xp, x) + xp.log1p(xp.exp(-xp.abs(x)))


def softplus_pair(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(softplus(-x), softplus(x))``: both tails exact, in value and in gradient.

    PyTorch and JAX: two fused ``softplus`` (derivatives σ(∓x) computed directly).
    Generic (no autodiff): one ``exp`` and one ``log1p`` shared by both; not where
    gradients exist, whose derivative would lose the tail in float32.
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

    Generic and PyTorch: the log of the mixture of two exact sigmoids (:func:`mix`),
    floored at the smallest normal number, where the focal factor is 0 to the dtype's
    precision anyway.  JAX: in log space, a two-term logaddexp in which a zero
    coefficient drops its term (double ``where``), since JAX's Hessian of the floored
    log is NaN there.
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
    # logaddexp written out (a finite second derivative); a and b are never both -inf
    hi = xp.where(a > b, a, b)
    lo = xp.where(a > b, b, a)
    return hi + xp.log1p(xp.exp(lo - hi))


def exp_minus_one_plus(xp: Namespace, u: Array) -> Array:
    """``e^-u - 1 + u`` (>= 0, ``≈ u²/2``) for ``|u| <= 1/2``, element-wise, by its Taylor
    series to ``u^14`` (relative truncation error < 2e-16): ``expm1(-u) + u`` would lose
    ``log2(2/|u|)`` bits to cancellation.  Outside ``|u| <= 1/2`` it is not that function:
    callers select it with a ``where`` (and pass 0 in the branch not taken).  The
    distillation loss's close rows and Poly-1's ``g(n) = n + expm1(-n)`` near 0 use it."""
    poly = xp.zeros_like(u) + 1.0 / math.factorial(14)
    for k in range(13, 1, -1):
        poly = 1.0 / math.factorial(k) - u * poly
    return (u * u) * poly


def log_cosh(xp: Namespace, e: Array) -> Array:
    """log cosh(e) = |e| + log1p(expm1(-2|e|) / 2), element-wise: no ``cosh`` (which
    overflows), no cancelling ``- log 2``, one smooth expression (``docs/numerics.md``).

    JAX: the same expression with its derivative ``tanh(e)`` given to autodiff
    (``jax.custom_jvp``; second derivatives too).  Differentiated as written, the
    backward pass reuses ``expm1(-2|e|)``, so XLA writes it, ``|e|`` and half of it to
    memory as arrays of the input's size (80 MB at 1e7 float32 elements: value and
    gradient 1.45x optax's time); with ``tanh`` the forward is one fused pass and the
    backward another, reading the inputs only.
    """
    if _kind(xp) == "jax":
        return _jax_log_cosh()(e)
    a = xp.abs(e)
    return a + xp.log1p(xp.expm1(-2.0 * a) * 0.5)


_JAX_LOG_COSH: list[Any] = []


def _jax_log_cosh() -> Any:
    """:func:`log_cosh` as a ``jax.custom_jvp`` with the derivative ``tanh(e)`` (built
    once, on first use)."""
    if _JAX_LOG_COSH:
        return _JAX_LOG_COSH[0]
    jax = sys.modules["jax"]
    jnp = jax.numpy

    def value(e: Any) -> Any:
        a = jnp.abs(e)
        return a + jnp.log1p(jnp.expm1(-2.0 * a) * 0.5)

    def jvp(primals: tuple[Any], tangents: tuple[Any]) -> tuple[Any, Any]:
        (e,), (de,) = primals, tangents
        return log_cosh_jax(e), jnp.tanh(e) * de

    log_cosh_jax = jax.custom_jvp(value)
    log_cosh_jax.defjvp(jvp)
    _JAX_LOG_COSH.append(log_cosh_jax)
    return log_cosh_jax


def mix(xp: Namespace, a: Array, b: Array, t: Array) -> Array:
    """``(1 - t) a + t b``, exactly ``a`` at ``t = 0`` and exactly ``b`` at ``t = 1``.

    The binary losses' ``(1 - y) softplus(x) + y softplus(-x)``.  PyTorch: ``torch.lerp``
    (one fused pass; it evaluates from the nearer end, so the endpoints are exact).
    """
    if _kind(xp) == "torch":
        return sys.modules["torch"].lerp(a, b, t)
    return (1.0 - t) * a + t * b


def hard_target(xp: Namespace, target: Array) -> Array | None:
    """``target`` if its dtype (static) makes it a hard 0/1 target (bool or integer), else
    ``None``: the exact hard-target algebra of :func:`hard_target_logit` applies."""
    hard = target.dtype == xp.bool or xp.isdtype(target.dtype, "integral")
    return target if hard else None


def hard_target_logit(xp: Namespace, x: Array, target: Array, y: Array) -> Array:
    """``z = x`` where the target is 0 and ``-x`` where it is 1 (``target``: bool or
    integer; ``y``: the same values in ``x``'s dtype).

    Then the binary cross-entropy is ``softplus(z)`` and ``log(1 - p_t)`` is
    ``z - softplus(z)``: one transcendental pass.  Generic: ``x * (1 - 2y)``, exact for
    y in {0, 1} (NumPy's ``where`` on a random mask is ~10x slower).
    """
    if _kind(xp) == "generic":
        return x * (1.0 - 2.0 * y)
    hot = target if target.dtype == xp.bool else target != 0
    return xp.where(hot, -x, x)


def binary_logit_loss(xp: Namespace, x: Array, y: Array) -> Array:
    """Element-wise binary cross-entropy with logits, ``y softplus(-x) + (1 - y) softplus(x)``.

    PyTorch: its fused ``binary_cross_entropy_with_logits`` (rounded in the far tails,
    see ``_settings``); with exact tails, two fused softplus and :func:`mix` (in eager
    PyTorch, for large inputs that need a gradient, the ``autograd.Function`` below).
    JAX: the same value with its derivative given to autodiff
    (:func:`_jax_bce_with_logits`).  Generic (no autodiff): ``(max(x, 0) - x y) +
    log1p(exp(-|x|))`` in 8 passes instead of 13, exact in both tails for y in {0, 1}
    and within eps·y/(1 - y) for a soft target.
    """
    kind = _kind(xp)
    if kind == "torch" and not get_exact_tails():
        return sys.modules["torch"].nn.functional.binary_cross_entropy_with_logits(
            x, y, reduction="none")
    if (kind == "torch" and x.requires_grad and math.prod(x.shape) >= _FUSED_BACKWARD_MIN
            and not sys.modules["torch"].compiler.is_compiling()):
        # (static facts only: whether autograd will run, the size, not a compiled trace)
        return _torch_bce_with_logits().apply(x, y)
    if kind == "jax":
        return _jax_bce_with_logits()(x, y)
    if kind != "generic":
        sp_neg, sp_pos = softplus_pair(xp, x)
        return mix(xp, sp_pos, sp_neg, y)
    return (relu(xp, x) - x * y) + xp.log1p(xp.exp(-xp.abs(x)))


_JAX_BCE: list[Any] = []


def _jax_bce_with_logits() -> Any:
    """:func:`binary_logit_loss` for JAX, a ``jax.custom_jvp`` (built once, on first use).

    Value: ``(1 - y) softplus(x) + y softplus(-x)`` with each softplus written as
    ``jax.nn.softplus`` computes it, ``max(±x, 0) + log1p(exp(-|x|))``, the tail once:
    the same expression, equal to rounding (within 3e-7 relative in float32, fused
    differently).  Derivative: ``(1 - y) σ(x) - y σ(-x)`` in ``x``, both
    tails exact (``σ(x) - y`` loses ``-σ(-x)`` next to 1 when ``y = 1``), and ``-x`` in
    ``y``; second derivatives through ``jax.nn.sigmoid``.

    Why, under ``jax.jit`` on the CPU: XLA hands the mean to YNNPACK, whose fusion takes
    only some element-wise operations: ``jax.nn.softplus``'s NaN ``select`` is not one
    of them, so both softplus arrays were written to memory and read back (optax's loss
    too), and so is any operand that the value and its derivative share (``-x``, the
    constant 1): the optimization barrier keeps the value's operands its own.  Then the
    value is one pass over ``x`` and ``y`` and the gradient one more.
    """
    if _JAX_BCE:
        return _JAX_BCE[0]
    jax = sys.modules["jax"]
    jnp = jax.numpy

    # (jax.lax.optimization_barrier is public from jax 0.4.31 on; without it, the
    # same value, only less well fused)
    barrier = getattr(jax.lax, "optimization_barrier", lambda operands: operands)

    def value(x: Any, y: Any) -> Any:
        x, y, one = barrier((x, y, jnp.ones((), dtype=x.dtype)))
        tail = jnp.log1p(jnp.exp(-jnp.abs(x)))
        return (one - y) * (jnp.maximum(x, 0.0) + tail) + y * (jnp.maximum(-x, 0.0) + tail)

    def jvp(primals: tuple[Any, Any], tangents: tuple[Any, Any]) -> tuple[Any, Any]:
        (x, y), (dx, dy) = primals, tangents
        dlogit = (1.0 - y) * jax.nn.sigmoid(x) - y * jax.nn.sigmoid(-x)
        return bce_with_logits(x, y), dlogit * dx - x * dy

    bce_with_logits = jax.custom_jvp(value)
    bce_with_logits.defjvp(jvp)
    _JAX_BCE.append(bce_with_logits)
    return bce_with_logits


_TORCH_BCE: list[Any] = []
#: the reductions of PyTorch's kernels (not ``sum_and_count``: the generic path)
_REDUCTIONS = ("mean", "sum", "none")
_FUSED_BACKWARD_MIN = 65536  # below it the autograd.Function's call costs more than it saves


def _torch_bce_with_logits() -> Any:
    """A ``torch.autograd.Function`` (built once, on first use): the exact forward of
    :func:`_bce_logits_forward` with the analytic backward ``σ(x) - y`` (and ``-x`` for
    ``y``), exact in both tails (``1 - y - σ(-x)`` for x >= 0, never a rounded
    ``σ(x)`` minus ``y``), written in differentiable operations (second derivatives
    work; ``generate_vmap_rule`` lets ``torch.func`` transform it).  Eager PyTorch only.
    """
    if _TORCH_BCE:
        return _TORCH_BCE[0]
    torch = sys.modules["torch"]

    class BinaryLogitLoss(torch.autograd.Function):  # type: ignore[misc,name-defined]
        generate_vmap_rule = True

        @staticmethod
        def forward(x: Any, y: Any) -> Any:
            return _bce_logits_forward(torch, x, y)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, Any], output: Any) -> None:
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
            x, y = ctx.saved_tensors
            gx = None
            if ctx.needs_input_grad[0]:
                # σ(x) - y, exact in both tails: with s = σ(-|x|), (1 - y) - s where
                # x >= 0 (σ(x) = 1 - s), s - y elsewhere (σ(x) = s)
                s = torch.sigmoid(-x.abs())
                gx = grad * torch.where(x >= 0, (1.0 - y) - s, s - y)
            gy = grad * -x if ctx.needs_input_grad[1] else None
            return gx, gy

    _TORCH_BCE.append(BinaryLogitLoss)
    return BinaryLogitLoss


def _whole(gamma: float) -> bool:
    """Whether ``gamma`` is 0, 1, 2, ...: then ``q ** gamma`` has finite first and
    second derivatives at ``q = 0``."""
    return gamma >= 0.0 and gamma % 1.0 == 0.0  # (Dynamo of PyTorch 2.3: no is_integer)


def _torch_focal(torch: Any, x: Any, y: Any, gamma: float, factor: Any) -> Any:
    """``factor (1 - p_t)^γ BCE(x, y)`` for a whole γ, torchvision's form: PyTorch's
    fused BCE kernel (rounded in the far tails, see ``_settings``; ``factor`` is its
    ``weight``) and ``1 - p_t`` from ``p = σ(x)``, rounded where ``p`` rounds to 1; a
    whole power of it has finite first and second derivatives at 0 (any other γ takes
    the exact form of :func:`focal_bce`)."""
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, y, weight=factor,
                                                              reduction="none")
    if gamma == 0.0:
        return ce
    # 1 - p_t = y + p (1 - 2y): one addcmul, whose backward is one product (a lerp of p
    # and 1 - p costs four kernels backward)
    q = torch.addcmul(y, torch.sigmoid(x), 1.0 - 2.0 * y)
    return (q * q if gamma == 2.0 else q ** gamma) * ce


def alpha_factor(alpha: float | None, y: Array) -> Array | None:
    """The sigmoid focal loss's α_t = α y + (1 - α)(1 - y), in one pass over ``y``
    (``None`` without α)."""
    return None if alpha is None else (2.0 * alpha - 1.0) * y + (1.0 - alpha)


def express_sigmoid_focal(x: Any, target: Any, gamma: float, alpha: float | None,
                          reduction: str) -> Any:
    """:func:`focal_bce` times α_t with ``reduction``, in PyTorch (eager, compiled or
    transformed), for a float target of ``x``'s dtype and shape, a whole γ, without
    exact tails (:func:`_torch_focal`), and without a weight; else ``None``.  The
    target is checked at the level ``"all"`` where it can be read (else ``None``: the
    general path makes the NaN).  Few guards under ``torch.compile``."""
    torch = _eager_torch(x, target)
    if (torch is None or target.dtype is not x.dtype or x.shape != target.shape
            or reduction not in _REDUCTIONS or not _whole(gamma) or get_exact_tails()
            or (reduction == "mean" and x.numel() == 0)):
        return None
    if not _target_passes(torch, target):
        return None
    return _reduce(_torch_focal(torch, x, target, gamma, alpha_factor(alpha, target)),
                   reduction)


def focal_bce(xp: Namespace, x: Array, y: Array, gamma: float,
              hard: Array | None = None, factor: Array | None = None) -> Array:
    """The sigmoid focal term ``(1 - p_t)^γ · BCE(x, y)``, element-wise, times ``factor``
    (α_t; ``None``: 1).

    ``(1 - p_t)^γ = exp(γ log(1 - p_t))``, never a power of a rounded ``1 - p_t``.
    ``hard``: the original target when its dtype is bool or integer (:func:`hard_target`):
    then BCE = softplus(z) and log(1 - p_t) = z - softplus(z) with z = ±x, one pass;
    else both from the two exact softplus (:func:`log_mixed_sigmoids`).  PyTorch without
    exact tails, a whole γ (0, 1, 2, ...): torchvision's form, ``(1 - p_t)^γ`` from
    ``σ(x)`` times PyTorch's fused BCE, which takes ``factor`` as its ``weight`` in its
    own pass (7 kernels instead of 12).
    """
    if hard is not None:
        z = hard_target_logit(xp, x, hard, y)
        ce = softplus(xp, z)
        loss = ce if gamma == 0.0 else xp.exp(gamma * (z - ce)) * ce
        return loss if factor is None else factor * loss
    if _kind(xp) == "torch" and _whole(gamma) and not get_exact_tails():
        return _torch_focal(sys.modules["torch"], x, y, gamma, factor)
    sp_neg, sp_pos = softplus_pair(xp, x)  # -log σ(x), -log σ(-x)
    ce = mix(xp, sp_pos, sp_neg, y)
    if gamma != 0.0:
        ce = xp.exp(gamma * log_mixed_sigmoids(xp, x, y, sp_neg, sp_pos)) * ce
    return ce if factor is None else factor * ce


def neg_log_softmax_at(xp: Namespace, x: Array, picked: Array, axis: int) -> Array:
    """-log_softmax(x)[picked] = log Σ exp(x - m) - (x_picked - m), without the (N, C)
    log-softmax (``picked``: the values of ``x`` at one class per row, ``axis`` removed).

    Never a negated log-probability (a confident row would give ``-0.0``); the row
    maximum ``m`` is subtracted first, as in a log-softmax, so a small loss is accurate
    to about one ulp of 1.
    """
    if is_empty(x):
        return xp.sum(x, axis=axis) - picked  # empty: the shape is all that matters
    m = xp.max(x, axis=axis, keepdims=True)
    m = stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))
    log_s = xp.log(xp.sum(xp.exp(x - m), axis=axis))
    return log_s - (picked - xp.squeeze(m, axis=axis))


def log_softmax(xp: Namespace, x: Array, axis: int) -> Array:
    """x - logsumexp(x) along ``axis`` (``torch.nn.functional.log_softmax``,
    ``jax.nn.log_softmax``: one fused pass).

    Generic: ``(x - m) - log Σ exp(x - m)`` with the row maximum ``m`` (gradient
    stopped), as PyTorch and JAX compute it; never ``x - logsumexp(x)``, whose
    ``m + log s`` is rounded at the magnitude of ``m``.
    """
    kind = _kind(xp)
    if kind == "torch":
        return sys.modules["torch"].nn.functional.log_softmax(x, dim=axis)
    if kind == "jax":
        return sys.modules["jax"].nn.log_softmax(x, axis=axis)
    if is_empty(x):  # (Dask's max of an empty chunk raises; only the shape matters)
        return x - xp.sum(x, axis=axis, keepdims=True)
    m = xp.max(x, axis=axis, keepdims=True)
    shifted = x - stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def log_one_minus_softmax(xp: Namespace, x: Array, hot: Array, axis: int) -> Array:
    """log(1 - p_y) = log Σ_{c≠y} softmax(x)_c along ``axis`` (``hot``: one-hot of y).

    ``(m_o - m) + log Σ_{c≠y} e^{x_c - m_o} - log Σ_c e^{x_c - m}`` with the shifts
    ``m = max x`` and ``m_o = max_{c≠y} x_c`` (gradients stopped): no rounded
    ``x - logsumexp(x)`` enters, and the sum over the other classes never underflows.
    ``-inf`` where every other logit is ``-inf`` (p_y = 1 exactly, one class included),
    with a zero gradient: the empty sum's log goes through a double ``where``.
    """
    if is_empty(x):  # Dask's max of an empty chunk raises; the result is empty
        return xp.sum(x, axis=axis)
    m = xp.max(x, axis=axis, keepdims=True)
    m = stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))
    others = xp.where(hot, -math.inf, x)
    m_o = xp.max(others, axis=axis, keepdims=True)
    m_o = stop_gradient(xp, xp.where(xp.isfinite(m_o), m_o, m))
    log_s = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True))
    s_o = xp.sum(xp.exp(others - m_o), axis=axis, keepdims=True)
    none = s_o == 0.0  # (s_o >= 1 wherever some other logit is finite)
    log_s_o = xp.where(none, -math.inf, xp.log(xp.where(none, 1.0, s_o)))
    return xp.squeeze((m_o - m) + log_s_o - log_s, axis=axis)


def one_hot(xp: Namespace, index: Array, num_classes: int, axis: int) -> Array:
    """Boolean one-hot of integer ``index`` with the class dimension inserted at ``axis``
    (an axis of the result, non-negative); an index outside ``[0, num_classes)`` gives an
    all-False row.  ``index == arange``: jit-safe, no scatter.
    """
    classes = xp.arange(num_classes, dtype=index.dtype, device=device(index))
    shape = [1] * (index.ndim + 1)
    shape[axis] = num_classes
    return xp.expand_dims(index, axis=axis) == xp.reshape(classes, tuple(shape))


def cumulative_sum(xp: Namespace, x: Array, axis: int) -> Array:
    """The cumulative sums of ``x`` along ``axis`` (``xp.cumulative_sum``).

    PyTorch: ``torch.cumsum`` directly (array-api-compat's ``cumulative_sum`` looks up
    the namespace of its input, a cached call that ``torch.compile`` warns about)."""
    if is_torch(xp):
        return sys.modules["torch"].cumsum(x, dim=axis)
    return xp.cumulative_sum(x, axis=axis)


def gather_at_class(xp: Namespace, x: Array, index: Array, axis: int) -> Array:
    """``x`` picked at valid class indices ``index`` along the class ``axis``
    (non-negative; ``index`` has ``x``'s shape without it).

    ``take_along_axis`` where the namespace has it, a one-hot ``where``-sum otherwise
    (Dask).  PyTorch: ``torch.take_along_dim`` directly (Dynamo 2.3 cannot trace
    ``hasattr`` on a module), with int64 indices, the only dtype it takes.  JAX:
    ``mode="promise_in_bounds"`` (the indices are valid): neither the bounds mask nor
    the negative-index wrap of the default mode, in the gather and in the scatter of
    its gradient (150 of the 1026 flops of ``cross_entropy``'s value and gradient on
    (10, 10) logits: XLA's CPU client runs a program of 1000 flops or more on another
    thread, see ``_classes.index_masks``).
    """
    if _kind(xp) == "jax" and not is_empty(x):  # (jax 0.4.30 cannot gather empty so)
        picked = sys.modules["jax"].numpy.take_along_axis(
            x, xp.expand_dims(index, axis=axis), axis=axis, mode="promise_in_bounds")
        return xp.squeeze(picked, axis=axis)
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


# --------------------------------------------------------------------------- scan


def scan(xp: Namespace, step: Any, carry: Any, xs: Any, axis: int = 0) -> tuple[Any, Any]:
    """A loop over ``axis`` of ``xs`` that threads a carry, as ``jax.lax.scan``.

    ``step(carry, x_t) -> (carry, y_t)`` is called once per index ``t`` along ``axis``
    (``xs``: one array or a tuple of arrays of one length along it; ``x_t`` the same
    structure with that axis removed).  Returns ``(carry, ys)``: the last carry and the
    ``y_t`` stacked along a new first axis (``None`` where ``step`` returns ``None``;
    one array, or a tuple of arrays in ``y_t``'s structure).  ``carry`` is an array or a
    tuple of arrays whose shapes and dtypes ``step`` keeps.

    JAX (always, also with ``LOSSES_XP_GENERIC=1``: this is not a fast path but how
    the loop is traced): ``jax.lax.scan`` (``xs`` moved to the first axis), so ``jax.jit`` and
    ``jax.grad`` trace ``step`` once and compile in a time independent of the length
    (a Python loop unrolled into the trace measured 542 s to compile at 50 steps).
    Elsewhere (NumPy, CuPy, array-api-strict, PyTorch eagerly and under
    ``torch.compile``, which unrolls it: keep such loops short there, or dispatch the
    whole loss to a native kernel; Dask, which stays lazy): a Python loop over the
    static length, ``xs`` indexed with a Python integer, the ``y_t`` joined with
    ``xp.stack``.  The length is static (a shape), never a value: no host sync.
    """
    single = not isinstance(xs, tuple)
    seq = (xs,) if single else xs
    if not seq:
        raise ValueError("scan needs at least one array in `xs`")
    n = seq[0].shape[axis]
    if is_jax(xp):  # (not a fast path: also with LOSSES_XP_GENERIC=1)
        lax = sys.modules["jax"].lax
        moved = tuple(xp.moveaxis(x, axis, 0) if axis != 0 else x for x in seq)
        out: tuple[Any, Any] = lax.scan(step, carry, moved[0] if single else moved)
        return out
    ys: list[Any] = []
    for t in range(n):
        x_t = tuple(_index(x, t, axis) for x in seq)
        carry, y = step(carry, x_t[0] if single else x_t)
        ys.append(y)
    if not ys or ys[0] is None:
        return carry, None
    if isinstance(ys[0], tuple):
        return carry, tuple(xp.stack([y[i] for y in ys], axis=0) for i in range(len(ys[0])))
    return carry, xp.stack(ys, axis=0)


def _index(x: Array, t: int, axis: int) -> Array:
    """``x`` at the Python integer ``t`` along ``axis`` (basic indexing: every library,
    lazily on Dask, one slice of the graph under ``torch.compile``)."""
    key = (slice(None),) * (axis % x.ndim) + (t, ...)
    return x[key]


# --------------------------------------------------------------- PyTorch's fused losses


def fused_loss(xp: Namespace, name: str, prediction: Array, target: Array, reduction: str,
               **options: float) -> Array | None:
    """PyTorch's fused ``torch.nn.functional.<name>`` (an element-wise regression loss)
    with the reduction, one call; ``None`` elsewhere, and for the ``mean`` of an empty
    input, whose fused backward divides by zero in Python (``ZeroDivisionError`` under
    ``torch.compile`` and on ``meta``): the generic ``mean`` gives the same NaN.
    """
    if (_kind(xp) != "torch" or reduction not in _REDUCTIONS
            or (reduction == "mean" and is_empty(prediction))):
        return None
    fn = getattr(sys.modules["torch"].nn.functional, name)
    return fn(prediction, target, reduction=reduction, **options)


def fused_nll(xp: Namespace, name: str, x: Array, target: Array, axis: int,
              weight: Array | None, ignore_index: int, smoothing: float,
              reduction: str) -> Array | None:
    """PyTorch's fused ``torch.nn.functional.<name>`` of class indices: ``"cross_entropy"``
    (``x`` holds logits) or the negative log-likelihood of log-probabilities; ``None``
    elsewhere.

    Only for validated indices (each in ``[0, C)`` or ``ignore_index``): PyTorch's
    kernels fail or read out of bounds on others.  Same semantics as the generic
    formula (``weight``, ``ignore_index``, smoothing, the weighted mean, NaN when all
    are ignored).
    """
    if _kind(xp) != "torch" or reduction not in _REDUCTIONS:
        return None
    torch = sys.modules["torch"]
    if x.ndim > 1 and axis != 1:
        x = torch.movedim(x, axis, 1)  # a view: PyTorch wants the classes on dim 1
    if target.dtype != torch.int64:
        target = target.to(torch.int64)
    options = {"label_smoothing": smoothing} if smoothing else {}
    if name != "cross_entropy" and x.ndim == 4 and x.requires_grad and not x.is_contiguous():
        x = x.contiguous()  # nll_loss2d's backward refuses a non-contiguous input
    fn = getattr(torch.nn.functional, name)
    return fn(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
              **options)


# --------------------------------------------------------------- PyTorch eager express
#
# A loss called with plain PyTorch tensors spends most of a small call in Python: the
# namespace, the checks, the casts (about 10 µs, against 3 to 15 µs for the whole native
# call).  The functions below are each loss's first step: they take the call as given
# (Python values, no namespace), and where every fact they need is static and simple
# (exact ``torch.Tensor`` types, one float32/float64 dtype, equal shapes and devices,
# default options) they compute the loss with PyTorch's own kernels and return it;
# anywhere else they return ``None`` and the loss goes its general way, which also
# writes every error message.  Each computes what the general path computes (parity
# tests: ``conformance/test_fast_paths.py``); the value checks of the level in effect
# (``_settings``) run as in the general path, or, where PyTorch's kernel performs the
# same check (a class index out of range), the kernel's check stands for ours and its
# error sends the call down the general path, which raises ours.



def _eager_torch(a: Any, b: Any) -> Any:
    """The ``torch`` module when ``a`` and ``b`` are plain tensors of one float32/float64
    dtype on one device and the fast paths are on; else ``None``."""
    torch = sys.modules.get("torch")
    if (torch is None or type(a) is not torch.Tensor or type(b) is not torch.Tensor
            or not FAST_PATHS):
        return None
    dt = a.dtype
    if (dt is not torch.float32 and dt is not torch.float64) or a.device != b.device:
        return None
    return torch


def _traced(torch: Any, x: Any) -> bool:
    """Whether ``x`` is seen by a ``torch.compile`` trace or a functorch transform (where
    nothing may read values, and in-place temporaries are not worth the risk)."""
    return bool(torch.compiler.is_compiling()
                or torch._C._functorch.is_functorch_wrapped_tensor(x))


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def express_elementwise(name: str, prediction: Any, target: Any, reduction: str,
                        **options: float) -> Any:
    """``torch.nn.functional.<name>`` (a regression loss) of two tensors of one dtype and
    shape, with ``reduction`` (not the mean of an empty input: see :func:`fused_loss`)."""
    torch = _eager_torch(prediction, target)
    if (torch is None or target.dtype is not prediction.dtype
            or prediction.shape != target.shape or reduction not in _REDUCTIONS
            or (reduction == "mean" and prediction.numel() == 0)):
        return None
    return getattr(torch.nn.functional, name)(prediction, target, reduction=reduction,
                                              **options)


def _extremes(torch: Any, x: Any) -> tuple[float, float] | None:
    """``(min, max)`` of ``x`` (one ``aminmax`` pass, one host read; NaN if any), or
    ``None`` where its values cannot be read (a trace, a transform, an accelerator) or
    there are none (``aminmax`` of nothing raises)."""
    if not x.is_cpu or x.numel() == 0 or _traced(torch, x):
        return None
    low, high = torch.aminmax(x.detach())
    return float(low), float(high)


def _within(extremes: tuple[float, float] | None, lo: float, hi: float) -> bool:
    """Whether :func:`_extremes` were read and lie in ``[lo, hi]`` (NaN never does)."""
    return extremes is not None and extremes[0] >= lo and extremes[1] <= hi


def _target_passes(torch: Any, target: Any) -> bool:
    """Whether a binary target passes the value checks in effect: unchecked below the
    level ``"all"``, else read and in [0, 1] (a target that cannot be read, under a
    trace, does not pass: the general path makes the NaN)."""
    return get_value_checks() != "all" or _within(_extremes(torch, target), 0.0, 1.0)


def smooth_binary(y: Any, smoothing: float) -> Any:
    """Binary targets pulled toward 0.5, ``y (1 - ε) + ε / 2`` (Keras's binary label
    smoothing), in ``y``'s floating dtype; ``y`` itself for ``ε = 0`` (no pass)."""
    return y if smoothing == 0.0 else y * (1.0 - smoothing) + 0.5 * smoothing


def express_binary_cross_entropy(probs: Any, target: Any, reduction: str,
                                 smoothing: float = 0.0) -> Any:
    """PyTorch's ``binary_cross_entropy`` of ``probs`` clipped to ``[eps, 1 - eps]``.

    ``probs`` is checked (an essential check: PyTorch's kernel checks it too, but after
    the clip it would not see a probability of 1.5) in one ``aminmax``; when every
    value already lies in ``[eps, 1 - eps]`` the clip, which would change nothing, is
    skipped (the values were read for the check anyway).  The target is checked at the
    level ``"all"``, then smoothed (``smoothing``: :func:`smooth_binary`; the kernel
    takes soft targets).  An unreadable or invalid input: ``None`` (the general path
    makes the NaN or raises the error).
    """
    torch = _eager_torch(probs, target)
    if (torch is None or target.dtype is not probs.dtype or probs.shape != target.shape
            or reduction not in _REDUCTIONS or probs.numel() == 0 or not probs.is_cpu):
        return None  # (CUDA: the kernel's own check of a NaN is a device-side assert)
    if not _target_passes(torch, target):
        return None
    eps = float(torch.finfo(probs.dtype).eps)
    clip_needed = True
    if get_value_checks() != "none":
        seen = _extremes(torch, probs)
        if not _within(seen, 0.0, 1.0):
            return None
        clip_needed = not _within(seen, eps, 1.0 - eps)
    p = probs.clamp(eps, 1.0 - eps) if clip_needed else probs
    return torch.nn.functional.binary_cross_entropy(p, smooth_binary(target, smoothing),
                                                    reduction=reduction)


def express_binary_logit_loss(x: Any, target: Any, reduction: str,
                              smoothing: float = 0.0) -> Any:
    """:func:`binary_logit_loss` with ``reduction`` in eager PyTorch, for a float target
    of ``x``'s dtype or a bool one (not with ``smoothing``), without weights; a float
    target is checked, then smoothed (:func:`smooth_binary`).

    Float target: PyTorch's fused kernel with the reduction.  With exact tails, from
    ``_FUSED_BACKWARD_MIN`` elements on: :func:`_bce_logits_forward`
    (its temporaries overwritten in place: they are this function's own arrays, and
    no trace ever sees them); with a gradient, through the ``autograd.Function`` of
    :func:`_torch_bce_with_logits`, whose backward is ``σ(x) - y``.  Below: the two
    fused softplus and ``lerp`` of :func:`binary_logit_loss` (three kernels instead of
    nine; an ``autograd.Function`` costs more than it saves there).  Bool target:
    ``softplus(±x)``.  The target is checked at the level ``"all"`` only (a bool one
    needs no check).  Under ``torch.compile`` or a functorch transform: the kernel and
    the bool form only (few guards: a compiled call of a few elements is mostly the
    guards' cost), else ``None``.
    """
    torch = _eager_torch(x, target)
    if torch is None or x.shape != target.shape or reduction not in _REDUCTIONS:
        return None
    if target.dtype is torch.bool:
        if smoothing:
            return None  # (soft once smoothed: the general path)
        z = torch.where(target, -x, x)
        return _reduce(torch.nn.functional.softplus(z, beta=1.0,
                                                    threshold=_SOFTPLUS_THRESHOLD), reduction)
    if target.dtype is not x.dtype:
        return None
    if not _target_passes(torch, target):
        return None
    target = smooth_binary(target, smoothing)
    if not get_exact_tails():
        return torch.nn.functional.binary_cross_entropy_with_logits(x, target,
                                                                    reduction=reduction)
    if _traced(torch, x):
        return None
    if x.numel() < _FUSED_BACKWARD_MIN:  # (few elements: fewer kernels beat fewer passes)
        F = torch.nn.functional
        loss = torch.lerp(F.softplus(x, beta=1.0, threshold=_SOFTPLUS_THRESHOLD),
                          F.softplus(-x, beta=1.0, threshold=_SOFTPLUS_THRESHOLD), target)
    elif x.requires_grad or target.requires_grad:
        loss = _torch_bce_with_logits().apply(x, target)
    else:
        loss = _bce_logits_forward(torch, x, target)
    return _reduce(loss, reduction)


def _bce_logits_forward(torch: Any, x: Any, y: Any) -> Any:
    """``x (H(x) - y) + log1p(exp(-|x|))`` with ``H(x) = [x >= 0]``: the binary
    cross-entropy with logits, exact in both tails for every target in [0, 1] (the
    large term is ``(1 - y) x`` or ``-y x``, never a difference of two large terms);
    eager PyTorch, in place on its own temporaries (3 allocations).  An infinite
    logit gives NaN where its target makes ``0 · inf`` (PyTorch's kernel does too)."""
    tail = x.abs().neg_().exp_().log1p_()
    return (x >= 0).to(x.dtype).sub_(y).mul_(x).add_(tail)


def _class_pair(x: Any, target: Any, axis: int | None, reduction: str) -> Any:
    """The ``torch`` module for ``(N, C)`` float32/float64 logits (or log-probabilities)
    with ``N >= 1``, ``(N,)`` class indices, the classes on the last axis and a
    reduction of the kernels; else ``None`` (the class-index express paths' common
    conditions: the target's dtype and the trace are each path's own)."""
    torch = _eager_torch(x, target)
    if (torch is None or x.ndim != 2 or target.ndim != 1
            or not (axis is None or (type(axis) is int and axis in (-1, 1)))
            or x.shape[0] != target.shape[0] or x.shape[0] == 0
            or reduction not in _REDUCTIONS):
        return None
    return torch


#: the integer dtypes of class indices that the kernels take once converted to int64
_INT_INDEX = frozenset(f"torch.{t}" for t in ("int8", "uint8", "int16", "int32", "int64"))


def express_softmax_focal(x: Any, target: Any, axis: int | None, ignore_index: int,
                          gamma: float, alpha: float | None, reduction: str) -> Any:
    """The softmax focal loss ``-α (1 - p_y)^γ log p_y`` of an ``(N, C)`` CPU tensor and
    ``(N,)`` integer class indices, eagerly, for a whole γ (0, 1, 2, ...) and one α or none.

    ``-log p_y`` is PyTorch's ``cross_entropy`` (0 at ``ignore_index``; the kernel checks
    the indices as :func:`express_class_nll` does), and
    ``1 - p_y = -expm1(log p_y)``, accurate wherever ``log p_y`` is not rounded to 0
    (where it is, the loss is 0 either way).  A whole power of it has finite first and
    second derivatives at 0, so autograd differentiates the kernels directly: no
    ``exp(γ log(1 - p_y))`` from two log-sum-exps over the classes, which costs ten
    passes over the ``(N, C)`` logits where this costs the two of the cross-entropy.
    """
    torch = _class_pair(x, target, axis, reduction)
    if (torch is None or str(target.dtype) not in _INT_INDEX or x.shape[1] < 2
            or not x.is_cpu or not _whole(gamma) or _traced(torch, x)):
        return None  # (one class: the loss is 0, +0.0 from the general path)
    if target.dtype is not torch.int64:  # (the kernel takes int64 indices only)
        target = target.long()
    F = torch.nn.functional
    try:
        nll = F.cross_entropy(x, target, ignore_index=ignore_index, reduction="none")
    except (IndexError, RuntimeError):
        if get_value_checks() == "none":
            raise
        return None  # the general path checks the indices and raises our error
    loss = nll
    if gamma != 0.0:
        e = torch.expm1(-nll)  # p_y - 1
        loss = (e * e if gamma == 2.0 else e.neg() ** gamma) * nll
    if alpha is not None:
        loss = loss * alpha
    if reduction == "mean":  # over the targets not ignored (NaN if none is)
        return loss.sum() / (target != ignore_index).sum()
    # (``none``: -0.0 where log p_y is 0, as PyTorch's ``cross_entropy``; sums are +0)
    return _reduce(loss, reduction)


def express_class_nll(name: str, x: Any, target: Any, axis: int | None, weight: Any,
                      ignore_index: int, smoothing: float, reduction: str) -> Any:
    """PyTorch's ``cross_entropy`` / ``nll_loss`` (``name``) of an ``(N, C)`` tensor and
    ``(N,)`` int64 class indices: eagerly on the CPU (where the kernel raises on an
    out-of-range index), or under ``torch.compile`` on any device, where an index out of
    range is given to the kernel as ignored and makes the result NaN (the general
    path's answer; a compiled call of a few elements is mostly the guards' cost, and
    this path has few).  Not under a functorch transform.

    The kernel checks the indices as we do (each in ``[0, C)`` or ``ignore_index``): its
    error sends the call down the general path, which raises ours; at the level
    ``"none"`` the kernel's error is what remains.  ``weight``: ``None`` or a tensor of
    ``x``'s dtype and device, shape ``(C,)``.
    """
    torch = _class_pair(x, target, axis, reduction)
    if torch is None or target.dtype is not torch.int64:
        return None
    compiling = torch.compiler.is_compiling()
    if not compiling and torch._C._functorch.is_functorch_wrapped_tensor(x):
        return None
    if weight is not None and not (type(weight) is torch.Tensor and weight.dtype is x.dtype
                                   and weight.shape == (x.shape[1],)
                                   and weight.device == x.device):
        return None
    options = {"label_smoothing": smoothing} if smoothing else {}
    fn = getattr(torch.nn.functional, name)
    if compiling:
        # no value can be read: an index out of range goes to the kernel as ignored and
        # makes the result NaN, as in the general path (and no kernel reads out of bounds)
        bad = (target != ignore_index) & ((target < 0) | (target >= x.shape[1]))
        loss = fn(x, torch.where(bad, ignore_index, target), weight=weight,
                  ignore_index=ignore_index, reduction=reduction, **options)
        return torch.where(bad if reduction == "none" else bad.any(), math.nan, loss)
    if not x.is_cpu:  # (CUDA: an invalid index would be a device-side assert)
        return None
    try:
        return fn(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                  **options)
    except (IndexError, RuntimeError):
        if get_value_checks() == "none":
            raise
        return None  # the general path checks the indices and raises our error

