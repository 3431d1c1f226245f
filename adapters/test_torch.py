"""``losses_xp.torch``: the generated ``nn.Module`` classes inside PyTorch.

* every adapted declaration has its class, and each module computes exactly its function
  on the conformance specs' value cases, options routed to the constructor or the call;
* a model trained with ``CrossEntropyLoss(weight=, ignore_index=)`` follows the one
  trained with ``torch.nn.CrossEntropyLoss`` (float64, 1e-10), eagerly and under
  ``torch.compile(fullgraph=True)``;
* checkpoints (``state_dict``, ``torch.save`` / ``torch.load(weights_only=True)``) and
  ``.half()`` / ``.double()`` / ``.to("meta")`` carry the buffers;
* the DDP recipe of ``docs/frameworks/pytorch.md`` (``adapters/ddp_torch.py``): two
  gloo processes, ``reduction="sum_and_count"``, with and without gradient accumulation,
  equal the single process on the concatenated batch.
"""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

import losses_xp as lx
import losses_xp.torch as lxt
from adapters import ddp_torch
from losses_xp._adapters import adapted, class_name, option_roles

# --------------------------------------------------------------------------- generated classes


def test_every_adapted_declaration_has_its_class() -> None:
    expected = {}
    for name, decl in adapted().items():
        expected[class_name(name)] = (decl, name)
        expected.update({class_name(alias): (decl, alias) for alias in decl.aliases})
    assert set(lxt.CLASSES) == set(expected)
    assert lxt.__all__ == ["CLASSES", "LossModule", *sorted(expected)]
    for cls_name, (decl, name) in expected.items():
        cls = getattr(lxt, cls_name)
        assert cls.__name__ == cls_name
        assert cls.declaration is decl
        assert issubclass(cls, lxt.LossModule)
        assert issubclass(cls, torch.nn.Module)
        if name != decl.name:  # an alias: a subclass of the function's class
            assert cls.__bases__ == (getattr(lxt, class_name(decl.name)),)
        # the constructor's keywords: the function's options and defaults, and reduction
        scalars, arrays, per_call = option_roles(decl)
        params = inspect.signature(decl.fn).parameters
        signature = inspect.signature(cls).parameters
        assert list(signature) == [k for k in params if k in scalars or k in arrays
                                   ] + ["reduction"]
        assert all(signature[k].default == params[k].default for k in list(signature)[:-1])
        assert cls._per_call == tuple(per_call)
        assert cls.__doc__.startswith(lxt._summary(decl.fn))
        assert f":func:`losses_xp.{decl.name}`" in cls.__doc__


def test_torch_names() -> None:
    """The names a PyTorch user looks for."""
    for ours, theirs in [("CrossEntropyLoss", "CrossEntropyLoss"), ("NLLLoss", "NLLLoss"),
                         ("KLDivLoss", "KLDivLoss"), ("MSELoss", "MSELoss"),
                         ("L1Loss", "L1Loss"), ("SmoothL1Loss", "SmoothL1Loss"),
                         ("HuberLoss", "HuberLoss"), ("CTCLoss", "CTCLoss"),
                         ("TripletMarginLoss", "TripletMarginLoss"),
                         ("MultiMarginLoss", "MultiMarginLoss"),
                         ("PoissonNLLLoss", "PoissonNLLLoss"),
                         ("GaussianNLLLoss", "GaussianNLLLoss"),
                         ("BinaryCrossEntropyWithLogitsLoss", "BCEWithLogitsLoss")]:
        assert hasattr(lxt, ours)
        assert hasattr(torch.nn, theirs)
    assert lxt.SigmoidFocalLoss.declaration.name == "sigmoid_focal_loss"
    assert lxt.AnyLoss.declaration.name == "any_loss"
    assert issubclass(lxt.MAELoss, lxt.L1Loss)
    assert lxt.MAELoss().__class__.__name__ == "MAELoss"



# --------------------------------------------------------------------------- module == function


def _tensor(value: Any) -> Any:
    """A case's array (NumPy array or list) as a tensor of its dtype; the rest as is."""
    if isinstance(value, (np.ndarray, list)):
        return torch.from_numpy(np.array(value))
    return value


def _cases(name: str) -> list[Any]:
    """The first value case of the loss's spec, and each case that passes an option
    that no earlier chosen case passed (so that every option the spec exercises is routed
    at least once)."""
    from conformance.registry import SPECS

    cases = SPECS[name].entry.cases(np.random.default_rng(0))
    chosen, seen = [cases[0]], set(cases[0].kwargs)
    for case in cases[1:]:
        if set(case.kwargs) - seen:
            chosen.append(case)
            seen |= set(case.kwargs)
    return chosen


@pytest.mark.parametrize("name", list(adapted()))
def test_module_equals_function(name: str) -> None:
    decl = adapted()[name]
    scalars, arrays, per_call = option_roles(decl)
    cls = getattr(lxt, class_name(name))
    entry_reductions = decl.reductions
    for case in _cases(name):
        args = [_tensor(a) for a in case.args]
        kwargs = {k: _tensor(v) for k, v in case.kwargs.items()}
        built = {k: v for k, v in kwargs.items() if k in scalars or k in arrays}
        call = {k: v for k, v in kwargs.items() if k in per_call}
        assert set(built) | set(call) == set(kwargs)
        reductions = case.reductions or entry_reductions
        chosen = [r for r in entry_reductions if r in reductions]
        if decl.takes_reduction and "mean" in chosen:
            chosen.append("sum_and_count")  # passed through: the pair, or the refusal
        for reduction in chosen:
            module = cls(**built, reduction=reduction) if decl.takes_reduction else cls(**built)
            try:
                expected = decl.call(*args, reduction=reduction, **kwargs)
            except ValueError as exc:  # a loss of a pooled batch refuses sum_and_count
                assert reduction == "sum_and_count"
                with pytest.raises(ValueError, match=re.escape(str(exc))):
                    module(*args, **call)
                continue
            got = module(*args, **call)
            assert isinstance(got, tuple) == (reduction == "sum_and_count")
            torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True,
                                       msg=lambda m, c=case, r=reduction: f"{c.name} {r}: {m}")


def test_buffers_and_plain_options() -> None:
    """Arrays become buffers (lists in the default dtype, arrays keep theirs, counts stay
    integers); a Python float alpha or quantile stays a float, None stays None."""
    focal = lxt.SoftmaxFocalLoss(alpha=[0.25, 0.75], weight=np.array([1.0, 3.0]))
    assert dict(focal.named_buffers()).keys() == {"alpha", "weight"}
    assert focal.alpha.dtype == torch.get_default_dtype()
    assert focal.weight.dtype == torch.float64
    scalar = lxt.SoftmaxFocalLoss(alpha=0.25)
    assert scalar.alpha == 0.25
    assert isinstance(scalar.alpha, float)
    assert scalar.weight is None
    assert dict(scalar.named_buffers()) == {}
    assert lxt.PinballLoss(quantile=0.9).quantile == 0.9
    assert lxt.PinballLoss(quantile=(0.1, 0.9)).quantile.tolist() == pytest.approx([0.1, 0.9])
    balanced = lxt.ClassBalancedLoss(samples_per_class=[10, 1, 5])
    assert balanced.samples_per_class.dtype == torch.int64
    assert balanced.half().samples_per_class.dtype == torch.int64  # .half() floats only
    w = torch.tensor([1.0, 2.0])
    assert lxt.CrossEntropyLoss(weight=w).weight is w  # as torch.nn.CrossEntropyLoss


def test_per_call_options() -> None:
    x, t = torch.tensor([0.5, 2.0, -1.0]), torch.tensor([1.0, 1.0, 0.0])
    weight = torch.tensor([1.0, 0.0, 3.0])
    mse = lxt.MSELoss(reduction="sum")
    assert torch.equal(mse(x, t, weight=weight), lx.mse_loss(x, t, weight=weight,
                                                             reduction="sum"))
    assert not torch.equal(mse(x, t, weight=weight), mse(x, t))
    scores = torch.tensor([[0.9, 0.1, 0.2], [0.3, 0.8, 0.1]])
    hamming = lxt.HammingLoss(threshold=0.5)
    target = torch.tensor([[1, 1, 0], [0, 1, 0]])
    sw = torch.tensor([1.0, 3.0])
    assert torch.equal(hamming(scores, target, sample_weight=sw),
                       lx.hamming_loss(scores, target, sample_weight=sw))


def test_extra_repr_shows_the_options_that_differ() -> None:
    assert repr(lxt.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(lxt.CrossEntropyLoss(ignore_index=-1, label_smoothing=0.1, reduction="sum")) \
        == "CrossEntropyLoss(ignore_index=-1, label_smoothing=0.1, reduction='sum')"
    assert repr(lxt.SigmoidFocalLoss(alpha=0.25, gamma=1.0)) == "SigmoidFocalLoss(gamma=1.0)"
    big = lxt.CrossEntropyLoss(weight=torch.ones(10, dtype=torch.float64))
    assert repr(big) == ("CrossEntropyLoss(weight=<tensor of shape (10,), torch.float64, "
                         "cpu>)")
    assert repr(lxt.CrossEntropyLoss(weight=[1.0, 2.0])) \
        == "CrossEntropyLoss(weight=tensor([1., 2.]))"


def test_errors_name_the_class_and_the_argument() -> None:
    with pytest.raises(TypeError, match=r"CrossEntropyLoss\(\) got an unexpected keyword "
                       r"argument 'weights'; it accepts 'axis', 'weight', 'ignore_index', "
                       r"'label_smoothing', 'reduction'"):
        lxt.CrossEntropyLoss(weights=[1.0])
    with pytest.raises(TypeError, match=r"'weight' \(an argument of each call: "
                       r"MSELoss\(\)\(\.\.\., weight=\.\.\.\)\)"):
        lxt.MSELoss(weight=torch.ones(3))
    with pytest.raises(TypeError, match=r"CrossEntropyLoss.forward\(\) got an unexpected "
                       r"keyword argument 'ignore_index' \(a constructor option: "
                       r"CrossEntropyLoss\(ignore_index=\.\.\.\)\); it accepts none"):
        lxt.CrossEntropyLoss()(torch.zeros(2, 3), torch.tensor([0, 1]), ignore_index=1)
    with pytest.raises(TypeError, match=r"MSELoss.forward\(\) got an unexpected keyword "
                       r"argument 'mask'; it accepts 'weight'"):
        lxt.MSELoss()(torch.zeros(2), torch.zeros(2), mask=None)
    with pytest.raises(TypeError, match=r"TripletMarginLoss.forward\(\) takes 3 positional "
                       r"arrays \(anchor, positive, negative\); got 2"):
        lxt.TripletMarginLoss()(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(TypeError, match=r"ClassBalancedLoss\(\) missing required keyword "
                       r"argument\(s\) 'samples_per_class'"):
        lxt.ClassBalancedLoss()
    with pytest.raises(ValueError, match=r"HammingLoss: `reduction` must be 'mean'"):
        lxt.HammingLoss(reduction="sum")
    # an invalid value: the function's own error at the call, naming the option
    with pytest.raises(TypeError, match="`ignore_index` must be a Python int; got str"):
        lxt.CrossEntropyLoss(ignore_index="a")(torch.zeros(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        lxt.CrossEntropyLoss(reduction="avg")(torch.zeros(2, 3), torch.tensor([0, 1]))


# --------------------------------------------------------------------------- training


def _train(criterion: torch.nn.Module, compiled: bool = False,
           steps: int = 4) -> tuple[list[float], list[torch.Tensor]]:
    """``steps`` SGD steps of a small float64 model; the losses and final parameters."""
    x, y, _ = ddp_torch.data()
    y = y.clone()
    y[y == ddp_torch.IGNORE] = 3  # this test ignores class 3 (ignore_index=3)
    model = ddp_torch.model()
    opt = torch.optim.SGD(model.parameters(), lr=ddp_torch.LR)

    def loss_of(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return criterion(model(x), y)  # type: ignore[no-any-return]

    fn = torch.compile(loss_of, fullgraph=True, backend="aot_eager") if compiled else loss_of
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = fn(x, y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses, [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_training_matches_torch_nn(compiled: bool) -> None:
    """``torch.compile`` uses the ``aot_eager`` backend: the same graph capture
    (``fullgraph=True``: no graph break in the module or the function) and autograd
    tracing, ~1 s here where inductor's code generation takes ~7 s."""
    w = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    ours = _train(lxt.CrossEntropyLoss(weight=w, ignore_index=3), compiled)
    theirs = _train(torch.nn.CrossEntropyLoss(weight=w, ignore_index=3))
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ours[1], theirs[1], rtol=1e-10, atol=1e-10)
    assert ours[0][-1] < ours[0][0] - 0.01  # it trains
    untrained = ddp_torch.model()
    assert not torch.allclose(next(untrained.parameters()), ours[1][0])


# --------------------------------------------------------------------------- checkpoints


def _checkpointed(weight: Any) -> torch.nn.ModuleDict:
    return torch.nn.ModuleDict({"model": ddp_torch.model(),
                                "criterion": lxt.CrossEntropyLoss(weight=weight)})


def test_checkpoint_round_trip(tmp_path: Any) -> None:
    saved = _checkpointed(torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64))
    assert "criterion.weight" in saved.state_dict()
    path = tmp_path / "checkpoint.pt"
    torch.save(saved.state_dict(), path)
    loaded = _checkpointed(torch.ones(4, dtype=torch.float64))
    assert not torch.equal(loaded["criterion"].weight, saved["criterion"].weight)
    loaded.load_state_dict(torch.load(path, weights_only=True))
    assert torch.equal(loaded["criterion"].weight, saved["criterion"].weight)
    x, y, _ = ddp_torch.data()
    y = y.clamp(min=0)
    assert torch.equal(loaded["criterion"](loaded["model"](x), y),
                       saved["criterion"](saved["model"](x), y))
    # without a weight there is no buffer to load one into (as torch.nn.CrossEntropyLoss)
    with pytest.raises(RuntimeError, match=r"Unexpected key.*criterion\.weight"):
        _checkpointed(None).load_state_dict(torch.load(path, weights_only=True))


def test_whole_module_pickles(tmp_path: Any) -> None:
    """``torch.save(criterion)`` (the object, not its state) and ``copy.deepcopy``: the
    generated classes are found again by their module and name."""
    criterion = lxt.MAELoss(reduction="sum")
    focal = lxt.SoftmaxFocalLoss(alpha=[0.25, 0.75], gamma=1.0)
    torch.save([criterion, focal], tmp_path / "criteria.pt")
    loaded = torch.load(tmp_path / "criteria.pt", weights_only=False)
    assert type(loaded[0]) is lxt.MAELoss
    assert loaded[0].reduction == "sum"
    assert torch.equal(loaded[1].alpha, focal.alpha)
    copied = copy.deepcopy(focal)
    assert repr(copied) == repr(focal)
    assert copied.alpha is not focal.alpha


def test_dtype_and_device_conversions() -> None:
    criterion = lxt.CrossEntropyLoss(weight=[1.0, 2.0, 0.5], label_smoothing=0.1)
    assert criterion.weight.dtype == torch.float32
    assert criterion.half().weight.dtype == torch.float16
    assert criterion.double().weight.dtype == torch.float64
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    target = torch.tensor([0, 2])
    expected = lx.cross_entropy(logits, target, weight=criterion.weight, label_smoothing=0.1)
    assert torch.equal(criterion(logits, target), expected)
    meta = criterion.to("meta")
    assert meta is criterion
    assert meta.weight.device.type == "meta"
    out = meta(logits.to("meta"), target.to("meta"))
    assert out.device.type == "meta"
    assert out.shape == ()
    assert "weight=<tensor of shape (3,), torch.float64, meta>" in repr(meta)


# --------------------------------------------------------------------------- DDP


def _single_process() -> tuple[list[float], list[torch.Tensor]]:
    """The reference: one process, the concatenated batch, PyTorch's own weighted mean."""
    x, y, w = ddp_torch.data()
    model = ddp_torch.model()
    criterion = torch.nn.CrossEntropyLoss(weight=w, ignore_index=ddp_torch.IGNORE)
    opt = torch.optim.SGD(model.parameters(), lr=ddp_torch.LR)
    losses = []
    for _ in range(ddp_torch.STEPS):
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses, [p.detach().clone() for p in model.parameters()]


def test_a_mean_of_per_rank_means_would_be_wrong() -> None:
    """The shards ignore different numbers of targets, so the recipe is needed."""
    x, y, w = ddp_torch.data()
    model = ddp_torch.model()
    world = ddp_torch.WORLD_SIZE
    ignored = [int((y[r::world] == ddp_torch.IGNORE).sum()) for r in range(world)]
    assert len(set(ignored)) == world  # uneven
    with torch.no_grad():
        logits = model(x)
        per_rank = [lx.cross_entropy(logits[r::world], y[r::world], weight=w)
                    for r in range(world)]
        naive = sum(per_rank) / world
        right = lx.cross_entropy(logits, y, weight=w)
    assert abs(float(naive - right)) > 1e-2


@pytest.mark.processes
def test_ddp_recipe_equals_the_single_process(tmp_path: Any) -> None:
    """Two gloo processes, each its shard: the recipe's losses and parameters (one batch
    per step, and gradient accumulation over uneven micro-batches) equal one process on
    the concatenated batch."""
    mp.spawn(ddp_torch.worker, args=(str(tmp_path / "store"), str(tmp_path)),
             nprocs=ddp_torch.WORLD_SIZE, join=True)
    losses, params = _single_process()
    for rank in range(ddp_torch.WORLD_SIZE):
        result = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        for recipe in ("plain", "accumulated"):
            got_losses, got_params = result[recipe]
            torch.testing.assert_close(got_losses, losses, rtol=1e-6, atol=1e-6)
            torch.testing.assert_close(got_params, params, rtol=1e-6, atol=1e-6)
