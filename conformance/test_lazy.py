"""Dask: every loss builds a lazy graph (computing inside the loss raises) whose
computed value equals the eager NumPy value in the same dtype."""

from __future__ import annotations

import pytest

from losses_xp._testing.backends import get_backend

from .helpers import Combo, assert_close, run


@pytest.mark.matrix(cases="values", needs="lazy")
def test_dask_stays_lazy_and_matches_numpy(combo: Combo) -> None:
    import dask.array as da

    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    out = run(bk, spec, case, dtype, reduction)[0]  # under Backend.forbid_compute()
    assert isinstance(out, da.Array), f"expected a lazy dask array, got {type(out)}"
    np_bk = get_backend("numpy")
    eager = np_bk.to_numpy(run(np_bk, spec, case, dtype, reduction)[0])
    assert_close(bk.to_numpy(out), eager, spec.tol(dtype),
                 f"{spec.name}[{case.name}] dask vs numpy ({dtype}, {reduction})")
