"""Conformance specs (see :mod:`conformance.registry`) of the multilabel family.

Oracles (float64, independent of our code):

* ``multilabel_categorical_crossentropy``: the bert4keras reference formula (Su
  Jianlin's ``multilabel_categorical_crossentropy``: a ``1e12`` sentinel masks the
  other half of the classes, a zero is appended, ``logsumexp``) in PyTorch; exact in
  float64, also at the extreme logits of 1e4.  Gradients: PyTorch autograd.
* ``class_balanced_loss``: the official TensorFlow code (richardaecn/class-balanced-loss,
  ``src/cifar_main.py``: the effective-number weights of ``main``, the per-sample
  weights of ``_tower_fn``, ``focal_loss``) transcribed to PyTorch.
* ``class_balanced_weights``: the same official weight formula in NumPy.
* ``hamming_loss``: ``sklearn.metrics.hamming_loss`` on the binarised scores.
* ``top_k_accuracy``: ``sklearn.metrics.top_k_accuracy_score`` (per sample for
  ``reduction="none"``); a cross-check calls it once on the whole batch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from losses_xp._testing.cases import CATALOG

from .registry import Spec, Tol, _from_torch, _np_reduce, _t_reduce, _torch

EXACT = Tol(rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- ZLPR


def _zlpr_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """bert4keras ``multilabel_categorical_crossentropy`` (class axis moved last)::

        y_pred = (1 - 2 * y_true) * y_pred
        y_pred_neg = y_pred - y_true * 1e12
        y_pred_pos = y_pred - (1 - y_true) * 1e12
        zeros = zeros_like(y_pred[..., :1])
        neg_loss = logsumexp(concat([y_pred_neg, zeros]), -1)
        pos_loss = logsumexp(concat([y_pred_pos, zeros]), -1)
        return neg_loss + pos_loss
    """
    torch = _torch()
    axis = int(kw.get("axis", -1))
    s = t[0].movedim(axis, -1)
    y = t[1].to(torch.float64).movedim(axis, -1)
    y_pred = (1 - 2 * y) * s
    y_neg = y_pred - y * 1e12
    y_pos = y_pred - (1 - y) * 1e12
    zeros = torch.zeros_like(y_pred[..., :1])
    loss = (torch.logsumexp(torch.cat([y_neg, zeros], dim=-1), dim=-1)
            + torch.logsumexp(torch.cat([y_pos, zeros], dim=-1), dim=-1))
    return _t_reduce(loss, reduction)


# --------------------------------------------------------------------------- class-balanced


def _official_weights(n: np.ndarray, beta: float) -> np.ndarray:
    """``main`` of the official code, with a count of 0 taken as 1 (our documented
    choice; the official code divides by ``1 - β⁰ = 0``)::

        effective_num = 1.0 - np.power(beta, img_num_per_cls)
        weights = (1.0 - beta) / np.array(effective_num)
        weights = weights / np.sum(weights) * num_classes
    """
    n = np.maximum(np.asarray(n, dtype=np.float64), 1.0)
    effective_num = 1.0 - np.power(beta, n)
    weights = (1.0 - beta) / np.array(effective_num)
    return weights / np.sum(weights) * n.shape[0]


def _cb_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The official ``_tower_fn`` + ``focal_loss`` (class axis moved last).

    ``log1p(exp(-x))`` of the official modulator is evaluated as
    ``max(-x, 0) + log1p(exp(-|x|))`` (the same number; the literal form overflows
    ``exp`` for logits below -709 in float64).  Reductions: ``none`` is the per-sample
    ``Σ_c`` of the weighted loss, ``sum`` the official numerator, ``mean`` the
    official value (sigmoid/focal: divided by the number of positive labels; softmax:
    ``tf.losses.softmax_cross_entropy``'s SUM_BY_NONZERO_WEIGHTS, i.e. the mean over
    samples since every weight is positive).
    """
    torch = _torch()
    F = torch.nn.functional
    axis = int(kw.get("axis", -1))
    x = t[0].movedim(axis, -1)
    labels = t[1]
    C = x.shape[-1]
    beta = float(kw.get("beta", 0.9999))
    gamma = float(kw.get("gamma", 2.0))
    loss_type = kw.get("loss_type", "focal")
    w_class = torch.as_tensor(_official_weights(np.asarray(kw["samples_per_class"]), beta))
    one_hot = F.one_hot(labels, C).to(torch.float64)
    weights = (w_class * one_hot).sum(-1, keepdim=True).expand_as(one_hot)
    if loss_type == "softmax":
        ce = -(one_hot * torch.log_softmax(x, dim=-1)).sum(-1)
        loss = weights[..., 0] * ce
        if reduction == "mean":
            return loss.sum() / loss.numel()
        return _t_reduce(loss, reduction)
    bce = F.binary_cross_entropy_with_logits(x, one_hot, reduction="none")
    if loss_type == "focal" and gamma != 0.0:
        log1p_exp = torch.clamp(-x, min=0) + torch.log1p(torch.exp(-x.abs()))
        modulator = torch.exp(-gamma * one_hot * x - gamma * log1p_exp)
        bce = modulator * bce
    per_element = weights * bce
    if reduction == "mean":
        return per_element.sum() / one_hot.sum()
    return _t_reduce(per_element.sum(-1), reduction)


def _cb_weights_numpy(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                      reduction: str) -> np.ndarray:
    n = np.asarray(args[0], dtype=np.float64)
    beta = float(kwargs.get("beta", 0.9999))
    if beta == 0.0:  # 0**0 = 1 would divide by zero for a zero count
        return np.ones_like(n)
    return _official_weights(n, beta)


# --------------------------------------------------------------------------- metrics


def _hamming_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                     reduction: str) -> np.ndarray:
    from sklearn.metrics import hamming_loss

    x, y = np.asarray(args[0]), np.asarray(args[1])
    if x.size == 0:
        return np.asarray(math.nan)
    threshold = float(kwargs.get("threshold", 0.5))
    pred = (x > threshold).astype(np.int64) if x.dtype.kind == "f" else x.astype(np.int64)
    truth = (y > 0.5).astype(np.int64) if y.dtype.kind == "f" else (y != 0).astype(np.int64)
    if x.ndim > 1:
        pred, truth = pred.reshape(x.shape[0], -1), truth.reshape(x.shape[0], -1)
    sw = kwargs.get("sample_weight")
    sw = None if sw is None else np.asarray(sw, dtype=np.float64)
    return np.asarray(hamming_loss(truth, pred, sample_weight=sw), dtype=np.float64)


def _flat_scores(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    s, t = np.asarray(args[0], np.float64), np.asarray(args[1])
    s = np.moveaxis(s, int(kwargs.get("axis", -1)) % s.ndim, -1)
    return s.reshape(-1, s.shape[-1]), t.reshape(-1), int(kwargs.get("k", 1))


def _top_k_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray:
    """``sklearn.metrics.top_k_accuracy_score`` of each sample (``labels`` = every
    class), then our reductions."""
    from sklearn.metrics import top_k_accuracy_score

    s, t, k = _flat_scores(args, kwargs)
    labels = np.arange(s.shape[-1])
    hits = np.array([top_k_accuracy_score([ti], si[None, :], k=k, labels=labels)
                     for si, ti in zip(s, t, strict=True)], dtype=np.float64)
    return _np_reduce(hits.reshape(np.shape(args[1])), reduction)


def _top_k_sklearn_batch(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                         reduction: str) -> np.ndarray | None:
    """One call on the whole (flattened) batch: ``mean`` (normalize=True) and ``sum``
    (normalize=False)."""
    from sklearn.metrics import top_k_accuracy_score

    s, t, k = _flat_scores(args, kwargs)
    if reduction == "none" or t.size == 0:
        return None
    labels = np.arange(s.shape[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k >= C: "will result in a perfect score"
        value = top_k_accuracy_score(t, s, k=k, labels=labels, normalize=reduction == "mean")
    return np.asarray(value, dtype=np.float64)


# --------------------------------------------------------------------------- specs

SPECS: list[Spec] = [
    Spec(name="multilabel_categorical_crossentropy",
         entry=CATALOG["multilabel_categorical_crossentropy"],
         oracle=_from_torch(_zlpr_torch), torch_expr=_zlpr_torch, extreme_oracle=True,
         reference="bert4keras multilabel_categorical_crossentropy (1e12 sentinel) in "
                   "PyTorch float64",
         differences="None on 0/1 targets. The reference masks with a 1e12 sentinel, exact "
                     "in float64 but wrong in float16 (1e12 overflows to inf, inf - inf = "
                     "NaN) and needing a float64 sentinel under jax.jit; ours masks with "
                     "-inf and a shifted log-sum-exp (test_multilabel.py checks float16)."),
    Spec(name="class_balanced_loss", entry=CATALOG["class_balanced_loss"],
         oracle=_from_torch(_cb_torch), torch_expr=_cb_torch, extreme_oracle=True,
         reference="official TensorFlow class-balanced loss (richardaecn/class-balanced-loss "
                   "src/cifar_main.py) transcribed to PyTorch float64",
         differences="A class with 0 samples: the official weight is (1-β)/0 = inf; ours (and "
                     "the oracle's) counts it as 1 sample. The official modulator's "
                     "log1p(exp(-x)) overflows for x < -709 (float64), -88 (float32): the "
                     "oracle evaluates the same quantity stably; ours is finite for any "
                     "logit (a hard positive at -12 has modulator 1 in float16). Not the "
                     "popular PyTorch port (vandit15): its 'softmax' is a weighted BCE of "
                     "softmax probabilities, its mean divides by the element count."),
    Spec(name="class_balanced_weights", entry=CATALOG["class_balanced_weights"],
         oracle=_cb_weights_numpy, extreme_oracle=True,
         reference="official effective-number weights (richardaecn/class-balanced-loss "
                   "src/cifar_main.py main) in NumPy float64",
         differences="A count of 0 is taken as 1 (official: division by zero). Ours evaluates "
                     "1 - β^n as -expm1(n log β), no cancellation for β near 1; the "
                     "official 1 - np.power(β, n) loses ~1e-12 relative at β = 0.9999."),
    Spec(name="hamming_loss", entry=CATALOG["hamming_loss"],
         oracle=_hamming_sklearn, extreme_oracle=True,
         reference="sklearn.metrics.hamming_loss on (scores > threshold)",
         differences="scikit-learn takes hard labels and 1-d/2-d inputs only: the oracle "
                     "binarises the scores and flattens the label axes (N, ...) -> (N, L); an "
                     "empty input is NaN for us (scikit-learn raises). Scores are kept away "
                     "from the threshold so half-precision rounding cannot cross it."),
    Spec(name="top_k_accuracy", entry=CATALOG["top_k_accuracy"],
         oracle=_top_k_sklearn, extreme_oracle=True,
         reference="sklearn.metrics.top_k_accuracy_score per sample",
         differences="Ties: ours counts a class tied with the true one as not above it "
                     "(optimistic); scikit-learn's argsort order decides. The cases have no "
                     "ties in any dtype (levels 0.5 apart). Empty input: NaN mean, 0 sum "
                     "(scikit-learn raises). k >= C: 1 for every sample (scikit-learn warns).",
         cross_checks=(("sklearn.metrics.top_k_accuracy_score on the batch",
                        _top_k_sklearn_batch, EXACT),)),
]
