"""The one tolerance table and the one ``assert_close`` of the project's tests.

:data:`TOLERANCES` is what a result of losses_xp must meet against an independent
float64 oracle in each dtype (the conformance suite, the unit tests).  Two tools use
multiples of it, stated where they are used: ``python -m losses_xp check`` compares a
backend with losses_xp's own NumPy result (the same formulas: :data:`SAME_CODE`), and
``python -m losses_xp bench`` compares losses_xp with a framework's own loss in float32
on large random inputs (:data:`BENCH`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BENCH", "SAME_CODE", "TOLERANCES", "Tol", "assert_close"]


@dataclass(frozen=True)
class Tol:
    """``|got - want| <= atol + rtol * |want|`` element-wise (NumPy's ``assert_allclose``).

    Gradients use ``rtol`` and ``atol * max|oracle gradient|`` (an absolute tolerance
    relative to the gradient's scale: a mean over N elements has gradients of 1/N).
    """

    rtol: float
    atol: float


#: The one tolerance table.  float64: 1e-6 relative.  float32: a few ulps of every
#: intermediate (1e-5 relative) plus an absolute floor for cancellations such as
#: ``logsumexp(x) - x[y]`` when the loss is ~1e-4.  Half precision is computed in
#: float32 and rounded once to the output dtype (bfloat16 keeps 8 significant bits:
#: 4e-3 relative), but the gradient's backward pass runs partly in the half dtype.
TOLERANCES: dict[str, Tol] = {
    "float64": Tol(rtol=1e-6, atol=1e-12),
    "float32": Tol(rtol=1e-5, atol=1e-6),
    "float16": Tol(rtol=1e-2, atol=1e-3),
    "bfloat16": Tol(rtol=2e-2, atol=1e-2),
}

#: ``check``: a backend against losses_xp's NumPy result on the same inputs.  The same
#: formulas in another library differ by rounding only: float64 is held 1000 times
#: tighter than against an oracle (1e-9); float32 at the table's relative tolerance.
#: ``atol`` here is the floor of the deviation's denominator, relative to the largest
#: input (see ``losses_xp._check``).
SAME_CODE: dict[str, Tol] = {
    "float64": Tol(rtol=TOLERANCES["float64"].rtol * 1e-3, atol=1e-3),
    "float32": Tol(rtol=TOLERANCES["float32"].rtol, atol=1e-1),
}

#: ``bench``: losses_xp against the framework's own loss (float32, up to 1e7 elements):
#: ``max |ours - native| <= rtol * max |native|``, ten times the float32 table value
#: (a sum over 1e7 float32 terms in another order).
BENCH = Tol(rtol=10 * TOLERANCES["float32"].rtol, atol=0.0)


def assert_close(got: Any, want: Any, tol: Tol, what: str, *, atol_scale: float = 1.0,
                 bk: Any = None, like: Any = None, dtype: str | None = None) -> None:
    """``got`` equals ``want`` within ``tol`` (NaN equals NaN), shapes equal.

    With a backend ``bk`` (``losses_xp._testing.backends.Backend``), ``got`` is that
    backend's array: it must be an array of the backend's library, of ``dtype`` (when
    given), and, with ``like`` (an input), in ``like``'s namespace and on its device;
    it is then read back as float64.  ``atol_scale`` multiplies the absolute tolerance
    (a loss of inputs ~x is only known to ~ulp(x)).
    """
    if bk is not None:
        name = f"{type(got).__module__}.{type(got).__qualname__}"
        assert bk.is_native(got), f"{what}: a {name}, not a {bk.name} array"
        if like is not None:
            assert bk.namespace_of(got) is bk.namespace_of(like), (
                f"{what}: a result of another namespace than the input's")
            assert bk.device_of(got) == bk.device_of(like), (
                f"{what}: result on {bk.device_of(got)}, input on {bk.device_of(like)}")
        if dtype is not None:
            assert bk.dtype_name(got) == dtype, f"{what}: dtype {got.dtype}, expected {dtype}"
        got = bk.to_numpy(got)
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    assert g.shape == w.shape, f"{what}: shape {g.shape}, expected {w.shape}"
    np.testing.assert_allclose(g, w, rtol=tol.rtol, atol=tol.atol * atol_scale,
                               equal_nan=True, err_msg=what)
