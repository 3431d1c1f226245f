"""What the framework adapters generate from the declarations: one class per loss.

``losses_xp.torch`` (``nn.Module``), ``losses_xp.keras`` (``keras.losses.Loss``) and
``losses_xp.sklearn`` (scorers) each build their classes from :func:`adapted` with the
names of :func:`class_name` and the options sorted by :func:`option_roles`, so that a new
loss gets every adapter from its declaration alone, and the three adapters agree on names
and on which option goes where.  No framework is imported here.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

from ._declare import Declaration, declarations

__all__ = ["ACRONYMS", "ARRAY_OPTIONS", "CALL_OPTIONS", "FRAMEWORK_MODULES", "adapted",
           "class_name", "higher_is_better", "option_roles"]

#: words of a function name written in capitals in a class name (``nll_loss`` ->
#: ``NLLLoss``, ``kl_div`` -> ``KLDivLoss``, ``info_nce_loss`` -> ``InfoNCELoss``)
ACRONYMS = {"nll": "NLL", "kl": "KL", "js": "JS", "mse": "MSE", "rmse": "RMSE", "mae": "MAE",
            "msle": "MSLE", "mape": "MAPE", "ctc": "CTC", "l1": "L1", "nce": "NCE", "k": "K",
            "listmle": "ListMLE"}
#: the last words that already say what the class computes (no ``Loss`` appended)
_ENDINGS = ("loss", "accuracy")

#: option kinds whose value may be an array fixed for the life of the object (a class
#: weight, ``pos_weight``, per-class factors or counts, quantile levels): arguments of the
#: constructor, kept as framework state (``nn.Module`` buffers: ``.to(device)``,
#: ``.half()``, ``state_dict()``; Keras: ``get_config()`` as lists)
ARRAY_OPTIONS = frozenset({"class_weight", "pos_weight", "class_alpha", "counts", "quantile"})
#: option kinds that describe one batch (its elements, samples, rows or list items; the
#: keys gathered from every process and the local rows' offset among them): not arguments
#: of the constructor but of each call (``forward(..., weight=w)``)
CALL_OPTIONS = frozenset({"element_weight", "sample_weight", "mask", "row_labels",
                          "key_rows", "key_labels", "row_offset"})
#: the package's modules that import a framework at their top (``import
#: losses_xp.sklearn``): the package never imports them, and the tests and tools that
#: import every module of the package (doctests, a vendored copy's aliases) skip them;
#: the ``adapters`` session runs their doctests inside the frameworks
FRAMEWORK_MODULES = ("torch", "keras", "sklearn", "torchmetrics")


def adapted() -> dict[str, Declaration]:
    """The declarations that get an adapter class: every public function that reduces
    (has ``mean`` or ``sum``) -- the losses and the metrics, not the transforms
    (``sparsemax``, ``smooth_labels``, ``class_balanced_weights``,
    ``soft_confusion_matrix``), whose result is not a loss."""
    return {name: d for name, d in declarations().items()
            if any(r in d.reductions for r in ("mean", "sum"))}


def class_name(name: str) -> str:
    """The class name of a function (and of each of its aliases): its words capitalised,
    acronyms in capitals (:data:`ACRONYMS`), ``Loss`` appended unless the name ends in
    ``loss`` or ``accuracy``: ``cross_entropy`` -> ``CrossEntropyLoss``,
    ``sigmoid_focal_loss`` -> ``SigmoidFocalLoss``, ``any_loss`` -> ``AnyLoss``,
    ``top_k_accuracy`` -> ``TopKAccuracy``."""
    words = name.split("_")
    camel = "".join(ACRONYMS.get(w, w.capitalize()) for w in words)
    return camel if words[-1] in _ENDINGS else camel + "Loss"


def higher_is_better(decl: Declaration) -> bool:
    """Whether a larger value is better: an accuracy (a name ending in ``accuracy``,
    e.g. ``top_k_accuracy``) is a score, everything else a loss (lower is better).
    scikit-learn's ``greater_is_better`` and torchmetrics' ``higher_is_better``."""
    return decl.name.endswith("accuracy")


def option_roles(decl: Declaration) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """``(scalars, arrays, per_call)``: the options of ``decl`` (name -> kind) that are
    constructor arguments of plain Python values, constructor arguments that may be arrays
    (:data:`ARRAY_OPTIONS`), and arguments of each call (:data:`CALL_OPTIONS`).
    ``reduction`` is not an option: every adapter takes it in its constructor."""
    scalars: dict[str, str] = {}
    arrays: dict[str, str] = {}
    per_call: dict[str, str] = {}
    for option, kind in decl.options.items():
        key = kind if isinstance(kind, str) else ""
        role = arrays if key in ARRAY_OPTIONS else per_call if key in CALL_OPTIONS else scalars
        role[option] = key or "choice"
    return scalars, arrays, per_call
