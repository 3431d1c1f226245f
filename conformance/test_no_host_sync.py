"""No loss reads an array value on the host (the kit's ``host_sync`` check,
``losses_xp/testing/_checks.py``, on the catalogue): every loss, every case, every reduction,
in each backend's mode where values do not exist or cannot be read.

A loss that calls ``float``/``bool``/``.item()`` on an array, branches in Python on an
array value, indexes with a boolean mask or makes a shape depend on the data works on
NumPy and fails, or forces a device synchronisation, everywhere else.  Each session
runs every value case and every extreme case of the registry, every reduction, in the
mode of its library that makes such a loss fail:

* **jax** (float32, float64): ``jax.jit(loss)`` and ``jax.jit(jax.grad(sum of loss))``
  traced with ``jax.eval_shape`` on ``ShapeDtypeStruct`` inputs (options included):
  every array is an abstract tracer, so any host read raises.  Tracing is all that is
  needed (``test_compile.py`` compiles and checks values) and ~8x cheaper than a
  compile (a forward loss: 9 ms traced, 74 ms compiled, measured).  Under
  ``jax.transfer_guard("disallow")``, which on the CPU catches nothing here (CPU arrays
  are host memory: reading one is no transfer, and a trace transfers nothing), but on
  a GPU or TPU also refuses a host read of a concrete array the loss made itself.
* **torch**: tensors on the ``meta`` device (shapes and dtypes, no data: ``.item()``,
  ``float``, ``bool``, ``nonzero`` raise), forward and backward, every floating dtype;
  the result is a ``meta`` tensor of the promised dtype and of the NumPy result's shape.
* **dask**: not here: every Dask call of the matrix (``losses_xp.testing._cells.run``:
  test_values.py, test_extreme.py) builds the graph with computing forbidden
  (``Backend.forbid_compute``)
  and requires a static shape (a boolean mask or ``nonzero`` gives NaN dimensions
  lazily); those tests then compute it outside the loss and compare it with the oracle.
* **array_api_strict**: the strictest flags (``conftest._resolve``: the newest released
  standard, no extensions, no boolean indexing, no data-dependent shapes) on each device
  of the session; the result lives on the inputs' device.  array-api-strict cannot
  forbid ``float``/``bool`` on a 0-d array, and the eager value checks read values there
  on purpose (``_compat.values_readable``): it proves the standard-only, device-clean
  half; jax, torch and dask prove the no-read half.
* **numpy**: eager only, nothing to prove: skipped, saying where it is proven.

The harness itself is tested (``test_no_host_sync_harness.py``): a loss that reads a
value, branches on one, masks or calls ``nonzero`` must fail in each mode, and a clean
one pass.
"""

from __future__ import annotations

import pytest

from losses_xp.testing._checks import CHECKS
from losses_xp.testing._run import run_cell

from .helpers import Combo


@pytest.mark.matrix(check="host_sync")
def test_no_host_sync(point: Combo) -> None:
    """Every reduction of one case in one dtype (one cell: ``point``, so that these
    tests keep their file order rather than join the matrix's shape groups)."""
    run_cell(CHECKS["host_sync"], point)
