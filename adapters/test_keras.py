"""losses_xp.keras inside Keras 3, on the backend that KERAS_BACKEND selects.

The ``adapters`` nox session runs this file twice: ``KERAS_BACKEND=jax`` and
``KERAS_BACKEND=torch``.  The oracles are Keras's own losses and
``torch.nn.functional.cross_entropy``.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import keras
import numpy as np
import pytest
import torch

import losses_xp
import losses_xp.keras as lk
from conformance.registry import SPECS
from losses_xp._adapters import adapted, class_name, option_roles
from losses_xp._declare import Declaration

BACKEND = keras.backend.backend()
ADAPTED = adapted()
PUBLIC = {public: decl for decl in ADAPTED.values() for public in (decl.name, *decl.aliases)}


def test_backend_is_the_requested_one() -> None:
    print(f"Keras {keras.__version__} on the {BACKEND} backend")
    assert BACKEND in ("jax", "torch")
    assert os.environ.get("KERAS_BACKEND", BACKEND) == BACKEND


def test_every_adapted_function_has_its_class() -> None:
    assert sorted(lk.__all__) == sorted(class_name(p) for p in PUBLIC)
    for public, decl in PUBLIC.items():
        cls = getattr(lk, class_name(public))
        assert issubclass(cls, keras.losses.Loss)
        assert cls.declaration is decl
        assert cls.function_name == public
    assert lk.MAELoss is not lk.L1Loss  # an alias has its own registered class


# --------------------------------------------------------------------------- values


def _value_case(decl: Declaration) -> Any:
    return _value_case_of(decl.name)


@functools.cache
def _value_case_of(name: str) -> Any:
    """The first spec value case the class can express (a 2-d one where there is one):
    constructor options only, a non-empty prediction, no bool arrays (Keras casts them
    to 0.0 / 1.0: a {-1, +1} sign target would become 0)."""
    decl = ADAPTED[name]
    scalars, arrays, _ = option_roles(decl)
    entry = SPECS[name].entry
    cases = entry.cases(np.random.default_rng(0))
    for case in sorted(cases, key=lambda c: "2d" not in c.tags):
        if (set(case.kwargs) <= set(scalars) | set(arrays) and case.args[0].size
                and case.args[0].ndim >= 1
                and all(a.dtype != bool for a in case.args)
                and ("none" in entry.reductions_for(case)
                     or "none" not in decl.reductions)):
            return case
    raise AssertionError(f"{decl.name}: no spec case that the Keras class can express")


def _tensor(a: np.ndarray) -> Any:
    return keras.ops.convert_to_tensor(a.astype(np.float32) if a.dtype.kind == "f" else a)


@pytest.mark.parametrize("public", sorted(PUBLIC))
def test_class_computes_the_function(public: str) -> None:
    decl = PUBLIC[public]
    case = _value_case(decl)
    loss = getattr(lk, class_name(public))(reduction=None, **case.kwargs)
    y_pred, *rest = (_tensor(a) for a in case.args)
    y_true = rest[0] if len(rest) == 1 else tuple(rest)
    got = keras.ops.convert_to_numpy(loss(y_true, y_pred))
    reduction = "none" if "none" in decl.reductions else decl.reductions[0]
    want = keras.ops.convert_to_numpy(
        decl.call(y_pred, *rest, reduction=reduction, **case.kwargs))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("public", sorted(PUBLIC))
def test_config_round_trip(public: str) -> None:
    cls = getattr(lk, class_name(public))
    kwargs = dict(_value_case(PUBLIC[public]).kwargs)
    loss = cls(reduction="sum", name="mine", **kwargs)
    config = loss.get_config()
    assert config["reduction"] == "sum"
    assert config["name"] == "mine"
    json.dumps(config)  # what model.save writes
    again = cls.from_config(config)
    assert type(again) is cls
    assert again.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is cls
    assert restored.get_config() == config


def test_config_keeps_plain_values() -> None:
    """Framework arrays and NumPy scalars given to the constructor are kept as JSON values."""
    loss = lk.CrossEntropyLoss(weight=keras.ops.convert_to_tensor([0.5, 2.0]),
                               label_smoothing=np.float32(0.25), ignore_index=np.int64(-1))
    config = loss.get_config()
    assert config["weight"] == [0.5, 2.0]
    assert type(config["label_smoothing"]) is float
    assert config["ignore_index"] == -1
    assert type(config["ignore_index"]) is int


# --------------------------------------------------------------------------- reductions


def _batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(8, 3)).astype(np.float32)
    labels = np.array([0, 1, 1, 2, 2, 2, 0, 1])
    weight = np.array([0.2, 1.0, 3.0], dtype=np.float32)
    return logits, labels, weight


def test_class_weight_denominators() -> None:
    """losses_xp_mean divides by the targets' summed class weights (PyTorch's
    cross_entropy(weight=)); Keras's sum_over_batch_size by the batch size (Keras's
    SparseCategoricalCrossentropy with sample_weight=w[y])."""
    logits, labels, weight = _batch()
    y_true = labels.astype(np.float32)  # as Keras hands class labels over
    ours = lk.CrossEntropyLoss(weight=weight, reduction="losses_xp_mean")(y_true, logits)
    torch_ref = torch.nn.functional.cross_entropy(
        torch.from_numpy(logits).double(), torch.from_numpy(labels), weight=torch.from_numpy(
            weight).double())
    np.testing.assert_allclose(float(ours), torch_ref.item(), rtol=1e-6)
    keras_way = lk.CrossEntropyLoss(weight=weight)(y_true, logits)
    keras_ref = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, logits, sample_weight=weight[labels])
    np.testing.assert_allclose(float(keras_way), float(keras_ref), rtol=1e-6)
    ratio = weight[labels].sum() / labels.size
    np.testing.assert_allclose(float(keras_way), float(ours) * ratio, rtol=1e-6)
    assert abs(float(keras_way) - float(ours)) > 0.1


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean", None,
                                       "mean_with_sample_weight"])
def test_keras_reductions_and_sample_weight(reduction: str | None) -> None:
    logits, labels, _ = _batch()
    sample_weight = np.linspace(0.5, 2.0, labels.size).astype(np.float32)
    got = lk.CrossEntropyLoss(reduction=reduction)(labels[:, None], logits, sample_weight)
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)(
        labels, logits, sample_weight)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got),
                               keras.ops.convert_to_numpy(want), rtol=1e-6, atol=1e-7)


def test_binary_element_weights_are_keras_sample_weight() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 1)).astype(np.float32)
    target = (rng.random((6, 1)) < 0.5).astype(np.float32)
    w = rng.random(6).astype(np.float32)
    got = lk.BinaryCrossEntropyWithLogitsLoss()(target, logits, sample_weight=w)
    want = keras.losses.BinaryCrossentropy(from_logits=True)(target, logits, sample_weight=w)
    np.testing.assert_allclose(float(got), float(want), rtol=1e-6)


def test_functions_without_an_unreduced_form() -> None:
    pred = np.array([[0.7, 0.2], [0.1, 0.9]], dtype=np.float32)
    target = np.array([[1.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    sw = np.array([3.0, 1.0], dtype=np.float32)
    got = lk.HammingLoss(reduction=None)(target, pred, sample_weight=sw)
    want = losses_xp.hamming_loss(pred, target, sample_weight=sw)
    np.testing.assert_allclose(float(got), float(want))
    assert float(got) == pytest.approx(0.375)
    with pytest.raises(ValueError, match="sample_weight is not available"):
        lk.RMSELoss()(target, pred, sample_weight=sw)
    with pytest.raises(ValueError, match="sample_weight is not available"):
        lk.CrossEntropyLoss(reduction="losses_xp_mean")(target[:, 0], pred, sample_weight=sw)


def test_refusals() -> None:
    with pytest.raises(TypeError, match=r"'weight'.*sample_weight"):
        lk.MSELoss(weight=[1.0])
    with pytest.raises(TypeError, match=r"'where'.*call losses_xp.listmle_loss itself"):
        lk.ListMLELoss(where=None)
    with pytest.raises(TypeError, match=r"'labels'.*info_nce_loss"):
        lk.InfoNCELoss(labels=None)
    with pytest.raises(TypeError, match="unexpected keyword argument 'from_logits'"):
        lk.CrossEntropyLoss(from_logits=True)
    with pytest.raises(ValueError, match="per class"):
        lk.AnyLoss(axis=-1)(np.array([0.0, 1.0]), np.eye(2, dtype=np.float32),
                            sample_weight=np.ones(2))
    with pytest.raises(ValueError, match=r"y_true must be the tuple \(target, var\)"):
        lk.GaussianNLLLoss()(np.zeros(2), np.zeros(2))


# --------------------------------------------------------------------------- models


def _model(units: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="tanh"),
                              keras.layers.Dense(units)])
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def _fit(loss: Any, units: int, y: np.ndarray, epochs: int = 3) -> list[float]:
    x = np.random.default_rng(3).normal(size=(len(y), 4)).astype(np.float32)
    model = _model(units, seed=4)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=loss)
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return [float(v) for v in history.history["loss"]]


def test_training_matches_keras_sparse_categorical_crossentropy() -> None:
    y = np.random.default_rng(5).integers(0, 3, size=32)
    ours = _fit(lk.CrossEntropyLoss(), 3, y)
    theirs = _fit(keras.losses.SparseCategoricalCrossentropy(from_logits=True), 3, y)
    print(BACKEND, "cross_entropy per-epoch losses", ours)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    assert ours[-1] < ours[0]


def test_training_matches_keras_binary_crossentropy() -> None:
    y = (np.random.default_rng(6).random((32, 1)) < 0.4).astype(np.float32)
    ours = _fit(lk.BinaryCrossEntropyWithLogitsLoss(), 1, y)
    theirs = _fit(keras.losses.BinaryCrossentropy(from_logits=True), 1, y)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    assert ours[-1] < ours[0]


def test_saved_model_restores_the_loss(tmp_path: Any) -> None:
    x = np.random.default_rng(7).normal(size=(16, 4)).astype(np.float32)
    y = np.arange(16) % 3
    model = _model(3, seed=8)
    loss = lk.CrossEntropyLoss(weight=np.array([0.5, 1.0, 2.0]), label_smoothing=0.1,
                               reduction="losses_xp_mean")
    model.compile(optimizer="sgd", loss=loss)
    before = model.evaluate(x, y, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.loss) is lk.CrossEntropyLoss
    assert loaded.loss.get_config() == loss.get_config()
    assert loaded.loss.get_config()["weight"] == [0.5, 1.0, 2.0]
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), before, rtol=1e-6)
    want = torch.nn.functional.cross_entropy(
        torch.from_numpy(keras.ops.convert_to_numpy(model(x))).double(), torch.from_numpy(y),
        weight=torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64), label_smoothing=0.1)
    np.testing.assert_allclose(before, want.item(), rtol=1e-5)


def test_keras_masks() -> None:
    """A Keras mask on y_pred: Keras's reductions apply it (as to Keras's own loss);
    losses_xp_mean refuses it."""
    logits = keras.layers.Masking(mask_value=0.0)(
        np.array([[1.0, 2.0], [0.0, 0.0], [3.0, 1.0]], dtype=np.float32))
    labels = np.array([0, 1, 1])
    got = lk.CrossEntropyLoss()(labels, logits)
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    np.testing.assert_allclose(float(got), float(want), rtol=1e-6)
    assert float(got) != pytest.approx(float(losses_xp.cross_entropy(
        keras.ops.convert_to_numpy(logits), labels)))
    with pytest.raises(ValueError, match="carries a Keras mask"):
        lk.CrossEntropyLoss(reduction="losses_xp_mean")(labels, logits)
