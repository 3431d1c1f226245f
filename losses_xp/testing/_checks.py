"""The checks of the matrix: what one cell asserts, and which cells each check has.

Every cell runs with any ``RuntimeWarning`` as an error (an overflow in ``exp``, a
division by zero: a loss must not emit them at any input; the cases whose mean is NaN by
definition, an empty batch or every target ignored, may warn about their 0/0).

Each check is a function of one :class:`~losses_xp.testing._cells.Combo` (backend on a
device x spec x case x dtype x reduction) that returns when the cell passes, raises
``AssertionError`` (or the loss's own exception) when it fails and
:func:`~losses_xp.testing._cells.skip` when it does not apply.  :data:`CHECKS` lists them
with the cells they run on; the library's conformance suite (``conformance/test_*.py``),
:func:`losses_xp.testing.check` and :func:`losses_xp.testing.conformance` all run these
functions on the cells of :mod:`losses_xp.testing._matrix`.

``values``
    The result is an array of the input's library, namespace and device, in the input's
    floating dtype, of the oracle's shape, and equals the oracle (the tolerance table of
    ``losses_xp._testing.compare`` for the dtype).  On Dask the loss runs with computing
    forbidden and its shape must be static (:func:`~losses_xp.testing._cells.run`): a
    loss that computes or masks is not lazy.
``reductions``
    ``sum`` is the sum of ``none`` and, for an element-wise mean (unit ``element`` or
    ``sample``, no class weights, nothing ignored), ``mean`` its mean; for the library's
    own losses ``reduction="sum_and_count"`` gives ``(total, count)`` with ``total /
    count`` the mean (on NumPy also over two shards of the batch).
``grad``
    The gradient with respect to every differentiable argument equals the oracle's
    (PyTorch autograd; on JAX ``jax.jit(jax.value_and_grad)``), and JAX traces and
    compiles it in under :data:`JIT_GRAD_COMPILE_SECONDS`.
``compile``
    ``jax.jit`` / ``torch.compile(fullgraph=True)`` equals eager, warns about nothing, and
    on PyTorch a second call does not recompile.
``vmap``
    ``jax.vmap`` over the leading axis equals a loop over it (and under ``jax.jit``).
``extremes``
    At extreme inputs (logits of +-1e4, probabilities of exactly 0 and 1 ...) the value
    is finite, of the input's dtype, and equals the oracle where the oracle is finite.
``extreme_grad``
    The gradient at those inputs is finite (autodiff backends).
``host_sync``
    The loss never reads an array value on the host: traced by ``jax.jit`` and
    ``jax.jit(jax.grad)`` on abstract inputs (JAX), run forward and backward on PyTorch's
    ``meta`` device (no data exists), and on array-api-strict in its strictest mode on
    each of its devices (standard functions only; the result on the inputs' device).
    Dask's half is every ``values``/``extremes`` call (computing forbidden).

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._adapters import ARRAY_OPTIONS
from .._testing.backends import Backend
from .._testing.compare import Tol
from .._testing.inputs import Case
from ._cells import (
    Combo,
    assert_close,
    atol_scale,
    bind,
    case_tol,
    cotangent,
    expected_warnings,
    extreme_value,
    first_floating,
    grad_scale,
    oracle_grad,
    oracle_value,
    run,
    scalar_loss,
    skip,
    to_backend,
)
from ._host_sync import (
    IN_THE_MATRIX,
    NOT_HERE,
    Inputs,
    Seen,
    numpy_result,
    run_meta,
    run_strict,
    trace_jax,
)
from ._spec import Spec

__all__ = ["CHECKS", "JIT_GRAD_COMPILE_SECONDS", "Check"]

#: the most seconds one ``jax.jit(jax.value_and_grad(loss))`` may take to trace and
#: compile, on the conformance cases (a few hundred elements; 0.05-1 s measured on a
#: 2-core CPU, a CTC recursion of 200 steps 1.1 s): an order of magnitude of headroom
#: for slow CI machines, two below an unrolled loop's compile (542 s measured at 50
#: steps of a Python loop in the trace)
JIT_GRAD_COMPILE_SECONDS = 10.0


#: the smallest positive value of each floating dtype (its step at zero)
SMALLEST_SUBNORMAL = {"float16": 2.0**-24, "bfloat16": 2.0**-133, "float32": 2.0**-149,
                      "float64": 2.0**-1074}


def _not_differentiable(combo: Combo) -> None:
    if not combo.spec.entry.differentiable:
        skip(f"{combo.spec.name} is not differentiable (a metric or class weights): "
             "values only")


# --------------------------------------------------------------------------- values


def values(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = combo.parts
    out, args, _ = run(bk, spec, case, dtype, reduction)
    like = args[first_floating(case)]
    # a native array of the input's library, namespace, device and dtype
    assert bk.is_native(out), (f"result is a {type(out).__module__}.{type(out).__name__}, "
                               f"not a {bk.name} array")
    assert bk.namespace_of(out) is bk.namespace_of(like), "result namespace differs"
    assert bk.device_of(out) == bk.device_of(like), (
        f"result on {bk.device_of(out)}, input on {bk.device_of(like)}")
    assert bk.dtype_name(out) == dtype, f"result dtype {bk.dtype_name(out)}, expected {dtype}"
    want = oracle_value(spec, case, dtype, reduction)
    assert_close(bk.to_numpy(out), want, case_tol(spec, case, dtype),
                 f"{spec.name}[{case.name}] {dtype} {reduction} vs {spec.reference}")


# --------------------------------------------------------------------------- reductions

# the losses whose `sum` is not `mean`'s numerator: CTC's mean divides each sequence by its
# target length first (PyTorch's), and its `sum_and_count` gives that mean's parts
_PARTS_NOT_SUM = {"sequence"}


def reductions(combo: Combo) -> None:
    """``sum`` is the sum of ``none``; ``mean`` is its mean for element-wise losses."""
    bk, spec, case, dtype, _ = combo.parts
    tol = spec.tol(dtype)
    none = bk.to_numpy(run(bk, spec, case, dtype, "none")[0])
    total = bk.to_numpy(run(bk, spec, case, dtype, "sum")[0])
    assert total.shape == (), f"sum has shape {total.shape}"
    assert_close(total, np.sum(none), tol, "sum vs sum(none)",
                 atol_scale=max(1.0, float(none.size)))
    parts = (_ours(spec) and spec.decl.takes_reduction
             and (bk.name == "numpy" or dtype == "float32"))
    if spec.entry.mean_is_mean_of_none(case) or parts:
        mean = bk.to_numpy(run(bk, spec, case, dtype, "mean")[0])
    if spec.entry.mean_is_mean_of_none(case):
        with np.errstate(invalid="ignore"):
            expect = np.sum(none) / none.size if none.size else np.float64(np.nan)
        assert_close(mean, expect, tol, "mean vs mean(none)")
    if parts:
        _check_parts(combo, total, mean)


def _ours(spec: Spec) -> bool:
    """Whether the spec's function is one of this library's (``sum_and_count`` is theirs:
    a user's loss need not have it)."""
    return bool(spec.decl.fn.__module__.split(".")[0] == (__package__ or "").split(".")[0])


def _check_parts(combo: Combo, total: np.ndarray, mean: np.ndarray) -> None:
    """``reduction="sum_and_count"`` (every dtype on NumPy, float32 elsewhere):
    ``(total, count)`` with ``total`` the ``sum`` (but for :data:`_PARTS_NOT_SUM`) and
    ``total / count`` the ``mean``; on NumPy also split along the batch into two shards,
    whose parts added up give the whole batch's mean (what a distributed mean relies on:
    docs/frameworks/distributed.md).  A function that refuses it (a ``ValueError`` that
    says so) is left out; so is a user's loss (it need not have it)."""
    bk, spec, case, dtype, _ = combo.parts
    tol = spec.tol(dtype)
    refused = ""
    try:
        parts = run(bk, spec, case, dtype, "sum_and_count")[0]
    except ValueError as exc:  # a loss of the pooled batch: no parts (the message says)
        refused = str(exc)
    if refused:
        assert "sum_and_count'` is not available" in refused, refused
        return
    assert isinstance(parts, tuple), type(parts)
    assert len(parts) == 2, len(parts)
    got_total, count = (bk.to_numpy(p) for p in parts)
    assert got_total.shape == (), got_total.shape
    assert count.shape == (), count.shape
    assert bk.dtype_name(parts[0]) == dtype, f"total dtype {parts[0].dtype}"
    if spec.entry.decl.unit not in _PARTS_NOT_SUM:
        assert_close(got_total, total, tol, "sum_and_count's total vs sum")
    if count > 0:
        assert_close(got_total / count, mean, tol, "total / count vs mean")
    if bk.name == "numpy":
        _check_shards(combo, mean)


def _check_shards(combo: Combo, mean: np.ndarray) -> None:
    """The parts of ``[:1]`` and ``[1:]`` of the batch (axis 0) added up: the mean of
    the whole batch.  Cases whose axis 0 is not the batch (the class axis, CTC's time
    axis) or that have no batch of 2 are left out."""
    spec, case, dtype = combo.spec, combo.case, combo.dtype
    decl = spec.entry.decl
    args, kwargs = to_backend(combo.bk, case, dtype)
    n = args[0].shape[0] if args[0].ndim else 0
    axis = kwargs.get("axis", -1)
    levels = any(decl.options.get(k) == "quantile" and not isinstance(v, float)
                 for k, v in kwargs.items())  # (a 1-d prediction is then Q levels)
    if (n < 2 or kwargs.get("time_axis", 1) == 0 or decl.unit == "anchor"
            or (levels and args[0].ndim < 2)
            or (decl.class_axis != "none" and axis is not None
                and axis % args[0].ndim == 0)):
        return

    def split(value: object, name: str, part: slice) -> object:
        kind = decl.options.get(name, "")
        right = kind in ("element_weight", "pos_weight")  # (broadcast from the right)
        if (isinstance(value, np.ndarray) and value.ndim and value.shape[0] == n
                and (kind not in ARRAY_OPTIONS or right)
                and (not right or value.ndim == args[0].ndim)):
            return value[part]
        return value
    totals, counts = [], []
    for part in (slice(0, 1), slice(1, None)):
        shard = [split(a, "", part) for a in args]
        options = {k: split(v, k, part) for k, v in kwargs.items()}
        with expected_warnings(case):
            t, c = spec.entry.call(*shard, reduction="sum_and_count", **options)
        totals.append(float(t))
        counts.append(float(c))
    if sum(counts) > 0:
        assert_close(np.float64(sum(totals) / sum(counts)), mean, spec.tol(dtype),
                     "parts of two shards vs the whole batch's mean")


# --------------------------------------------------------------------------- gradients


def gradient(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = combo.parts
    _not_differentiable(combo)
    args, kwargs = to_backend(bk, case, dtype)
    fn = scalar_loss(bk, spec, case, dtype, reduction, kwargs)
    seconds: list[float] = []
    with expected_warnings(case):
        value, grads = bk.value_and_grad(fn, args, spec.entry.differentiable,
                                         jit=True, compile_seconds=seconds)
    assert not seconds or seconds[0] <= JIT_GRAD_COMPILE_SECONDS, (
        f"jax.jit(jax.value_and_grad({spec.name})) took {seconds[0]:.1f} s to trace and "
        f"compile [{case.name}] {dtype} {reduction}: over {JIT_GRAD_COMPILE_SECONDS} s (a "
        "Python loop unrolled into the trace? see _primitives.scan)")
    if reduction != "none":
        assert_close(value, oracle_value(spec, case, dtype, reduction),
                     case_tol(spec, case, dtype), "value from value_and_grad")
    else:
        # the scalarised value <none, v> (v: the fixed cotangent), against the oracle's:
        # with JAX's jit this checks the compiled forward of every element, which is why
        # the compile check does not compile these cases again on JAX
        per = oracle_value(spec, case, dtype, "none")
        weighted = per * cotangent(case, per.shape, dtype)
        assert_close(value, np.sum(weighted), case_tol(spec, case, dtype),
                     "<none, cotangent> from value_and_grad",
                     atol_scale=max(1.0, float(np.sum(np.abs(weighted)))))
    want = oracle_grad(spec, case, dtype, reduction)
    tol = case_tol(spec, case, dtype)
    # (nor closer than the dtype's smallest step at zero: a gradient that is exactly 0
    # in theory is rounding noise of ~1e-21 in the float64 oracle and 0 in float16)
    floor = SMALLEST_SUBNORMAL[dtype] / tol.atol if tol.atol else 0.0
    for i, (g, w) in zip(spec.entry.differentiable, zip(grads, want, strict=True), strict=True):
        assert_close(g, w, Tol(tol.rtol, tol.atol), f"d{spec.name}/d(arg {i}) "
                     f"[{case.name}] {dtype} {reduction} vs {spec.grad_method}",
                     atol_scale=max(grad_scale(w), floor))


# --------------------------------------------------------------------------- compile


def _compile_case_names(combo: Combo) -> set[str]:
    cases = combo.spec.value_cases()
    # (the first case where there is no 2-D one: a loss of 1-d class counts)
    first_2d = next((c.name for c in cases if "2d" in c.tags and c.grad), cases[0].name)
    richest = max(cases, key=lambda c: (len(c.kwargs), len(c.tags))).name
    return {first_2d, richest}


def _compiled_selection(c: Combo) -> bool:
    """JAX compiles quickly: every full-precision value case with ``reduction`` ``mean``
    or ``none`` (of those the matrix pairs) but those that the ``grad`` check compiles
    already (under ``jax.jit(jax.value_and_grad)``, against the oracle: a second compile
    of the same forward), and the cells of :func:`_compiled_cells`."""
    if c.reduction not in ("mean", "none") or c.dtype not in ("float32", "float64"):
        return False
    return not (c.spec.entry.differentiable and c.case.grad) or (
        c.dtype == "float32" and c.case.name in _compile_case_names(c))


def _compiled_cells(spec: Spec, bk: Backend) -> list[Combo] | None:
    """Compiling is slow elsewhere (``torch.compile``'s inductor backend generates and
    builds C++ on the CPU): one cell per loss, whatever the matrix: the case with the most
    options (every code path its options open) in float32 with ``mean`` (the first
    reduction it has where it has no ``mean``); ``None`` on JAX (:func:`_compiled_selection`)."""
    if bk.name == "jax" or "float32" not in bk.dtypes:
        return None
    cases = [c for c in spec.value_cases() if c.applies_to("float32")
             and spec.entry.reductions_for(c)]
    if not cases:
        return []
    richest = max(cases, key=lambda c: (len(c.kwargs), len(c.tags)))
    reductions = spec.entry.reductions_for(richest)
    return [Combo(bk, spec, richest, "float32", "mean" if "mean" in reductions
                  else reductions[0])]


#: the start of Dynamo's notice about a functools.lru_cache'd function it traces
_LRU_NOTICE = "Dynamo detected a call to a `functools.lru_cache`-wrapped function"


def _source_file(spec: Spec) -> str:
    try:
        return inspect.getfile(spec.decl.fn)
    except TypeError:  # pragma: no cover - a builtin
        return spec.decl.fn.__module__


def compiled(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = combo.parts
    eager = bk.to_numpy(run(bk, spec, case, dtype, reduction)[0])
    args, kwargs = to_backend(bk, case, dtype)
    if bk.name == "torch":
        import torch._dynamo

        torch._dynamo.reset()  # every cell compiles a fresh function: no recompile limit
    fn = bk.compile(bind(spec.entry.call, kwargs, reduction))
    with warnings.catch_warnings(record=True) as seen, expected_warnings(case):
        warnings.simplefilter("always")
        out = fn(*args)
    # a user's compile is silent: no warning that Python's default filters show (e.g.
    # Dynamo warns on every functools.lru_cache'd function it traces). Hidden by default,
    # and so not counted: a library's own DeprecationWarnings (PyTorch's inductor imports
    # deprecated torch.jit modules on its first compile); the loss's own are counted.
    # Also not: the NaN-by-definition cases' 0/0 RuntimeWarning, which eager NumPy gives.
    # A user's loss (not this library's) is also not held to Dynamo's notices about the
    # functools.lru_cache'd functions of other libraries that it calls (array-api-compat's
    # array_namespace, whose caches this library avoids under torch.compile: _compat.py):
    # not the loss's to fix; a notice about its own source file counts.
    hidden = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
    own = spec.decl.fn.__module__.split(".")[0]
    source = _source_file(spec)
    noise = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in seen
             if not ("nan-mean" in case.tags and issubclass(w.category, RuntimeWarning))
             and not (issubclass(w.category, hidden) and own not in w.filename)
             and not (not _ours(spec) and _LRU_NOTICE in str(w.message)
                      and source not in str(w.message))]
    assert not noise, f"compiling {spec.name} warned:\n" + "\n".join(noise)
    assert bk.is_native(out), f"compiled result is a {type(out).__module__}.{type(out).__name__}"
    assert bk.dtype_name(out) == dtype, f"compiled result dtype {bk.dtype_name(out)}"
    assert_close(bk.to_numpy(out), eager, case_tol(spec, case, dtype),
                 f"{spec.name}[{case.name}] compiled vs eager ({dtype}, {reduction})")
    if bk.name == "torch":
        # a second call on the same inputs must reuse the graph: a loss that mutates
        # state while traced (a global counter, a cache) makes Dynamo recompile on
        # every call (~150 ms each; an error once the recompile limit is hit)
        import torch._dynamo

        with torch._dynamo.config.patch(error_on_recompile=True), expected_warnings(case):
            fn(*args)


def _vmap_case(c: Combo) -> str | None:
    """The first 2-D case without array-valued options: vmapped over its rows."""
    for case in c.spec.value_cases():
        if "2d" in case.tags and case.grad and not any(isinstance(v, np.ndarray)
                                                       for v in case.kwargs.values()):
            return case.name
    return None


def vmap(combo: Combo) -> None:
    """``jax.vmap`` over the leading axis equals a loop of eager calls on each row."""
    import jax
    import jax.numpy as jnp

    bk, spec, case, dtype, reduction = combo.parts
    args, kwargs = to_backend(bk, case, dtype)
    fn = bind(spec.entry.call, kwargs, reduction)
    batched = jax.vmap(fn)(*args)
    rows: list[Any] = [fn(*(a[i] for a in args)) for i in range(args[0].shape[0])]
    assert_close(bk.to_numpy(batched), bk.to_numpy(jnp.stack(rows)), spec.tol(dtype),
                 f"{spec.name}[{case.name}] vmap vs loop ({reduction})")
    jitted = jax.jit(jax.vmap(fn))(*args)
    assert_close(bk.to_numpy(jitted), bk.to_numpy(batched), spec.tol(dtype), "jit(vmap)")


# --------------------------------------------------------------------------- extremes


def extreme_value_is_finite(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = combo.parts
    result = run(bk, spec, case, dtype, reduction)[0]
    assert bk.dtype_name(result) == dtype, f"result dtype {bk.dtype_name(result)}"
    out = bk.to_numpy(result)
    assert np.all(np.isfinite(out)), f"non-finite loss {out} at {case.name} in {dtype}"
    want = extreme_value(spec, case, dtype, reduction)
    if want is not None and np.all(np.isfinite(want)):
        # a loss of logits ~1e4 is only known to ~ulp(1e4) (1e-3 in float32): the
        # absolute tolerance follows the declared growth with the inputs' magnitude (a
        # bounded loss: none) and the summed count
        scale = max([1.0] + [float(np.max(np.abs(a[np.isfinite(a)])))
                             for a in case.args if a.dtype.kind == "f" and a.size])
        assert_close(out, want, spec.tol(dtype), f"{spec.name}[{case.name}] vs oracle",
                     atol_scale=atol_scale(spec.decl, scale, case.args[0].size, reduction))


def extreme_gradient_is_finite(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = combo.parts
    _not_differentiable(combo)
    args, kwargs = to_backend(bk, case, dtype)
    fn = scalar_loss(bk, spec, case, dtype, reduction, kwargs)
    with expected_warnings(case):
        value, grads = bk.value_and_grad(fn, args, spec.entry.differentiable, jit=True)
    assert np.isfinite(value), f"non-finite value {value} at {case.name} in {dtype}"
    for i, g in zip(spec.entry.differentiable, grads, strict=True):
        assert np.all(np.isfinite(g)), (
            f"non-finite gradient of argument {i} at {case.name} in {dtype}: {g}")


# --------------------------------------------------------------------------- host sync

#: the floating dtypes of the host-sync check where not all of its backend's (JAX:
#: float32 and float64; half precision runs the float32 code on cast inputs)
HOST_SYNC_DTYPES: dict[str, tuple[str, ...]] = {"jax": ("float32", "float64")}

# What a trace or a meta run saw, by the call's abstract signature: neither sees a value,
# so two cases with the same shapes, dtypes and static options (a value case and an
# extreme case, often) run the very same program, which is traced only once.
_SEEN: dict[tuple[Any, ...], Seen] = {}


def _expect(seen: Seen, want: np.ndarray, dtype: str, case: Case,
            differentiable: Sequence[int], what: str) -> None:
    assert seen.dtype == dtype, f"{what}: result dtype {seen.dtype}, expected {dtype}"
    assert seen.shape == want.shape, f"{what}: shape {seen.shape}, NumPy's {want.shape}"
    for i in differentiable:
        shape = tuple(case.args[i].shape)
        assert seen.grads[i] == (shape, dtype), (
            f"{what}: gradient of argument {i} is {seen.grads[i]}, expected {(shape, dtype)}")


def _signature(bk: Backend, combo: Combo, reduction: str) -> tuple[Any, ...]:
    inputs = Inputs.of(combo.case)
    arrays = tuple((a.shape, inputs.dtype_of(a, combo.dtype)) for a in inputs.arrays)
    return (bk.label, id(combo.spec), reduction, arrays, inputs.array_options,
            repr(sorted(inputs.static.items())))


def host_sync(combo: Combo) -> None:
    """Every reduction of one case in one dtype, in the backend's mode where no value
    exists or may be read."""
    bk, spec, case, dtype = combo.bk, combo.spec, combo.case, combo.dtype
    fn = spec.entry.call
    diff = spec.entry.differentiable
    for reduction in spec.entry.reductions_for(case):
        what = f"{spec.name}[{case.name}] {dtype} {reduction} on {bk.label}"
        want = numpy_result(spec, case, "float64", reduction)  # (its shape is compared)
        if bk.name == "array_api_strict":  # eager: it sees the values, run every case
            _expect(run_strict(bk, fn, case, dtype, reduction), want, dtype, case, (), what)
            continue
        key = _signature(bk, combo, reduction)
        if key not in _SEEN:
            mode = trace_jax if bk.name == "jax" else run_meta
            _SEEN[key] = mode(bk, fn, case, dtype, reduction, diff)
        _expect(_SEEN[key], want, dtype, case, diff, what)


# --------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class Check:
    """A check and its cells.

    ``cases``: ``"values"``, ``"extreme"`` or ``"both"``; ``needs``: what the backend must
    have (:data:`losses_xp.testing._matrix.NEEDS`), else the check is skipped there with
    the reason; ``select``: which of the cells it runs (default: all);
    ``per_reduction`` False: one cell per case and dtype, every reduction in it;
    ``not_here``: backend -> why the check does not run there; ``pick``: the cells of
    a spec on a backend, chosen whatever the matrix (``None`` from it: the usual ones).
    """

    name: str
    run: Callable[[Combo], None]
    what: str
    cases: str = "values"
    needs: str | None = None
    select: Callable[[Combo], bool] | None = None
    per_reduction: bool = True
    dtypes: dict[str, tuple[str, ...]] | None = None
    not_here: dict[str, str] | None = None
    pick: Callable[[Spec, Backend], list[Combo] | None] | None = None


CHECKS: dict[str, Check] = {c.name: c for c in (
    Check("values", values, "library, namespace, device, dtype, shape and value vs oracle"
          " (Dask: lazy, static shape)"),
    Check("reductions", reductions, "sum = sum(none); mean = mean(none); sum_and_count",
          select=lambda c: c.reduction == "sum"),
    Check("grad", gradient, "gradient vs oracle (torch autograd; jax.jit(jax.grad))",
          needs="autodiff", select=lambda c: c.case.grad),
    Check("compile", compiled, "jax.jit / torch.compile(fullgraph=True) = eager, silent, "
          "no recompile", needs="compile", select=_compiled_selection, pick=_compiled_cells),
    Check("vmap", vmap, "jax.vmap over the batch = a loop", needs="vmap",
          select=lambda c: c.dtype == "float32" and c.case.name == _vmap_case(c)),
    Check("extremes", extreme_value_is_finite, "finite value at extreme inputs (and the "
          "oracle's where finite); Dask: lazy", cases="extreme"),
    Check("extreme_grad", extreme_gradient_is_finite, "finite gradient at extreme inputs",
          cases="extreme", needs="autodiff"),
    Check("host_sync", host_sync, "no host read: jax.jit/jax.grad trace, torch meta "
          "device, array-api-strict strict mode on every device", cases="both",
          per_reduction=False, dtypes=HOST_SYNC_DTYPES, not_here={**NOT_HERE, **IN_THE_MATRIX}),
)}
