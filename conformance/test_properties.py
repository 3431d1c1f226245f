"""Property-based fuzzing of every loss on the session's backend (hypothesis).

Every loss of the registry is called on random valid inputs drawn from its catalogue
entry's argument kinds (``conformance/_strategies.py``): random shapes (0-d, empty
batches, one element, odd sizes, the class axis anywhere), every floating dtype of the
backend, values over the dtype's finite range and every option.  One test function per
property, parametrized by loss, so that a failure names both:

1. finite value and gradient (torch, jax) for finite inputs; the mean of an empty batch
   (or of a batch whose every target is ignored) is NaN, as documented;
2. the output's library, namespace, device, dtype and shape are as promised; NumPy
   returns arrays (0-d ``ndarray``), never NumPy scalars;
3. ``sum == mean * count``, with the documented denominator;
4. permuting the batch leaves ``mean``/``sum`` unchanged and permutes ``none``;
5. the regression losses are 0 where the prediction equals the target;
6. the values agree with the NumPy backend (the NumPy session: with PyTorch);
7. a weight of ones equals no weight;
8. no ``RuntimeWarning`` for valid inputs (the empty mean included; an overflow to ±inf
   whose result is exact is not a defect, see ``_harmless``);
9. no negative values, not even ``-0.0`` (but PyTorch's own fused kernels' ``-0.0``;
   losses declared ``signed``, negative log-likelihoods, may be negative).

Hypothesis profiles (``conformance/conftest.py``; the active one is printed in the test
header, the number of examples run at the end): ``ci`` by default (derandomized: every
run draws the same examples, seeded per property, loss and device; its
``max_examples`` per loss and property scaled per backend by :data:`EXAMPLE_SHARE`),
``long`` with ``--hypothesis-profile=long`` (many examples, random seed).  Failures
found by the fuzzer are kept as explicit regression tests in ``test_extreme.py``.
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from losses_xp._declare import Declaration
from losses_xp._testing.backends import Backend, get_backend

from . import _strategies
from ._example import COMPUTE, Example
from ._strategies import EPS, examples
from .helpers import atol_scale, bind, to_backend
from .registry import SPECS, Spec, Tol

NAMES = sorted(SPECS)

#: examples per loss and property relative to the profile's ``max_examples``, per backend:
#: with the ci profile the whole file takes at most 60 s (120 s on JAX) on a 2-core machine.
#: NumPy and PyTorch are fast; array-api-strict runs on three devices; Dask builds and
#: computes a graph per call (25-40 ms); JAX eager compiles every operation for each new
#: shape and dtype (~50 ms each, ~60 per example)
EXAMPLE_SHARE = {"numpy": 3.0, "torch": 2.0, "array_api_strict": 1.0, "dask": 0.4,
                 "jax": 0.5}
#: ... and JAX's gradients (property 1): one jax.jit(jax.value_and_grad) compile per
#: example's shapes (property 1 on JAX: 20 s, 33 s with eager jax.grad, measured)
JAX_GRADIENT_SHARE = 0.3

#: examples run per property in this session (printed at the end)
EXAMPLES_RUN: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_example_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or not EXAMPLES_RUN:
        return
    per = ", ".join(f"{k} {v}" for k, v in sorted(EXAMPLES_RUN.items()))
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(
            f"\ntest_properties.py: {sum(EXAMPLES_RUN.values())} hypothesis examples "
            f"(profile {settings.get_current_profile_name()!r}): {per}")


# --------------------------------------------------------------------------- running


def _spec(name: str) -> tuple[Spec, Declaration]:
    spec = SPECS[name]
    if spec.entry.kinds is None:
        pytest.fail(f"{name} has no declaration: describe its arguments with @declare "
                    "so that it is fuzzed")
    return spec, spec.entry.kinds


def _fuzz(prop: str, name: str, bk: Backend, body: Callable[[st.DataObject], None]) -> None:
    """Run ``body`` on hypothesis data: the profile's example count scaled for ``bk``;
    under a derandomized profile, a seed of its own for each property, loss and device
    (else every test would draw from the same stream)."""
    share = EXAMPLE_SHARE.get(bk.name, 1.0)
    if bk.name == "jax" and prop == "finite":
        share = JAX_GRADIENT_SHARE
    profile = settings()  # (the loaded profile's values)

    @settings(max_examples=max(1, round(profile.max_examples * share)))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        EXAMPLES_RUN[prop] += 1
        body(data)

    key = f"{prop}:{name}:{bk.label}"
    # every test its own key in the example database (the long profile replays a failure
    # first), as the pytest plugin gives each parametrized test: else all would share
    # the key of this one function
    run.hypothesis.inner_test._hypothesis_internal_add_digest = key.encode()  # type: ignore[attr-defined]
    if profile.derandomize:
        run = seed(zlib.crc32(key.encode()))(run)
    run()


@dataclass
class Result:
    out: Any  # the native result (tuple outputs stacked)
    value: np.ndarray  # float64 (or int/bool) NumPy copy
    args: list[Any]
    warnings: list[str]


def _to_numpy(bk: Backend, x: Any) -> np.ndarray:
    if bk.name == "dask":  # (the synchronous scheduler: warnings stay in this thread)
        import dask

        with dask.config.set(scheduler="synchronous"):
            return bk.to_numpy(x)
    return bk.to_numpy(x)


def _run(bk: Backend, spec: Spec, ex: Example, reduction: str) -> Result:
    """Call the loss (Dask must stay lazy), with every RuntimeWarning recorded."""
    args, kwargs = to_backend(bk, ex.case, ex.dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        with bk.forbid_compute():
            out = spec.entry.call(*args, reduction=reduction, **kwargs)
        value = _to_numpy(bk, out)
    seen = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
            if issubclass(w.category, RuntimeWarning)]
    return Result(out, value, args, seen)


def _draw(data: st.DataObject, spec: Spec, bk: Backend, **kw: Any) -> Example:
    ex: Example = data.draw(examples(spec.entry, bk, **kw), label="example")
    return ex


def _close(got: np.ndarray, want: np.ndarray, tol: Tol, what: str, scale: float = 1.0) -> None:
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               rtol=tol.rtol, atol=tol.atol * scale, equal_nan=True,
                               err_msg=what)


def _atol_scale(kinds: Declaration, ex: Example, reduction: str) -> float:
    """The absolute tolerance's scale (``helpers.atol_scale``: the declared growth)."""
    return atol_scale(kinds, ex.input_scale(), ex.prediction.size, reduction)


# --------------------------------------------------------------------------- the catalogue


@pytest.mark.backend_independent
def test_every_loss_has_argument_kinds() -> None:
    """A loss of the registry without an argument description would not be fuzzed; the
    description must use the known kinds and name exactly the function's options."""
    problems = []
    for name in NAMES:
        entry = SPECS[name].entry
        if entry.kinds is None:
            problems.append(f"{name}: no Declaration")
            continue
        problems += [f"{name}: {p}" for p in entry.kinds.problems()]
        params = inspect.signature(entry.fn).parameters
        first = (2 if entry.kinds.target else 1) + len(entry.kinds.inputs)
        keywords = {n for n, p in list(params.items())[first:] if n != "reduction"}
        if set(entry.kinds.options) != keywords:
            problems.append(f"{name}: options {sorted(entry.kinds.options)} are not the "
                            f"function's {sorted(keywords)}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- 1. finite


@pytest.mark.parametrize("name", NAMES)
def test_finite_value_and_gradient(bk: Backend, name: str) -> None:
    spec, _ = _spec(name)
    entry = spec.entry

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk)
        for reduction in entry.reductions:
            r = _run(bk, spec, ex, reduction)
            if reduction == "mean" and ex.nan_mean():
                assert np.all(np.isnan(r.value)), (
                    f"{reduction}: the documented NaN of a zero denominator, got {r.value}")
            else:
                bad = ~np.isfinite(r.value)
                assert not np.any(bad), (
                    f"{reduction}: non-finite value {r.value} (first at "
                    f"{np.argwhere(bad)[0].tolist()})")
        if not (bk.autodiff and entry.differentiable):
            return
        reduction = data.draw(st.sampled_from(entry.reductions), label="gradient of")
        if reduction == "mean" and ex.nan_mean():
            # the gradient of a mean that is NaN by definition is not specified: 0 from
            # the generic formulas, NaN from PyTorch's fused NLL kernel for zero class
            # weights (docs/numerics.md)
            return
        args, kwargs = to_backend(bk, ex.case, ex.dtype)
        loss = bind(entry.call, kwargs, reduction)

        def scalar(*a: Any) -> Any:
            out = loss(*a)
            return bk.namespace_of(out).sum(out)

        _, grads = bk.value_and_grad(scalar, args, entry.differentiable, jit=True)
        for i, g in zip(entry.differentiable, grads, strict=True):
            bad = ~np.isfinite(g)
            assert not np.any(bad), (
                f"gradient of sum({reduction}) w.r.t. argument {i}: non-finite at "
                f"{np.argwhere(bad)[:4].tolist()}: {g[bad][:4]}")

    _fuzz("finite", name, bk, body)


# --------------------------------------------------------------------------- 2. output type


@pytest.mark.parametrize("name", NAMES)
def test_output_type_dtype_device_and_shape(bk: Backend, name: str) -> None:
    spec, _ = _spec(name)
    entry = spec.entry

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk)
        args, kwargs = to_backend(bk, ex.case, ex.dtype)
        like = args[0]
        for reduction in entry.reductions:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # (property 8's business)
                out = (entry.fn(*args, reduction=reduction, **kwargs) if entry.takes_reduction
                       else entry.fn(*args, **kwargs))
            outs = list(out) if entry.tuple_output else [out]
            shape = ex.none_shape() if reduction == "none" else ()
            for o in outs:
                what = f"{reduction}: a {type(o).__module__}.{type(o).__qualname__}"
                if bk.name == "numpy":
                    assert type(o) is np.ndarray, f"{what}, not a NumPy array (ndarray)"
                assert bk.is_native(o), f"{what}, not a {bk.name} array"
                assert bk.namespace_of(o) is bk.namespace_of(like), f"{what}: other namespace"
                assert bk.device_of(o) == bk.device_of(like), (
                    f"{what} on {bk.device_of(o)}, the input on {bk.device_of(like)}")
                assert bk.dtype_name(o) == ex.dtype, f"{what} of dtype {o.dtype}, not {ex.dtype}"
                assert tuple(o.shape) == shape, f"{what} of shape {tuple(o.shape)}, not {shape}"

    _fuzz("output", name, bk, body)


# --------------------------------------------------------------------------- 3. sum = mean * n


@pytest.mark.parametrize("name", NAMES)
def test_sum_is_mean_times_count(bk: Backend, name: str) -> None:
    spec, kinds = _spec(name)
    if not {"mean", "sum"} <= set(spec.entry.reductions):
        pytest.skip(f"{name} has no 'mean' and 'sum' reductions "
                    f"(only {', '.join(spec.entry.reductions)})")

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk)
        mean = _run(bk, spec, ex, "mean").value
        total = _run(bk, spec, ex, "sum").value
        count = ex.count()
        if count == 0.0 and not ex.nan_mean():  # (no anchor with a positive, no list
            # that ranks anything: units "anchor" and "list")
            assert mean == 0.0, f"nothing counts in the mean: {mean}, not 0"
            assert total == 0.0, f"nothing counts in the sum: {total}, not 0"
            return
        if count == 0.0:
            assert np.isnan(mean), f"mean of a zero denominator ({ex.unit}): {mean}, not NaN"
            # (with class weights of 0 the label-smoothing term can still add to the sum)
            if not ex.any_kept():
                assert total == 0.0, f"sum of nothing ({ex.unit}): {total}, not 0"
            return
        tol = spec.tol(ex.dtype)
        if ex.unit == "sequence":  # PyTorch's CTC mean: each value / max(its length, 1)
            none = _run(bk, spec, ex, "none").value
            _close(total, np.sum(none), tol, f"sum {total} vs sum(none)",
                   scale=_atol_scale(kinds, ex, "sum"))
            total = np.sum(none / np.maximum(np.asarray(ex.args[3], np.float64), 1.0))
        _close(mean * count, total, tol,
               f"mean {mean} * count {count} ({ex.unit}) vs sum {total}",
               scale=_atol_scale(kinds, ex, "sum"))

    _fuzz("sum=mean*count", name, bk, body)


# --------------------------------------------------------------------------- 4. permutation


@pytest.mark.parametrize("name", NAMES)
def test_batch_permutation(bk: Backend, name: str) -> None:
    spec, kinds = _spec(name)
    if kinds.prediction == "counts":
        pytest.skip(f"{name} takes one count per class: there is no batch to permute")

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk, batched=True)
        axes = ex.batch_axes()
        assert axes is not None
        n = ex.prediction.shape[axes["arg0"]]
        perm = data.draw(st.permutations(range(n)), label="permutation")
        moved = ex.permuted(perm)
        tol = spec.tol(ex.dtype)
        for reduction in spec.entry.reductions:
            got = _run(bk, spec, moved, reduction).value
            want = _run(bk, spec, ex, reduction).value
            if reduction == "none" and (ex.unit in ("element", "sample", "kept", "anchor",
                                                    "list", "sequence", "kept_image")
                                        or (ex.unit == "image" and ex.per_image())):
                ax = axes["arg0"] if ex.unit == "element" else 0
                want = np.take(want, np.asarray(perm, dtype=np.int64),
                               axis=ax + (1 if spec.entry.tuple_output else 0))
            _close(got, want, tol, f"{reduction} of the permuted batch",
                   scale=_atol_scale(kinds, ex, reduction))

    _fuzz("permutation", name, bk, body)


# --------------------------------------------------------------------------- 5. zero at target


@pytest.mark.parametrize("name", NAMES)
def test_zero_where_prediction_equals_target(bk: Backend, name: str) -> None:
    spec, kinds = _spec(name)
    if not kinds.zero_at_target:
        pytest.skip(f"{name} is not a distance between prediction and target "
                    "(zero at equality is the regression losses' definition)")

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk, equal=True)
        for reduction in spec.entry.reductions:
            if reduction == "mean" and ex.nan_mean():
                continue  # an empty batch: NaN (property 1)
            value = _run(bk, spec, ex, reduction).value
            assert np.all(value == 0.0), f"{reduction} at prediction == target: {value}"

    _fuzz("zero-at-target", name, bk, body)


# --------------------------------------------------------------------------- 6. cross-backend


def _reference(bk: Backend) -> Backend:
    """The backend the session's results are compared with: NumPy; PyTorch (installed
    everywhere as the oracle) in the NumPy session."""
    ref = get_backend("torch" if bk.name == "numpy" else "numpy")
    ref.load()
    return ref


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_reference_backend(bk: Backend, name: str) -> None:
    spec, kinds = _spec(name)
    ref = _reference(bk)
    dtypes = [d for d in bk.dtypes if d in ref.dtypes]

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk, dtypes=dtypes)
        # the two backends round the same intermediates differently by an ulp or two,
        # which a steep sigmoid (a `steepness` option L: A(p) = sigmoid(L (p - 1/2)))
        # magnifies up to L / 4 times: the fuzzer's float32 example at L = 756 differed
        # by 1.2e-5.  That is an absolute error of the output's own scale, c·4·eps of the
        # compute dtype times max(1, |result|), added to the table's tolerance: never a
        # multiplier of the tolerance itself (at L = 1e4 in float16 that made rtol 25)
        c = _strategies.condition(spec.entry, ex)
        tol = spec.tol(ex.dtype)
        eps = EPS[COMPUTE[ex.dtype]]
        for reduction in spec.entry.reductions:
            got = _run(bk, spec, ex, reduction).value
            want = _run(ref, spec, ex, reduction).value
            assert got.shape == want.shape, f"{reduction}: shape {got.shape} vs {want.shape}"
            finite = np.abs(want[np.isfinite(want)])
            size = max([1.0, *finite.ravel().tolist()]) if finite.size else 1.0
            scale = _atol_scale(kinds, ex, reduction)
            extra = (c - 1.0) * 4.0 * eps * size if c > 1.0 else 0.0
            _close(got, want, Tol(tol.rtol, tol.atol + extra / scale),
                   f"{reduction}: {bk.label} vs {ref.label}", scale=scale)

    _fuzz("cross-backend", name, bk, body)


# --------------------------------------------------------------------------- 7. ones


@pytest.mark.parametrize("name", NAMES)
def test_weight_of_ones_is_no_weight(bk: Backend, name: str) -> None:
    spec, kinds = _spec(name)
    options = [k for k, v in kinds.options.items() if v in _strategies.WEIGHT_KINDS]
    if not options:
        pytest.skip(f"{name} has no weight option")

    def body(data: st.DataObject) -> None:
        option = data.draw(st.sampled_from(options), label="option")
        ex = _draw(data, spec, bk, with_options=(option,))
        value = ex.kwargs[option]
        ones = ([1.0] * len(value) if isinstance(value, list) else
                1.0 if isinstance(value, (int, float)) else np.ones_like(value))
        with_ones = replace(ex, kwargs={**ex.kwargs, option: ones})
        without = replace(ex, kwargs={k: v for k, v in ex.kwargs.items() if k != option})
        tol = spec.tol(ex.dtype)
        for reduction in spec.entry.reductions:
            got = _run(bk, spec, with_ones, reduction).value
            want = _run(bk, spec, without, reduction).value
            _close(got, want, tol, f"{reduction} with {option} of ones vs without",
                   scale=_atol_scale(kinds, ex, reduction))

    _fuzz("ones", name, bk, body)


# --------------------------------------------------------------------------- 8. warnings


def _harmless(warning: str) -> bool:
    """An overflow to ±inf whose result is exact, e.g. γ · log σ(x) = -inf for a logit
    near the dtype's maximum (exp(-inf) = 0), or the shift x - max(x) of logits more than
    finfo.max apart (a probability of 0): an IEEE overflow, not a defect, which NumPy
    reports (docs/numerics.md).  Whether the result is right is properties 1 and 6."""
    return "overflow encountered" in warning


@pytest.mark.parametrize("name", NAMES)
def test_no_runtime_warnings(bk: Backend, name: str) -> None:
    spec, _ = _spec(name)

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk)
        for reduction in spec.entry.reductions:
            seen = [w for w in _run(bk, spec, ex, reduction).warnings if not _harmless(w)]
            assert not seen, f"{reduction}: " + "; ".join(seen)

    _fuzz("no-warnings", name, bk, body)


# --------------------------------------------------------------------------- 9. sign


def _pytorch_negative_zero(bk: Backend, spec: Spec, ex: Example, reduction: str) -> bool:
    """PyTorch's own fused class-index kernels (the fast path for validated class
    indices, ``reduction="none"``; the spec entries with ``torch_negative_zero``) return
    ``-0.0`` where -log p_y is 0: kept, as PyTorch's value; ``+ 0.0`` on their output would
    double the cost of a small batch (docs/numerics.md)."""
    return (bk.name == "torch" and spec.torch_negative_zero
            and reduction == "none" and ex.args[1].dtype.kind in "iu")


@pytest.mark.parametrize("name", NAMES)
def test_no_negative_values(bk: Backend, name: str) -> None:
    spec, kinds = _spec(name)
    if kinds.signed:
        pytest.skip(f"{name} can be negative (declared signed)")

    def body(data: st.DataObject) -> None:
        ex = _draw(data, spec, bk)
        for reduction in spec.entry.reductions:
            value = _run(bk, spec, ex, reduction).value
            with np.errstate(invalid="ignore"):
                negative = value < 0
                if not _pytorch_negative_zero(bk, spec, ex, reduction):
                    negative |= (value == 0) & np.signbit(value)
            assert not np.any(negative), (
                f"{reduction}: negative values (or -0.0) {value[negative][:4]} at "
                f"{np.argwhere(negative)[:4].tolist()}")

    _fuzz("non-negative", name, bk, body)


