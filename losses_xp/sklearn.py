"""scikit-learn scorers for every loss and metric of losses_xp.

scikit-learn calls a metric target-first, ``score_func(y_true, y_pred)``; losses_xp is
prediction-first, ``loss(prediction, target)``.  Passing a losses_xp function straight
to ``sklearn.metrics.make_scorer`` therefore swaps the two: the call fails (or
computes nonsense) and ``cross_val_score`` reports NaN with a warning.  This module
does the swap and the conversions:

- :func:`metric` is the target-first function ``score(y_true, y_pred, **kwargs) ->
  float`` of a loss: the ``mean`` (a loss without one: its only reduction) as a Python
  float, of NumPy inputs as scikit-learn hands them over;
- :func:`make_scorer` is a real ``sklearn.metrics.make_scorer`` object for it, with the
  sign (losses negated, as ``neg_log_loss``; accuracies as they are) and the estimator
  method (``predict_proba``, ``decision_function``, ``predict`` ...) that fit the loss;
- :func:`scorers` is one scorer per loss and alias, generated from the declarations
  (``losses_xp._adapters.adapted``), named as scikit-learn names its own
  (``neg_cross_entropy``, ``top_k_accuracy``): ``cross_validate(scoring=...)`` takes
  any selection of them.

Which estimator method a scorer calls follows from the declaration's prediction kind
(:func:`response_method`; ``from_logits=True`` switches a probability loss to logits):

=================================================  =====================================
prediction kind                                    estimator method
=================================================  =====================================
``probs``, ``class_probs``                         ``predict_proba``
``logits``                                         ``decision_function``
``scores`` (``top_k_accuracy``)                    ``decision_function``, else
                                                   ``predict_proba`` (as scikit-learn's
                                                   ``top_k_accuracy`` scorer)
``log_probs``, ``log_prob_sequences``              ``predict_log_proba``
``regression``, ``positive``, ``above_minus_one``  ``predict``
``log_rates``, ``rates``                           ``predict``
``embeddings``                                     ``transform`` with a ``row_labels``
                                                   target (a metric-learning
                                                   transformer), else ``predict``
a metric of labels (not differentiable, no class   ``predict`` (``hamming_loss``)
axis)
=================================================  =====================================

What scikit-learn hands over, and what the scorer makes of it:

- a **binary** classifier's ``predict_proba`` / ``decision_function`` is one column,
  the positive class's (``pos_label``, by default ``classes_[-1]``).  A loss with a
  class axis gets two columns back: probabilities ``(1 - p, p)``, log-probabilities
  ``(log(1 - p), log p)``, logits and scores ``(0, d)`` (their softmax is
  ``sigmoid(d)``: exact for a log-odds decision function such as
  ``LogisticRegression``'s).  A loss without one takes the column as it is.
- **class labels** (``y_true``): class indices ``0 .. C-1`` (and ``ignore_index``) are
  taken as they are; other labels (strings, ``{-1, 1}``, ``{1, 2, 3}``) are encoded in
  sorted order, which is scikit-learn's ``classes_`` order, and then all ``C`` classes
  must be in ``y_true`` (else pass ``labels=estimator.classes_``, as ``log_loss``
  asks).  A binary target (0/1 labels) is ``y_true == pos_label`` unless it is in
  ``[0, 1]`` already; a sign target is ``+1`` for the positive class, ``-1`` otherwise;
  a one-dimensional ``y_true`` against class rows is one-hot encoded where the loss
  wants a target of the prediction's shape (``binary_cross_entropy`` on a multi-class
  ``predict_proba``, ``kl_div``).
- **multi-label** estimators: scikit-learn stacks the positive columns of
  ``predict_proba`` into ``(n_samples, n_labels)``; ``y_true`` is the indicator matrix.
- ``sample_weight`` (``cross_val_score(..., params={"sample_weight": w})`` with
  metadata routing, or ``scorer(est, X, y, sample_weight=w)``) goes to the loss's
  per-sample weight option (``hamming_loss``); other losses refuse it (``TypeError``).
- further positional inputs of a loss (``gaussian_nll_loss``'s ``var``, ``ctc_loss``'s
  lengths) are keyword arguments of the scorer's call, by their names.

Inputs are converted with ``numpy.asarray`` (scikit-learn's outputs without array-API
dispatch), so the losses compute in NumPy, float64 for float64 predictions.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sklearn.metrics

from ._adapters import adapted, higher_is_better
from ._declare import SWITCHED, Declaration, declaration

__all__ = ["make_scorer", "metric", "response_method", "scorers"]

#: prediction kind -> the estimator method(s) that produce it, in order of preference
RESPONSE_METHODS: dict[str, str | tuple[str, ...]] = {
    "probs": "predict_proba",
    "class_probs": "predict_proba",
    "logits": "decision_function",
    "scores": ("decision_function", "predict_proba"),
    "log_probs": ("predict_log_proba",),
    "log_prob_sequences": ("predict_log_proba",),
    "regression": "predict",
    "positive": "predict",
    "above_minus_one": "predict",
    "log_rates": "predict",
    "rates": "predict",
}

#: target kinds that are class indices (with a class axis)
_INDEX = ("index", "index_or_probs", "binary_or_index")
#: target kinds that are distributions of the prediction's shape (one-hot from labels)
_DISTRIBUTION = ("class_probs_or_log_probs", "class_probs_or_logits")


def _decl(name: str) -> Declaration:
    if not isinstance(name, str):
        raise TypeError(f"`name` must be the name of a losses_xp function (str); got "
                        f"{type(name).__name__}")
    try:
        decl = declaration(name)
    except KeyError:
        decl = None
    if decl is None or decl.name not in adapted():
        raise ValueError(f"`name` must be a loss or metric of losses_xp (one of "
                         f"{', '.join(sorted(adapted()))}, or an alias); got {name!r}")
    return decl


def _prediction_kind(decl: Declaration, options: Mapping[str, Any]) -> str:
    """The declaration's prediction kind, a switched one resolved by its option's value
    (its default where not given)."""
    kind = decl.prediction
    if kind in SWITCHED:
        option, kinds = SWITCHED[kind]
        value = options.get(option, _default(decl, option))
        kind = kinds[bool(value)]
    return kind


def _default(decl: Declaration, option: str) -> Any:
    """The default value of the function's option."""
    return inspect.signature(decl.fn).parameters[option].default


def _label_metric(decl: Declaration) -> bool:
    """A metric (nothing differentiable) without a class axis compares hard labels."""
    return not decl.differentiable and decl.class_axis == "none"


def _class_axis(decl: Declaration, options: Mapping[str, Any]) -> bool:
    if decl.class_axis == "optional":
        return options.get("axis") is not None
    return decl.class_axis == "axis"


def response_method(name: str, **options: Any) -> str | tuple[str, ...]:
    """The estimator method(s) whose output the loss ``name`` takes as its prediction
    (the table of the module docstring), given the loss's ``options``.

    Parameters
    ----------
    name : str
        A function of ``losses_xp`` that reduces (a loss or a metric), or an alias.
    **options
        Its options as they will be passed; only those that switch the prediction's
        kind matter (``from_logits``, ``log_input``).

    Returns
    -------
    str or tuple of str
        The method's name, or the methods to try in order (scikit-learn's
        ``response_method``).

    Examples
    --------
    >>> import losses_xp.sklearn as lxs
    >>> lxs.response_method("categorical_cross_entropy")
    'predict_proba'
    >>> lxs.response_method("any_loss", from_logits=True)
    'decision_function'
    >>> lxs.response_method("hamming_loss"), lxs.response_method("mse_loss")
    ('predict', 'predict')
    """
    decl = _decl(name)
    if _label_metric(decl):
        return "predict"
    kind = _prediction_kind(decl, options)
    if kind == "embeddings":
        return ("transform",) if decl.target == "row_labels" else "predict"
    return RESPONSE_METHODS[kind]


def _classes(y: np.ndarray, n: int, labels: Any, what: str) -> np.ndarray:
    """The sorted classes of ``y`` (or ``labels``), which must be ``n`` of them."""
    classes = np.asarray(labels) if labels is not None else np.unique(y)
    if classes.shape != (n,):
        hint = "" if labels is not None else " (pass `labels=`, e.g. the estimator's classes_)"
        raise ValueError(f"`y_true` must have the {n} classes of {what}; got "
                         f"{classes.size} classes {classes.tolist()}{hint}")
    return classes


def _encode(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each label of ``y`` as its index in ``classes``."""
    order = np.argsort(classes, kind="stable")
    pos = np.searchsorted(classes, y, sorter=order)
    pos = np.minimum(pos, classes.size - 1)
    found = classes[order][pos] == y
    if not np.all(found):
        unknown = np.unique(y[~found]).tolist()
        raise ValueError(f"`y_true` has labels {unknown} that are not among the classes "
                         f"{classes.tolist()}")
    return np.asarray(order[pos], dtype=np.int64)


def _indices(y: np.ndarray, n: int, labels: Any, ignore: Any) -> np.ndarray:
    """``y`` as class indices in [0, n): as they are where they are (or ``ignore``),
    else encoded."""
    if labels is None and y.dtype.kind in "iu":
        valid = (y >= 0) & (y < n)
        if ignore is not None:
            valid |= y == ignore
        if np.all(valid):
            return y
    return _encode(y, _classes(y, n, labels, f"{n} prediction columns"))


def _positive(y: np.ndarray, pos_label: Any, labels: Any) -> np.ndarray:
    """``y == positive class`` (bool); the positive class is ``pos_label``, else the
    last of the two sorted classes (scikit-learn's ``classes_[-1]``)."""
    if pos_label is None:
        pos_label = _classes(y, 2, labels, "a binary classifier")[-1]
    return np.asarray(y == pos_label)


def _two_columns(kind: str, col: np.ndarray) -> np.ndarray:
    """A binary classifier's one column as the two class columns of ``kind``."""
    if kind in ("probs", "class_probs"):
        return np.stack([1.0 - col, col], axis=-1)
    if kind in ("log_probs", "log_prob_sequences"):
        return np.stack([np.log1p(-np.exp(col)), col], axis=-1)
    return np.stack([np.zeros_like(col), col], axis=-1)  # logits, scores: softmax = sigmoid


def _is_unit(y: np.ndarray) -> bool:
    return y.dtype == bool or (y.dtype.kind in "iuf" and bool(np.all((y >= 0) & (y <= 1))))


def _convert(decl: Declaration, options: Mapping[str, Any], y_true: Any, y_pred: Any,
             pos_label: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(prediction, target)`` for the loss from scikit-learn's ``(y_true, y_pred)``."""
    pred, true = np.asarray(y_pred), np.asarray(y_true)
    if _label_metric(decl):
        if pred.dtype.kind not in "biuf" or true.dtype.kind not in "biuf":
            classes = np.unique(np.concatenate([true.ravel(), pred.ravel()]))
            pred, true = _encode(pred, classes), _encode(true, classes)
        return pred, true
    kind = _prediction_kind(decl, options)
    target = decl.target or ""
    classes_axis = _class_axis(decl, options)
    if target not in (*_INDEX, *_DISTRIBUTION, "binary", "sign"):
        return pred, true
    if classes_axis and pred.ndim == 1 and true.shape == pred.shape:  # a binary column
        pred = _two_columns(kind, pred)
        if pos_label is not None or not _is_unit(true):
            true = _positive(true, pos_label, labels).astype(np.int64)
    if target in _INDEX and classes_axis and true.ndim < pred.ndim:
        ignore = (options.get("ignore_index", _default(decl, "ignore_index"))
                  if "ignore_index" in decl.options else None)
        return pred, _indices(true, pred.shape[-1], labels, ignore)
    if pred.ndim == true.ndim + 1:  # labels against class rows: one-hot
        idx = _indices(true, pred.shape[-1], labels, None)
        return pred, np.eye(pred.shape[-1], dtype=pred.dtype)[idx]
    if true.shape != pred.shape or target not in ("binary", "binary_or_index", "sign"):
        return pred, true  # (probability targets of the prediction's shape)
    if target == "sign":
        if pos_label is None and true.dtype.kind in "iuf" and bool(np.all(np.abs(true) == 1)):
            return pred, true
        return pred, np.where(_positive(true, pos_label, labels), 1.0, -1.0)
    if pos_label is None and _is_unit(true):
        return pred, true
    return pred, _positive(true, pos_label, labels).astype(pred.dtype)


def metric(name: str, *, reduction: str | None = None, **options: Any
           ) -> Callable[..., float]:
    """The loss ``name`` as a target-first metric: ``score(y_true, y_pred, *,
    sample_weight=None, pos_label=None, labels=None, **inputs) -> float``.

    Parameters
    ----------
    name : str
        A loss or metric of losses_xp (an alias too), e.g. ``"cross_entropy"``.
    reduction : {'mean', 'sum'}, optional
        Default: ``mean`` (the loss's only reduction where it has no ``mean``).
    **options
        The loss's options (``k=3``, ``from_logits=True``, ``weight=...``).

    Returns
    -------
    callable
        ``score(y_true, y_pred, ...)``: the converted inputs (module docstring) passed
        to ``losses_xp.<name>(prediction, target, *inputs, **options)``, as a float.
        ``pos_label``: the positive class of a binary target (default: the larger
        label, as scikit-learn's ``classes_[-1]``); ``labels``: every class in the
        prediction columns' order; ``sample_weight``: the loss's per-sample weights;
        ``inputs``: its further positional arrays by name (``var=``).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx, losses_xp.sklearn as lxs
    >>> proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    >>> y = np.array([0, 2])
    >>> ce = lxs.metric("categorical_cross_entropy")
    >>> ce(y, proba) == float(lx.categorical_cross_entropy(proba, y))
    True
    >>> lxs.metric("top_k_accuracy", k=2)(np.array(["a", "c"]), proba, labels=["a", "b", "c"])
    1.0
    """
    decl = _decl(name)
    if reduction is None:
        reduction = "mean" if "mean" in decl.reductions else decl.reductions[0]
    if reduction not in ("mean", "sum") or reduction not in decl.reductions:
        scalar = [r for r in decl.reductions if r in ("mean", "sum")]
        raise ValueError(f"`reduction` must be one of {scalar} for {decl.name} (a scorer "
                         f"returns one number); got {reduction!r}")
    weight_option = next((o for o, k in decl.options.items() if k == "sample_weight"), None)

    def score(y_true: Any, y_pred: Any, *, sample_weight: Any = None, pos_label: Any = None,
              labels: Any = None, **inputs: Any) -> float:
        prediction, target = _convert(decl, options, y_true, y_pred, pos_label, labels)
        if sorted(inputs) != sorted(decl.inputs):
            raise TypeError(f"{decl.name} takes the further inputs {list(decl.inputs)} as "
                            f"keyword arguments; got {sorted(inputs)}")
        kwargs = dict(options)
        if sample_weight is not None:
            if weight_option is None:
                raise TypeError(f"{decl.name} has no per-sample weight option: "
                                f"`sample_weight` must be None; got "
                                f"{type(sample_weight).__name__}")
            kwargs[weight_option] = np.asarray(sample_weight, dtype=np.float64)
        extra = [np.asarray(inputs[n]) for n in decl.inputs]
        value = decl.call(prediction, target, *extra, reduction=reduction, **kwargs)
        return float(value)

    score.__name__ = score.__qualname__ = decl.name if name == decl.name else name
    score.__doc__ = (f"losses_xp.{name} as a target-first metric: "
                     f"score(y_true, y_pred) -> float ({reduction}).")
    return score


def make_scorer(name: str, *, response_method: str | tuple[str, ...] | None = None,
                reduction: str | None = None, pos_label: Any = None,
                **options: Any) -> Any:
    """A scikit-learn scorer (``sklearn.metrics.make_scorer``) of the loss ``name``.

    Parameters
    ----------
    name : str
        A loss or metric of losses_xp (or an alias).
    response_method : str or tuple of str, optional
        The estimator method(s) to call; default :func:`response_method` of the loss.
    reduction : {'mean', 'sum'}, optional
        As in :func:`metric`.
    pos_label : optional
        The positive class of a binary classifier: which ``predict_proba`` /
        ``decision_function`` column scikit-learn hands over, and which label is 1.
    **options
        The loss's options, as in :func:`metric` (``labels=`` too).

    Returns
    -------
    sklearn scorer
        ``greater_is_better`` False for a loss (the score is the negated loss, as
        ``neg_log_loss``), True for an accuracy (``losses_xp._adapters.higher_is_better``).

    Examples
    --------
    >>> import numpy as np, losses_xp.sklearn as lxs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> X = np.array([[0.0], [0.3], [1.0], [1.4], [2.1], [2.5], [0.8], [1.9]])
    >>> y = np.array([0, 0, 1, 1, 1, 1, 0, 1])
    >>> ours = cross_val_score(LogisticRegression(), X, y, cv=2,
    ...                        scoring=lxs.make_scorer("binary_cross_entropy"))
    >>> theirs = cross_val_score(LogisticRegression(), X, y, cv=2, scoring="neg_log_loss")
    >>> bool(np.allclose(ours, theirs, rtol=1e-12))
    True
    """
    decl = _decl(name)
    labels = options.pop("labels", None)
    score = metric(name, reduction=reduction, **options)
    method = response_method if response_method is not None else _method(name, options)
    if isinstance(method, str) and method not in ("predict", "predict_proba",
                                                  "decision_function"):
        method = (method,)  # scikit-learn takes other method names in a sequence
    kwargs: dict[str, Any] = {}
    if pos_label is not None:
        kwargs["pos_label"] = pos_label
    if labels is not None:
        kwargs["labels"] = labels
    return sklearn.metrics.make_scorer(score, response_method=method,
                                       greater_is_better=higher_is_better(decl), **kwargs)


def _method(name: str, options: Mapping[str, Any]) -> str | tuple[str, ...]:
    return response_method(name, **options)


def scorers() -> dict[str, Any]:
    """One scorer per loss and alias with its default options, by scikit-learn's naming:
    ``neg_<name>`` for a loss (lower is better), ``<name>`` for an accuracy.

    Examples
    --------
    >>> import losses_xp.sklearn as lxs
    >>> s = lxs.scorers()
    >>> s["neg_cross_entropy"], s["top_k_accuracy"]  # doctest: +ELLIPSIS
    (make_scorer(cross_entropy, greater_is_better=False, response_method='decision_function'), \
make_scorer(top_k_accuracy, response_method=('decision_function', 'predict_proba')))
    """
    out: dict[str, Any] = {}
    for decl in adapted().values():
        for name in (decl.name, *decl.aliases):
            key = name if higher_is_better(decl) else f"neg_{name}"
            out[key] = make_scorer(name)
    return out
