"""One declaration per public function: what its arguments are and what it supports.

Every public loss is decorated with :func:`declare`, beside its definition::

    @declare(prediction="regression", target="real", options={"weight": "element_weight"},
             zero_at_target=True, peers={"keras": ("keras.losses.MeanSquaredLogarithmicError",)})
    def msle_loss(prediction, target, *, weight=None, reduction="mean"): ...

The decorator returns the function itself (no wrapper: nothing is added to a call) and
records a :class:`Declaration`.  Everything that needs to know about the public losses
reads the declarations instead of a list of names: ``losses_xp.__all__``, the
conformance matrix and its support cells, the error catalogue, the property-based
fuzzing, the unit tests' loss lists, the API reference, the migration-page checks and
``python -m losses_xp check``.  The vocabulary of the declaration language is below
(:data:`PREDICTION_KINDS`, :data:`TARGET_KINDS`, :data:`OPTION_KINDS`, :data:`UNITS`,
:data:`GROWTHS`); a declaration that uses a word outside it, or whose options are not
exactly the function's keyword options, fails at import.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "BACKENDS",
    "GROWTHS",
    "INPUT_KINDS",
    "OPTION_KINDS",
    "PEER_PAGES",
    "PREDICTION_KINDS",
    "REDUCTIONS",
    "SWITCHED",
    "TARGET_KINDS",
    "TRANSFORMS",
    "UNITS",
    "Declaration",
    "declaration",
    "declarations",
    "declare",
    "make_declaration",
]

REDUCTIONS = ("none", "mean", "sum")

#: the kinds of prediction (the first positional argument)
PREDICTION_KINDS: dict[str, str] = {
    "regression": "real values (with the target: the error grows with them)",
    "logits": "real scores, any finite value",
    "scores": "real scores that are only compared (thresholded or ranked)",
    "probs": "independent probabilities in [0, 1], exactly 0 and 1 included",
    "class_probs": "rows of class probabilities along the class axis (each sums to 1)",
    "labels": "class targets to transform (not a prediction): probability rows along the "
              "class axis (floating), or integer class indices with num_classes=",
    "log_probs": "log-probabilities along the class axis (finite, <= 0)",
    "counts": "non-negative counts, one per class (1-d)",
    "probs_or_logits": "probabilities, or logits with the option from_logits=True",
    "log_rates_or_rates": "log-rates (any real value: the loss grows like exp), or rates "
                          ">= 0 with the option log_input=False",
    "positive": "real values > 0 (a mean or a rate: the Tweedie deviances; a power option "
                "of kind tweedie_power may widen it, power 0 taking any real value)",
    "above_minus_one": "real values > -1 (their log1p is taken: the squared log error)",
    "class_probs_or_logits": "rows of class probabilities along the class axis, or logits "
                             "with the option from_logits=True",
    "embeddings": "rows of real vectors along `axis` (the last by default; real floating)",
    "log_prob_sequences": "log-probabilities over C classes (a blank among them) per time "
                          "step: (N, T, C) batch-major, (T, N, C) with time_axis=0 (CTC)",
}

#: the prediction kinds whose meaning a flag option switches: kind -> (the option, the
#: kind for each of its values)
SWITCHED: dict[str, tuple[str, dict[bool, str]]] = {
    "probs_or_logits": ("from_logits", {False: "probs", True: "logits"}),
    "class_probs_or_logits": ("from_logits", {False: "class_probs", True: "logits"}),
    "log_rates_or_rates": ("log_input", {True: "log_rates", False: "rates"}),
}

#: the kinds of target (the second positional argument)
TARGET_KINDS: dict[str, str] = {
    "real": "real values of the prediction's shape (floating, integer or bool)",
    "binary": "values in [0, 1] of the prediction's shape: hard 0/1 (floating, integer or "
              "bool) or soft (floating)",
    "index": "integer class indices of the prediction's shape without the class axis",
    "index_or_probs": "class indices, or class-probability rows of the prediction's shape",
    "binary_or_index": "binary with axis=None, class indices with an axis",
    "nonzero": "real values of the prediction's shape that a relative error divides by "
               "(floating or integer): the generated cases have no zero, where the value "
               "depends on the dtype's eps",
    "positive": "real values > 0 of the prediction's shape (floating or integer)",
    "non_negative": "real values >= 0 of the prediction's shape, zeros included (floating, "
                    "integer or bool): counts",
    "above_minus_one": "real values > -1 of the prediction's shape (floating, integer or bool)",
    "class_probs_or_log_probs": "class-probability rows of the prediction's shape, or "
                                "log-probability rows with the option log_target=True",
    "class_probs_or_logits": "class-probability rows of the prediction's shape, or logits "
                             "with the option from_logits=True (as the prediction)",
    "logits": "logits of the prediction's shape (another model's: a teacher's; or the "
              "second scores of a pair, margin_ranking_loss's x2)",
    "sign": "labels in {-1, +1} of the prediction's shape (any real dtype), or bool (True = "
            "+1); a 0 (0/1 labels) is refused with the conversion to use",
    "row_labels": "one integer label per row of the prediction (its shape without `axis`): "
                  "rows with one label are positives of each other",
    "embeddings": "rows of real vectors of the prediction's shape (real floating: keys for "
                  "the queries, the positive of a triplet, the second of a cosine pair)",
    "relevance": "graded relevance >= 0 of the prediction's shape (floating, integer or "
                 "bool), the lists along the axis (ranking: a larger value is more relevant)",
    "label_sequences": "padded label sequences (N, S): integer class indices in [0, C), "
                       "sequence n its first target_lengths[n] entries, any integer after "
                       "them (CTC)",
}

#: the kinds of the further positional arrays after the target (``inputs``)
INPUT_KINDS: dict[str, str] = {
    "variance": "variances >= 0 of the prediction's shape, of that shape without its last "
                "axis, or with one axis of size 1 (a variance shared along it; PyTorch's "
                "gaussian_nll_loss shapes)",
    "sign": "labels in {-1, +1} of the prediction's shape (any real dtype), or bool (True = "
            "+1): margin_ranking_loss's target",
    "sample_sign": "one -1 or +1 per row: the prediction's shape without `axis` (real "
                   "numeric, or bool with True = +1; cosine_embedding_loss's target)",
    "embeddings": "rows of real vectors of the prediction's shape (real floating; the "
                  "triplet loss's negative)",
    "input_lengths": "one integer length per sequence in [0, T], shape (N,): the frames "
                     "of each sequence of log_prob_sequences (CTC)",
    "target_lengths": "one integer length per sequence in [0, S], shape (N,): the labels "
                      "of each row of label_sequences (CTC)",
}

#: the kinds of keyword option; a tuple of values instead of a kind is a choice among them
OPTION_KINDS: dict[str, str] = {
    "axis": "the class axis: an int in [-ndim, ndim), or None (the default): the last axis, "
            "a ValueError where a class-index target fits axis 1 too",
    "axis_or_none": "None (binary / multi-label inputs) or the class axis",
    "element_weight": "weights >= 0 broadcastable to the prediction (array, list or number)",
    "pos_weight": "weights >= 0 broadcast against the prediction from the right",
    "class_weight": "one weight >= 0 per class, shape (C,) (array or list)",
    "sample_weight": "one weight >= 0 per sample (the first axis), shape (N,)",
    "class_alpha": "None, a float in [0, 1] or one factor per class (array or list)",
    "alpha": "None or a float in [0, 1]",
    "gamma": "a focusing exponent >= 0 (int 0, float 0.0, below and above 1)",
    "smoothing": "a label-smoothing float in [0, 1]",
    "positive": "a float > 0",
    "norm_p": "a float >= 1 (a norm's degree; math.inf: the largest magnitude)",
    "steepness": "a float L > 0 that scales an input before a sigmoid: a relative error "
                 "of the input grows up to L / 4 times in the result (its condition number)",
    "non_negative": "a float >= 0",
    "real": "any finite float (a margin that may be negative)",
    "unit": "a float in [0, 1]",
    "eps": "a float in (0, 1]",
    "eps_or_none": "None (a default derived from the input dtype) or a float in (0, 1]",
    "poly_epsilon": "a float >= -1 (Poly-1's coefficient: the loss stays >= 0)",
    "beta_cb": "a float in [0, 1) (class-balanced beta)",
    "ignore_index": "an int: the default -100, a class index or another negative value",
    "ignore_index_or_none": "None (the default: nothing ignored) or an int: target values "
                            "equal to it count nowhere (a class index, 255, -1 ...)",
    "counts": "one non-negative count per class (array or list)",
    "flag": "a bool",
    "threshold": "a float in the range of the scores",
    "k": "an int >= 1",
    "num_classes": "None or the number of classes K, an int >= 1 (required with class "
                   "indices, the class axis' length with probability rows)",
    "like": "None or an array whose library and floating dtype the result takes",
    "quantile": "a float in (0, 1), or a 1-D array (or sequence) of Q levels in (0, 1): the "
                "prediction then has a last axis of length Q and the target the "
                "prediction's shape without it",
    "mask": "None or a bool array of the prediction's shape, False for an item that is not "
            "in its list (ranking's `where`)",
    "tweedie_power": "the Tweedie power, a float <= 0 or >= 1 (0 normal, 1 Poisson, 2 gamma): "
                     "it sets the domain of the prediction and the target",
    "temperature": "a float > 0 that divides similarities before a softmax",
    "row_labels": "None or one integer label per row of the prediction (an array): rows "
                  "with one label are positives of each other",
    "class_index": "an int in [0, C), one class of the prediction's last axis (CTC's blank)",
    "key_rows": "None or the keys gathered from every process: a real floating array of "
                "the prediction's layout with M rows (the prediction's rows among them, "
                "from row_offset on); given with an option of kind key_labels",
    "key_labels": "None or one integer label per row of the option of kind key_rows, shape "
                  "(M,); given with it",
    "row_offset": "an int >= 0 (default 0), or a 0-d integer array (a traced rank's offset): "
                  "the key row of the prediction's first row (row i's own key is row i + "
                  "row_offset); rows + row_offset must not exceed the key rows",
}

#: what one value of ``reduction="none"`` covers, which also fixes the mean's denominator
UNITS: dict[str, str] = {
    "element": "one value per element of the prediction; mean = sum / number of elements",
    "sample": "one value per sample (the class axis reduced); mean = sum / number of samples",
    "kept": "one value per sample; with class indices mean = sum / (summed class weights "
            "of the targets that are not ignore_index), with class probabilities as "
            "'sample'",
    "class": "one value per class (multi-class 'macro'), else one scalar; mean = sum / C",
    "batch": "one value for the whole batch (no reduction argument)",
    "anchor": "one value per row (an anchor of a contrastive loss; 0 for a row without a "
              "positive); mean = sum / number of rows with a positive, 0 where none has",
    "kept_image": "one value per sample (the target's first axis; its other axes, the "
                  "pixels, reduced) with per_sample=True, else one value for the batch; "
                  "mean = sum / number of samples with a pixel that is not ignored, 0 where "
                  "none has (NaN for an empty batch)",
    "list": "one value per list (the axis reduced); mean = sum / number of lists that rank "
            "something (a valid item more relevant than another valid one), 0 where none "
            "does (NaN for an empty batch)",
    "image": "one value per sample (the first axis that is not the class axis; every other "
             "axis reduced) with per_sample=True, or one value for the pooled batch with "
             "per_sample=False; mean = sum / number of values (NaN for an empty batch)",
    "sequence": "one value per sequence (N,); mean = sum over sequences of the value "
                "divided by its target length clamped at 1, / N (PyTorch's CTC mean; NaN "
                "for N = 0)",
}

#: how fast the exact loss can grow with the inputs' magnitude (property tests keep the
#: exact value representable in the dtype: beyond it inf is the right answer);
#: ``exponential``: like exp(x) (a log-rate's Poisson likelihood); ``relative``: linear in
#: the error, divided by a target clamped at the dtype's eps (a relative error: up to
#: |e| / eps, e.g. ``mape_loss`` at a zero target)
GROWTHS = ("exponential", "quadratic", "linear", "bounded", "relative")

#: the array libraries a declaration may exclude (``unsupported``), as the conformance
#: suite and ``python -m losses_xp check`` name them
BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask", "cupy")
#: the transformations a declaration may exclude: gradients (PyTorch autograd,
#: ``jax.grad``), ``jax.jit`` / ``torch.compile(fullgraph=True)``, ``jax.vmap``, Dask
#: without computing
TRANSFORMS = ("grad", "compile", "vmap", "lazy")

#: the migration guides (``docs/migration/<page>.md``) a declaration's ``peers`` map to
PEER_PAGES = ("pytorch", "optax", "keras", "sklearn")


@dataclass(frozen=True)
class Declaration:
    """What one public function is, as :func:`declare` recorded it.

    Attributes
    ----------
    name : str
        The function's name (``losses_xp.<name>``); ``aliases`` are other public names
        of the same function.
    fn : callable
        The function.
    prediction, target : str
        Keys of :data:`PREDICTION_KINDS` and :data:`TARGET_KINDS` (``target`` ``None``:
        no second argument).
    inputs : mapping
        The further positional arrays after the target, in order: their name -> kind (a
        key of :data:`INPUT_KINDS`), e.g. the ``var`` of the Gaussian NLL.  They may be
        in ``differentiable`` (position 2 onwards).
    class_axis : {'none', 'axis', 'optional'}
        Element-wise (no class axis), a class axis given by the ``axis`` option, or a
        class axis only when ``axis`` is not ``None``.
    options : mapping
        Every option but ``reduction`` (keyword-only, or positional after the target):
        its kind (a key of :data:`OPTION_KINDS`) or a tuple of the values to choose from.
    reductions : tuple of str
        The reductions the function has; for a function without a ``reduction``
        parameter (``takes_reduction`` False), the one its result corresponds to.
    differentiable : tuple of int
        Positional arguments a gradient is taken with respect to (empty for metrics).
    growth, unit : str
        One of :data:`GROWTHS` and :data:`UNITS`.
    zero_at_target : bool
        The loss is exactly 0 where the prediction equals the target (regression).
    signed : bool
        The loss can be negative (a negative log-likelihood without its normalising
        constant, e.g. PyTorch's Poisson and Gaussian NLL, or PyTorch's hinge embedding
        loss of a negative distance); else it is >= 0 everywhere.
    min_ndim, max_ndim : int
        The prediction's number of dimensions.
    tuple_output : bool
        The function returns a tuple of same-shaped arrays.
    sorts : bool
        The function sorts along an axis (sparsemax its class axis, the Lovász losses
        their pixels): on Dask that axis must be one chunk (a
        ``ValueError`` that names the argument otherwise, ``_validation.one_chunk_along``).
        The conformance suite then passes its Dask arrays in one chunk
        (``losses_xp._testing.backends.one_chunk``); the function's spec checks the
        chunked-axis error and chunks along the other axes itself.
    peers : mapping
        Migration page (one of :data:`PEER_PAGES`) -> the peer's names for this function,
        as the page writes them.  Empty: no peer library has it (``no_peer`` says why).
    unsupported : mapping
        A backend (:data:`BACKENDS`) or transformation (:data:`TRANSFORMS`) that the
        function does not support -> why.  The support matrix and the conformance suite
        read it (a loss is either run and checked there, or excluded with this reason).
    """

    name: str
    fn: Callable[..., Any] = field(repr=False)
    prediction: str
    target: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    class_axis: str = "none"
    options: Mapping[str, Any] = field(default_factory=dict)
    reductions: tuple[str, ...] = REDUCTIONS
    differentiable: tuple[int, ...] = (0,)
    growth: str = "linear"
    unit: str = "element"
    zero_at_target: bool = False
    signed: bool = False
    min_ndim: int = 0
    max_ndim: int = 4
    tuple_output: bool = False
    sorts: bool = False
    aliases: tuple[str, ...] = ()
    peers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    no_peer: str = ""
    unsupported: Mapping[str, str] = field(default_factory=dict)

    @functools.cached_property
    def takes_reduction(self) -> bool:
        """Whether the function has a ``reduction`` parameter."""
        return "reduction" in inspect.signature(self.fn).parameters

    @property
    def module(self) -> str:
        """The public module that defines the function (``regression``, ``focal`` ...)."""
        return self.fn.__module__.rsplit(".", 1)[-1]

    def supports(self, what: str) -> bool:
        """Whether the backend or transformation ``what`` is supported."""
        if what == "grad" and not self.differentiable:
            return False
        return what not in self.unsupported

    def reason(self, what: str) -> str:
        """Why ``what`` (a backend or transformation) is not supported ('' if it is)."""
        if what == "grad" and not self.differentiable:
            return f"{self.name} is not differentiable (a metric or class weights): values only"
        return self.unsupported.get(what, "")

    def call(self, *args: Any, reduction: str, **kwargs: Any) -> Any:
        """``fn(*args, reduction=reduction, **kwargs)`` (``reduction`` is dropped for a
        function without one); a tuple output is returned as it is."""
        if self.takes_reduction:
            return self.fn(*args, reduction=reduction, **kwargs)
        return self.fn(*args, **kwargs)

    def problems(self) -> list[str]:
        """What in this declaration is not in the vocabulary or not the function's
        signature (empty: fine)."""
        out = []
        if self.prediction not in PREDICTION_KINDS:
            out.append(f"unknown prediction kind {self.prediction!r}")
        if self.target is not None and self.target not in TARGET_KINDS:
            out.append(f"unknown target kind {self.target!r}")
        if self.class_axis not in ("none", "axis", "optional"):
            out.append(f"unknown class_axis {self.class_axis!r}")
        out += [f"input {k!r}: unknown kind {v!r}" for k, v in self.inputs.items()
                if v not in INPUT_KINDS]
        if self.inputs and self.target is None:
            out.append("further inputs need a target")
        out += [f"option {k!r}: unknown kind {v!r}" for k, v in self.options.items()
                if not isinstance(v, tuple) and v not in OPTION_KINDS]
        if self.prediction in SWITCHED and SWITCHED[self.prediction][0] not in self.options:
            out.append(f"prediction kind {self.prediction!r} needs the option "
                       f"{SWITCHED[self.prediction][0]!r}")
        if self.growth not in GROWTHS:
            out.append(f"unknown growth {self.growth!r}")
        if self.unit not in UNITS:
            out.append(f"unknown unit {self.unit!r}")
        out += [f"unknown reduction {r!r}" for r in self.reductions if r not in REDUCTIONS]
        out += [f"peers: unknown page {p!r}" for p in self.peers if p not in PEER_PAGES]
        if not self.peers and not self.no_peer:
            out.append("no peers and no `no_peer` reason")
        out += [f"unsupported: unknown backend or transformation {k!r}"
                for k in self.unsupported if k not in BACKENDS + TRANSFORMS]
        params = inspect.signature(self.fn).parameters
        positional = 2 if self.target is not None else 1
        if list(params)[positional:positional + len(self.inputs)] != list(self.inputs):
            out.append(f"inputs {list(self.inputs)} are not the function's positional "
                       f"arguments after the target")
        positional += len(self.inputs)
        options = {n for n in list(params)[positional:] if n != "reduction"}
        if set(self.options) != options:
            out.append(f"options {sorted(self.options)} are not the function's "
                       f"{sorted(options)}")
        return out


_DECLARED: dict[str, Declaration] = {}

F = TypeVar("F", bound=Callable[..., Any])


def declare(**kinds: Any) -> Callable[[F], F]:
    """Record the :class:`Declaration` of the decorated function (returned unchanged).

    The keywords are :class:`Declaration`'s attributes but ``name`` and ``fn``.  A
    declaration with :meth:`Declaration.problems` raises ``TypeError`` at import.
    """
    def record(fn: F) -> F:
        _DECLARED[fn.__name__] = make_declaration(fn, **kinds)
        return fn
    return record


#: the attribute of a declared function that holds its :class:`Declaration`
ATTRIBUTE = "__losses_xp_declaration__"


def make_declaration(fn: Callable[..., Any], **kinds: Any) -> Declaration:
    """The :class:`Declaration` of ``fn`` (``TypeError`` naming each problem), also kept
    as its attribute :data:`ATTRIBUTE` (the function is otherwise unchanged)."""
    decl = Declaration(name=fn.__name__, fn=fn, **kinds)
    problems = decl.problems()
    if problems:
        raise TypeError(f"declaration of {fn.__name__}: " + "; ".join(problems))
    setattr(fn, ATTRIBUTE, decl)
    return decl


def declarations() -> dict[str, Declaration]:
    """Every declared public function by its name, aliases excluded, in the order of
    the modules' definitions."""
    return dict(_DECLARED)


def declaration(name: str) -> Declaration:
    """The declaration of a public name (an alias gives its function's declaration)."""
    if name in _DECLARED:
        return _DECLARED[name]
    for decl in _DECLARED.values():
        if name in decl.aliases:
            return decl
    raise KeyError(f"{name!r} is not a declared public function of losses_xp")
