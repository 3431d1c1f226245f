"""Keras 3 losses: one ``keras.losses.Loss`` subclass per losses_xp loss.

``import losses_xp.keras`` (it imports Keras; the rest of losses_xp never does) gives a
class for every function of :func:`losses_xp._adapters.adapted` and for each of its
aliases, named by :func:`~losses_xp._adapters.class_name` (``cross_entropy`` ->
``CrossEntropyLoss``, ``binary_cross_entropy_with_logits`` ->
``BinaryCrossEntropyWithLogitsLoss``, ``mae_loss`` -> ``MAELoss``) and generated at import
from the declarations: a new loss gets its class without an edit here.  Each class calls
its one array-API function; it works on every Keras backend whose tensors losses_xp takes
(JAX, PyTorch, NumPy)::

    model.compile(optimizer="sgd", loss=losses_xp.keras.CrossEntropyLoss(weight=[1.0, 2.0]))

What the classes do, where Keras and losses_xp differ:

* **Argument order.** Keras calls ``loss(y_true, y_pred, sample_weight=None)``, target
  first; the class calls the function prediction first.  A loss with further positional
  arrays (``gaussian_nll_loss``'s ``var``, ``triplet_margin_loss``'s ``negative``,
  ``ctc_loss``'s lengths ...) takes them in ``y_true``, as a tuple
  ``(target, *inputs)`` in the function's order.
* **Constructor.** The keyword arguments are the function's options that stay fixed for
  the life of the loss (:func:`~losses_xp._adapters.option_roles`: scalars, and arrays
  such as a class ``weight``, ``pos_weight``, ``alpha`` per class, ``samples_per_class``,
  ``quantile``; arrays are kept as Python lists, which is what ``get_config()`` returns),
  plus Keras's ``reduction``, ``name`` and ``dtype``.  Every class is registered with
  ``keras.saving.register_keras_serializable(package="losses_xp")``, so ``model.save``
  and ``keras.models.load_model`` round-trip it with its options (import
  ``losses_xp.keras`` before loading).
* **Per-call options.** Keras's ``call(y_true, y_pred)`` has no room for an argument that
  describes one batch.  An element or sample weight (``weight`` of the regression and
  binary losses, ``hamming_loss``'s ``sample_weight``) is Keras's own ``sample_weight``
  (``fit(..., sample_weight=)``); a ranking ``where`` mask and ``info_nce_loss``'s
  ``labels`` are not available from Keras (the class computes on complete lists and
  without labels): passing any of them to the constructor is a ``TypeError`` that says
  so; call the function itself for them.
* **Integer targets.** Keras converts ``y_true`` to the loss's floating dtype before
  ``call``.  Where the target (or a further input) is of an index kind (class indices,
  label sequences and their lengths, row labels) the class casts it back to ``int32``
  before calling the function; a class-index target of shape ``(N, 1)`` beside an
  ``(N, C)`` prediction is squeezed to ``(N,)``, as Keras's sparse losses do.  A target
  that may be indices or probability rows (``cross_entropy``, the overlap losses) is
  taken as indices when it has one axis fewer than the prediction (after that squeeze),
  else as probabilities.
* **Reductions.** The class calls the function with ``reduction="none"`` and lets Keras
  weight by ``sample_weight`` and reduce: ``"sum_over_batch_size"`` (the default, as in
  Keras; ``"mean"`` is Keras's alias of it), ``"sum"``, ``"mean_with_sample_weight"``
  and ``None`` / ``"none"`` (the function's unreduced values, shaped as the function
  returns them: per element for an element-wise loss, where Keras's own losses average
  the last axis first).  ``"sum_over_batch_size"`` divides the weighted sum by the
  number of values.  That is losses_xp's ``mean`` where its denominator is the number of
  values, and not where it is something else: with a class ``weight`` (and class-index
  targets) losses_xp and PyTorch divide by the sum of the targets' class weights,
  Keras by the batch size; ignored targets (``ignore_index``) count in Keras's
  denominator; contrastive, ranking and CTC means have their own denominators
  (:data:`losses_xp._declare.UNITS`).  ``reduction="losses_xp_mean"`` gives losses_xp's
  own ``mean`` (the function called with ``reduction="mean"``; it takes no
  ``sample_weight`` and no Keras mask: a ``ValueError``).  A function without an
  unreduced form (``rmse_loss``, ``hamming_loss``) gives its one value whatever the
  reduction; of the two only ``hamming_loss`` takes a ``sample_weight`` (its own).  A
  ``sample_weight`` where the unreduced values are not per sample or element
  (``any_loss``: per class) is a ``ValueError``.
* **No Keras-named aliases.**  The declarations name each loss's Keras peers
  (``peers["keras"]``), but no class is generated under a Keras name: none of the peers
  computes the same number under the same call.  Keras's
  ``SparseCategoricalCrossentropy`` takes probabilities unless ``from_logits=True``,
  ``cross_entropy`` takes logits; ``BinaryCrossentropy``, ``MeanSquaredError`` and the
  other element-wise Keras losses average the last axis in their unreduced form, and
  their label-smoothing and clipping conventions differ.  An alias would give a
  plausible wrong number; the Keras equivalent of Keras's
  ``SparseCategoricalCrossentropy(from_logits=True)`` is ``CrossEntropyLoss()``.
* **JAX.** Keras's JAX backend jit-compiles the training step: every adapted loss
  traces (the conformance suite compiles each one).

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras  # type: ignore[import-not-found,import-untyped,unused-ignore]

try:  # where Keras keeps a tensor's mask (an attribute, or a table for JAX arrays)
    from keras.src.backend import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
        get_keras_mask as _keras_mask,
    )
except ImportError:  # pragma: no cover - a Keras without the helper: the attribute
    def _keras_mask(x: Any) -> Any:
        return getattr(x, "_keras_mask", None)

from ._adapters import adapted, class_name, option_roles
from ._declare import Declaration

__all__: list[str] = []  # the generated class names, appended below

#: the reduction that is losses_xp's own ``mean`` (not Keras's ``"mean"``, an alias of
#: ``"sum_over_batch_size"``)
LOSSES_XP_MEAN = "losses_xp_mean"
#: the target and input kinds that are integer indices (cast back from Keras's floats)
INDEX_KINDS = frozenset({"index", "label_sequences", "row_labels", "input_lengths",
                         "target_lengths"})
#: target kinds that are indices when they have one axis fewer than the prediction
MAYBE_INDEX_KINDS = frozenset({"index_or_probs", "binary_or_index"})
#: units whose unreduced values are not one per sample or element (no sample_weight)
_UNWEIGHTABLE_UNITS = frozenset({"class", "batch"})


class _LossesXPLoss(keras.losses.Loss):  # type: ignore[misc,unused-ignore]
    """The base of the generated classes (see the module docstring)."""

    #: the function's declaration and the public name the class is generated for
    declaration: Declaration
    function_name: str
    #: option name -> kind: the constructor's scalars and arrays, the per-call options
    scalar_options: dict[str, str]
    array_options: dict[str, str]
    call_options: dict[str, str]

    def __init__(self, *, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **options: Any) -> None:
        cls = type(self)
        for option in options:
            if option in cls.call_options:
                raise TypeError(_per_call_message(cls, option))
            if option not in cls.scalar_options and option not in cls.array_options:
                allowed = sorted(cls.scalar_options) + sorted(cls.array_options)
                raise TypeError(f"{cls.__name__}() got an unexpected keyword argument "
                                f"{option!r}: expected one of {allowed}, reduction, name, "
                                f"dtype")
        keras_reduction = "sum" if reduction == LOSSES_XP_MEAN else reduction
        super().__init__(name=name, reduction=keras_reduction, dtype=dtype)
        self.reduction = reduction
        self.options: dict[str, Any] = {}
        for option, value in options.items():
            self.options[option] = _as_config_value(value)

    # ---------------------------------------------------------------- Keras's interface

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        decl = type(self).declaration
        own = self.reduction == LOSSES_XP_MEAN or "none" not in decl.reductions
        if not own:
            if sample_weight is not None and decl.unit in _UNWEIGHTABLE_UNITS:
                raise ValueError(f"{type(self).__name__}: sample_weight is not available: "
                                 f"the unreduced values of {self.function_name} are one "
                                 f"per {decl.unit}, not per sample; received a "
                                 f"sample_weight")
            return super().__call__(y_true, y_pred, sample_weight=sample_weight)
        takes = [o for o, k in type(self).call_options.items() if k == "sample_weight"]
        if sample_weight is not None and not takes:
            raise ValueError(f"{type(self).__name__} with reduction={self.reduction!r}: "
                             f"sample_weight is not available ({self.function_name}'s own "
                             f"mean has no sample weights); received a sample_weight. Use "
                             f"reduction='sum_over_batch_size' (Keras's weighted mean)")
        if _keras_mask(y_pred) is not None:
            raise ValueError(f"{type(self).__name__} with reduction={self.reduction!r}: "
                             f"y_pred carries a Keras mask, which {self.function_name}'s "
                             f"own mean cannot apply; use reduction='sum_over_batch_size'")
        y_pred = keras.tree.map_structure(
            lambda x: keras.ops.convert_to_tensor(x, dtype=self.dtype), y_pred)
        y_true = keras.tree.map_structure(
            lambda x: keras.ops.convert_to_tensor(x, dtype=self.dtype), y_true)
        extra = {}
        if sample_weight is not None:
            extra[takes[0]] = keras.ops.convert_to_tensor(sample_weight, dtype=self.dtype)
        reduction = "mean" if "mean" in decl.reductions else decl.reductions[0]
        return self._compute(y_true, y_pred, reduction, extra)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The function's unreduced values (``reduction="none"``); Keras reduces them."""
        return self._compute(y_true, y_pred, "none", {})

    def get_config(self) -> dict[str, Any]:
        """Keras's ``name``, ``reduction`` and ``dtype`` and the options given to the
        constructor (arrays as Python lists)."""
        config: dict[str, Any] = {"name": self.name, "reduction": self.reduction,
                                  "dtype": self.dtype}
        config.update(self.options)
        return config

    # ---------------------------------------------------------------- the call

    def _compute(self, y_true: Any, y_pred: Any, reduction: str,
                 extra: dict[str, Any]) -> Any:
        decl = type(self).declaration
        if decl.inputs:
            if not isinstance(y_true, (tuple, list)) or len(y_true) != 1 + len(decl.inputs):
                names = ", ".join(("target", *decl.inputs))
                raise ValueError(f"{type(self).__name__}: y_true must be the tuple "
                                 f"({names}) ({self.function_name}'s arrays after the "
                                 f"prediction); received {type(y_true).__name__}")
            target, *inputs = y_true
        else:
            target, inputs = y_true, []
        target = self._target(target, y_pred)
        inputs = [keras.ops.cast(x, "int32") if kind in INDEX_KINDS else x
                  for x, kind in zip(inputs, decl.inputs.values(), strict=True)]
        args = (y_pred, target, *inputs) if decl.target is not None else (y_pred,)
        return decl.call(*args, reduction=reduction, **self.options, **extra)

    def _target(self, target: Any, y_pred: Any) -> Any:
        kind = type(self).declaration.target
        if kind in INDEX_KINDS:
            target = self._squeezed(target, y_pred)
            return keras.ops.cast(target, "int32")
        if kind in MAYBE_INDEX_KINDS:
            if kind == "binary_or_index" and self.options.get("axis") is None:
                return target
            target = self._squeezed(target, y_pred)
            if len(target.shape) == len(y_pred.shape) - 1:
                return keras.ops.cast(target, "int32")
        return target

    def _squeezed(self, target: Any, y_pred: Any) -> Any:
        """A class-index target ``(..., 1)`` beside a ``(..., C)`` prediction (class axis
        last), squeezed as Keras's sparse losses do."""
        axis = self.options.get("axis")
        if (axis in (None, -1) and len(target.shape) == len(y_pred.shape) >= 1
                and target.shape[-1] == 1 and y_pred.shape[-1] != 1):
            return keras.ops.squeeze(target, axis=-1)
        return target


def _as_config_value(value: Any) -> Any:
    """An option as get_config() keeps it (JSON): a Python number, string or None, or a
    (nested) list for an array or a sequence; a NumPy or framework scalar becomes a number."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_as_config_value(v) for v in value]
    return keras.ops.convert_to_numpy(value).tolist()


def _per_call_message(cls: type[_LossesXPLoss], option: str) -> str:
    kind = cls.call_options[option]
    fn = cls.function_name
    if kind in ("element_weight", "sample_weight"):
        how = ("pass Keras's sample_weight instead (loss(y_true, y_pred, sample_weight=w), "
               "model.fit(..., sample_weight=w)): it weights the unreduced values")
    else:
        how = (f"Keras's call(y_true, y_pred) has no place for it: call losses_xp.{fn} "
               f"itself")
    return (f"{cls.__name__}() got {option!r}: an argument of each call of {fn} "
            f"({kind}), not of the constructor; {how}")


def _signature(decl: Declaration, scalars: dict[str, str],
               arrays: dict[str, str]) -> inspect.Signature:
    params = inspect.signature(decl.fn).parameters
    kw = inspect.Parameter.KEYWORD_ONLY
    options = [inspect.Parameter(n, kw, default=params[n].default)
               for n in decl.options if n in scalars or n in arrays]
    keras_args = [inspect.Parameter("reduction", kw, default="sum_over_batch_size"),
                  inspect.Parameter("name", kw, default=None),
                  inspect.Parameter("dtype", kw, default=None)]
    return inspect.Signature([*options, *keras_args])


def _doc(cls_name: str, public: str, decl: Declaration) -> str:
    summary = (inspect.getdoc(decl.fn) or "").split("\n\n", 1)[0].replace("\n", " ")
    return (f"``keras.losses.Loss`` computing :func:`losses_xp.{public}`: {summary}\n\n"
            f"``{cls_name}(**options, reduction=..., name=None, dtype=None)(y_true, y_pred, "
            f"sample_weight=None)``; see :mod:`losses_xp.keras` for the argument order, "
            f"the reductions and what Keras cannot express.")


def _generate() -> dict[str, type[_LossesXPLoss]]:
    classes: dict[str, type[_LossesXPLoss]] = {}
    for decl in adapted().values():
        scalars, arrays, per_call = option_roles(decl)
        for public in (decl.name, *decl.aliases):
            cls_name = class_name(public)
            namespace: dict[str, Any] = {
                "declaration": decl, "function_name": public, "scalar_options": scalars,
                "array_options": arrays, "call_options": per_call,
                "__module__": __name__, "__qualname__": cls_name,
                "__doc__": _doc(cls_name, public, decl),
            }
            cls = type(cls_name, (_LossesXPLoss,), namespace)
            cls.__signature__ = _signature(decl, scalars, arrays)  # type: ignore[attr-defined]
            registered = keras.saving.register_keras_serializable(package="losses_xp")(cls)
            classes[cls_name] = registered
    return classes


CLASSES: dict[str, type[_LossesXPLoss]] = _generate()
globals().update(CLASSES)
__all__ += sorted(CLASSES)
