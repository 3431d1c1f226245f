"""A loss whose very first call is compiled: ``torch.compile(fullgraph=True)`` / ``jax.jit``.

The rest of the suite calls every loss eagerly before compiling it, which fills the
package's per-type namespace cache outside any trace.  A user's training step may be
compiled before any eager call: on PyTorch 2.3 and 2.4 that first call failed under
``fullgraph=True`` (Dynamo there cannot trace array-api-compat's namespace helpers) until
``_compat`` recognised tensors itself.  Each backend runs in a fresh interpreter, so
nothing has been called before.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from losses_xp._testing.backends import Backend

ROOT = Path(__file__).resolve().parent.parent

PROGRAMS = {
    "torch": """
        import torch
        import losses_xp as lx
        x = torch.randn(6, 5)
        y = torch.randint(0, 5, (6,))
        f = torch.compile(lambda a, b: (lx.cross_entropy(a, b, label_smoothing=0.1)
                                        + lx.mse_loss(a, a * 0.5)
                                        + lx.sigmoid_focal_loss(a, (a > 0).float())),
                          fullgraph=True)
        got = f(x, y)
        want = (lx.cross_entropy(x, y, label_smoothing=0.1) + lx.mse_loss(x, x * 0.5)
                + lx.sigmoid_focal_loss(x, (x > 0).float()))
        torch.testing.assert_close(got, want)
        print("ok")
    """,
    "jax": """
        import jax, jax.numpy as jnp
        import losses_xp as lx
        x = jax.random.normal(jax.random.PRNGKey(0), (6, 5))
        y = jnp.arange(6) % 5
        f = jax.jit(lambda a, b: (lx.cross_entropy(a, b, label_smoothing=0.1)
                                  + lx.mse_loss(a, a * 0.5)
                                  + lx.sigmoid_focal_loss(a, (a > 0).astype(a.dtype))))
        got = f(x, y)
        want = (lx.cross_entropy(x, y, label_smoothing=0.1) + lx.mse_loss(x, x * 0.5)
                + lx.sigmoid_focal_loss(x, (x > 0).astype(x.dtype)))
        assert abs(float(got) - float(want)) <= 1e-5 * abs(float(want)), (got, want)
        print("ok")
    """,
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_first_call_of_a_loss_is_compiled(bk: Backend) -> None:
    if bk.name not in PROGRAMS:
        pytest.skip(f"{bk.name} has no compiler: checked on torch and jax")
    # (cwd: `python -c` imports losses_xp from where the rest of the suite does)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(PROGRAMS[bk.name])],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
