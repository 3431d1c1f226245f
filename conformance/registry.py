"""One :class:`Spec` per public loss: its cases, an independent oracle, the differences.

The registry is the single source of the conformance matrix.  Each loss's spec entry
lives in its family's spec file (``conformance/specs_<family>.py``, discovered here) and
joins

* the loss's **declaration** (``losses_xp._declare``: the function, its argument
  kinds, reductions, differentiable arguments and what it does not support);
* its **value cases** and **extreme cases** (``rng -> list[Case]``, from the generators
  of ``losses_xp._testing.inputs``);
* a float64 **oracle from an independent implementation** — PyTorch's
  ``torch.nn.functional``, Keras 3 (NumPy backend), scikit-learn, optax or a published
  reference code — never a second copy of our formula.  Oracles receive the case's
  arrays already rounded to the dtype under test (as float64), so only our arithmetic
  is being measured;
* a **gradient oracle**: PyTorch autograd through the PyTorch oracle, or, where the
  oracle has no autodiff, a fourth-order central finite difference of it in float64;
* optional **cross-checks** (further independent oracles, each with the tolerance it
  meets against the main oracle in float64), **pinned values** (:class:`Pinned`:
  published values and fuzzer findings, checked on every backend by
  ``test_pinned.py``), and the documented **differences** from the oracle.

The classes (:class:`Spec`, :class:`Entry`, :class:`Pinned`) and the matrix they feed are
the public conformance kit's (``losses_xp.testing``, which documents every field):
this suite is one of its users.

Oracle calling convention: ``oracle(args, kwargs, reduction) -> numpy.ndarray`` with
``args`` the case's positional arrays (float64 / int64 / bool) and ``kwargs`` its
options (NumPy arrays or lists).  A cross-check may return ``None`` for a case it
cannot express.  The tolerances are the one table of ``losses_xp._testing.compare``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

import losses_xp
from losses_xp._declare import declaration
from losses_xp._testing.compare import TOLERANCES, Tol
from losses_xp.testing._spec import (
    Entry,
    MakeCases,
    Oracle,
    Pinned,
    Spec,
    TorchExpr,
    finite_difference_grad,
    from_torch,
    tensor,
    torch,
)

__all__ = ["EXACT", "KERAS", "SPECS", "TOLERANCES", "Entry", "Pinned", "Spec", "Tol",
           "finite_difference_grad", "from_torch", "keras", "np_reduce", "public_names",
           "spec", "t_reduce", "tensor", "torch", "torch_spec"]

#: the tolerance a float64 cross-check meets against the main oracle: exact libraries
#: agree to rounding; Keras's NumPy backend computes in float32 (see :func:`keras`)
EXACT = Tol(rtol=1e-9, atol=1e-12)
KERAS = Tol(rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- specs


def spec(name: str, oracle: Oracle, reference: str, cases: MakeCases, extreme: MakeCases, *,
         shape_tags: frozenset[str] | None = None, **kw: Any) -> Spec:
    """The spec entry of the public function ``name`` (its declaration is looked up)."""
    entry = Entry(declaration(name), cases, extreme,
                  **({} if shape_tags is None else {"shape_tags": shape_tags}))
    return Spec(name=name, entry=entry, oracle=oracle, reference=reference, **kw)


def torch_spec(name: str, expr: TorchExpr, reference: str, cases: MakeCases,
               extreme: MakeCases, **kw: Any) -> Spec:
    """A spec whose oracle is a PyTorch expression (gradients by autograd)."""
    return spec(name, from_torch(expr), reference, cases, extreme, torch_expr=expr, **kw)


# --------------------------------------------------------------------------- oracle helpers


@cache
def jax_x64(fn: Callable[[], Any]) -> np.ndarray:
    """``fn()`` with JAX's x64 switched on (the optax / rax cross-checks in float64), as a
    float64 NumPy array; the switch restored after."""
    import jax

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        return np.asarray(fn(), np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)


def keras() -> Any:
    """Keras 3 on its NumPy backend (the backend is fixed at the first import).

    Keras's NumPy backend computes in float32 whatever ``floatx`` says: its type
    promotion maps float64 to float32 "to align with JAX"
    (``BIT64_TO_BIT32_DTYPE`` in ``keras/src/backend/common/dtypes.py``), e.g. the
    ``log(2)`` of ``log_cosh`` and every product with a Python float.  Keras is
    therefore a cross-check at float32 accuracy here, not a float64 oracle.
    """
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "numpy"
    import keras as _keras_module

    if _keras_module.backend.backend() != "numpy":
        raise RuntimeError(
            f"the Keras oracle needs KERAS_BACKEND=numpy, but keras was already imported "
            f"with the {_keras_module.backend.backend()!r} backend in this process"
        )
    return _keras_module


def np_reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    """Our documented reductions of an element-wise oracle value: sum, or sum / count."""
    if reduction == "none":
        return loss
    s = np.sum(loss)
    if reduction == "sum":
        return np.asarray(s)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(s / np.float64(loss.size))


def t_reduce(loss: Any, reduction: str) -> Any:
    """:func:`np_reduce` of a PyTorch tensor."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / loss.numel()


def class_first(x: Any, axis: int, ndim: int) -> Any:
    """PyTorch wants the class axis at 1 (or 0 for an unbatched (C,) input)."""
    axis %= ndim
    return x if ndim == 1 or axis == 1 else x.movedim(axis, 1)


# --------------------------------------------------------------------------- the registry


def _discover() -> dict[str, Spec]:
    """Every ``SPECS`` list of the spec files ``conformance/specs_*.py``, by name."""
    out: dict[str, Spec] = {}
    package = importlib.import_module(__package__ or "conformance")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("specs_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for s in module.SPECS:
            if s.name in out:
                raise RuntimeError(f"two spec entries for {s.name}")
            out[s.name] = s
    return out


SPECS: dict[str, Spec] = _discover()


def public_names() -> list[str]:
    """Every public function (aliases included): ``losses_xp.__all__`` without
    ``__version__``."""
    return sorted(n for n in losses_xp.__all__ if n not in losses_xp._NOT_LOSSES)
