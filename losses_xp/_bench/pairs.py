"""The table of native counterparts: every loss the bench times, in every mode.

This is the one module of the bench that names losses.  Each :class:`Pair` is one loss of
this package and its native counterpart in one mode; the per-loss choices of the method
(which losses carry the headline performance target and its ratio, which are compiled,
which are timed under each value-check mode, focal's alpha and gamma, top-k's k) are
constants here too.  A bench pair for a new loss is a row in the lists below, and nothing
else.

A pair whose native is a *timing baseline* rather than the same loss (the softmax focal
loss against ``F.cross_entropy``: PyTorch has no softmax focal loss) carries a
``reference``, an independent formula of our loss: the agreement check compares ours with
the reference, the timing compares ours with the native.

The losses are looked up by name in the enclosing package (found relatively), so that a
vendored copy under another name benchmarks itself.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["COMPILED", "HEADLINE", "QUICK_COMPILED", "VALUE_CHECKED", "Pair", "all_losses",
           "jax_pairs", "numpy_pairs", "sklearn_pairs", "torch_pairs"]

#: the losses with a headline target, PyTorch eager from 1e6 elements on: the largest ratio
#: ours / native that counts as met (docs/benchmarks.md)
HEADLINE: dict[str, float] = {
    "cross_entropy": 1.0, "nll_loss": 1.0, "binary_cross_entropy": 1.0,
    "binary_cross_entropy_with_logits": 1.0, "mse_loss": 1.0, "l1_loss": 1.0,
    "huber_loss": 1.0, "smooth_l1_loss": 1.0,
    "sigmoid_focal_loss": 0.8,  # against torchvision's formula (one softplus: 0.68 measured)
    "softmax_focal_loss": 1.2,  # against F.cross_entropy, a timing baseline (see Pair)
    # catalogue wave 1: the losses with a torch.nn.functional counterpart
    "kl_div": 1.0, "poisson_nll_loss": 1.0, "gaussian_nll_loss": 1.0,
    "distillation_loss": 1.0,  # against F.kl_div of the two log_softmax rows
    # catalogue wave 2: the losses with a torch.nn.functional counterpart
    "soft_margin_loss": 1.0, "hinge_embedding_loss": 1.0, "margin_ranking_loss": 1.0,
    "multi_margin_loss": 1.0, "multilabel_soft_margin_loss": 1.0,
    "cosine_embedding_loss": 1.0, "triplet_margin_loss": 1.0,
}
#: the losses timed under each value-check mode (PyTorch eager, forward): those whose
#: inputs' values are checked (probabilities, binary targets, class indices)
VALUE_CHECKED = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
                 "nll_loss", "sigmoid_focal_loss")
#: the losses timed under torch.compile (compiling takes seconds per shape)
COMPILED = ("sigmoid_focal_loss", "binary_cross_entropy_with_logits", "cross_entropy",
            "mse_loss", "huber_loss")
QUICK_COMPILED = ("mse_loss",)  # --quick: this one, forward only, at the smallest size
FOCAL_ALPHA, FOCAL_GAMMA = 0.25, 2.0
TOP_K = 5

# the package whose losses are timed: the parent of this subpackage, whatever its name
_package = importlib.import_module("..", __package__)


@dataclass(frozen=True)
class Pair:
    """One loss of losses_xp and its native counterpart, called with the same arrays.

    ``kind`` names the inputs (see :func:`make_inputs`); the first array is the one
    differentiated in the forward+backward pass.  ``reference`` (named ``reference_name``):
    where ``native`` is another loss, timed only, an independent formula of ours that the
    agreement check compares ours with instead.
    """

    loss: str
    native_name: str
    kind: str
    ours: Callable[..., Any]
    native: Callable[..., Any]
    grad: bool = True
    reference: Callable[..., Any] | None = None
    reference_name: str = ""


def _ours(loss: str) -> Callable[..., Any]:
    """The package's function ``loss``."""
    fn: Callable[..., Any] = getattr(_package, loss)
    return fn


def _pair(loss: str, native_name: str, kind: str, native: Callable[..., Any],
          grad: bool = True) -> Pair:
    """The pair of our ``loss`` called with its defaults."""
    return Pair(loss, native_name, kind, _ours(loss), native, grad)


def _default(loss: str, parameter: str) -> Any:
    """The default of ``parameter`` in our ``loss`` (what a reference formula must use)."""
    return inspect.signature(_ours(loss)).parameters[parameter].default


def _focal() -> Callable[..., Any]:
    """Our sigmoid focal loss with the alpha and gamma of every native focal loss here."""
    loss = _ours("sigmoid_focal_loss")

    def focal(x: Any, t: Any) -> Any:
        return loss(x, t, alpha=FOCAL_ALPHA, gamma=FOCAL_GAMMA)

    return focal


def all_losses() -> set[str]:
    """Every loss that has a native counterpart in some mode (NumPy has all but the metrics;
    scikit-learn's natives are not called here, so it need not be installed)."""
    return {p.loss for p in [*numpy_pairs(), *sklearn_pairs(None)]}


# --------------------------------------------------------------------------- NumPy


def _np_bce_logits(x: np.ndarray, t: np.ndarray) -> Any:
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))))


def _np_bce(p: np.ndarray, t: np.ndarray) -> Any:
    eps = np.finfo(p.dtype).eps
    q = np.clip(p, eps, 1 - eps)
    return -np.mean(t * np.log(q) + (1 - t) * np.log1p(-q))


def _np_listnet(s: np.ndarray, y: np.ndarray) -> Any:
    """ListNet of lists with a relevant item each: logsumexp(s) - sum(p * s), p = y / sum y."""
    m = np.max(s, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(s - m), axis=1))
    return np.mean(lse - np.sum(y / np.sum(y, axis=1, keepdims=True) * s, axis=1))


def _np_huber(p: np.ndarray, t: np.ndarray, delta: float = 1.0) -> Any:
    d = np.abs(p - t)
    return np.mean(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)))


def _np_smooth_l1(p: np.ndarray, t: np.ndarray, beta: float = 1.0) -> Any:
    d = np.abs(p - t)
    return np.mean(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta))


def _np_mse(p: np.ndarray, t: np.ndarray) -> Any:
    d = p - t
    return np.mean(d * d)


def _np_log_cosh(p: np.ndarray, t: np.ndarray) -> Any:
    a = np.abs(p - t)  # log cosh e = |e| + log1p(exp(-2|e|)) - log 2, finite for every e
    return np.mean(a + np.log1p(np.exp(-2 * a)) - np.float32(math.log(2.0)))


def _np_cross_entropy(x: np.ndarray, t: np.ndarray) -> Any:
    z = x - x.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    return np.mean(lse - np.take_along_axis(z, t[:, None], axis=1)[:, 0])


def _np_poly1() -> Callable[..., Any]:
    """Our Poly-1 cross-entropy with its default epsilon, from its definition
    -log p_y + epsilon (1 - p_y)."""
    epsilon = _default("poly1_cross_entropy", "epsilon")  # (read once: not timed)

    def poly1(x: np.ndarray, t: np.ndarray) -> Any:
        z = x - x.max(axis=1, keepdims=True)
        logp = np.take_along_axis(z, t[:, None], axis=1)[:, 0] - np.log(np.exp(z).sum(axis=1))
        return np.mean(-logp + epsilon * (1 - np.exp(logp)))

    return poly1


def _np_nll(logp: np.ndarray, t: np.ndarray) -> Any:
    return -np.mean(np.take_along_axis(logp, t[:, None], axis=1))


def _np_kl(logq: np.ndarray, t: np.ndarray) -> Any:
    pos = t > 0  # (0 log 0 = 0)
    terms = np.where(pos, t * (np.log(np.where(pos, t, 1)) - logq), 0)
    return np.mean(np.sum(terms, axis=1))


def _np_log_softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    out: np.ndarray = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


def _np_distillation(s: np.ndarray, t: np.ndarray) -> Any:
    """KL(softmax(t) || softmax(s)) per sample, averaged (temperature 1, our default)."""
    log_q, log_p = _np_log_softmax(s), _np_log_softmax(t)
    return np.mean(np.sum(np.exp(log_p) * (log_p - log_q), axis=1))


#: the smoothing of the smooth_labels pairs (it has no default: a required argument)
SMOOTHING = 0.1


def _smooth_labels() -> Callable[..., Any]:
    """Our smooth_labels with alpha = SMOOTHING."""
    smooth = _ours("smooth_labels")

    def smoothed(y: Any) -> Any:
        return smooth(y, SMOOTHING)

    return smoothed


def _np_focal(x: np.ndarray, t: np.ndarray, alpha: float = FOCAL_ALPHA,
              gamma: float = FOCAL_GAMMA) -> Any:
    p = 1 / (1 + np.exp(-x))
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return np.mean(loss)


def _np_softmax_focal() -> Callable[..., Any]:
    """Our softmax focal loss with its defaults (no alpha), from its definition."""
    gamma = _default("softmax_focal_loss", "gamma")  # (read once: not timed)

    def softmax_focal(x: np.ndarray, t: np.ndarray) -> Any:
        z = x - x.max(axis=1, keepdims=True)
        logp = np.take_along_axis(z, t[:, None], axis=1)[:, 0] - np.log(np.exp(z).sum(axis=1))
        return np.mean(-((1 - np.exp(logp)) ** gamma) * logp)

    return softmax_focal


def _np_gaussian_nll(x: np.ndarray, t: np.ndarray, var: np.ndarray) -> Any:
    v = np.maximum(var, np.float32(_default("gaussian_nll_loss", "eps")))
    return np.mean(np.float32(0.5) * (np.log(v) + (x - t) ** 2 / v))


def _np_multi_margin(x: np.ndarray, t: np.ndarray) -> Any:
    # Weston-Watkins: sum over j != y of max(0, 1 - x_y + x_j), / C, mean over the rows
    z = np.maximum(1.0 - np.take_along_axis(x, t[:, None], axis=1) + x, 0.0)
    np.put_along_axis(z, t[:, None], 0.0, axis=1)
    return np.mean(np.sum(z, axis=1) / x.shape[1])


def _np_multiclass_hinge(x: np.ndarray, t: np.ndarray) -> Any:
    # Crammer-Singer: max(0, 1 + max_{j!=y} x_j - x_y), mean over the rows
    hot = np.eye(x.shape[1], dtype=bool)[t]
    best_other = np.max(np.where(hot, -np.inf, x), axis=1)
    return np.mean(np.maximum(1.0 + best_other - x[hot], 0.0))


def _np_multilabel_soft_margin(x: np.ndarray, t: np.ndarray) -> Any:
    # mean over the labels and rows of t softplus(-x) + (1 - t) softplus(x)
    return np.mean(np.maximum(x, 0.0) - x * t + np.log1p(np.exp(-np.abs(x))))


def _np_cosine(p: np.ndarray, t: np.ndarray) -> Any:
    n = np.linalg.norm(p, axis=-1) * np.linalg.norm(t, axis=-1)
    return np.mean(1.0 - np.sum(p * t, axis=-1) / n)


def _np_cosine_embedding(x1: np.ndarray, x2: np.ndarray, y: np.ndarray) -> Any:
    cos = np.sum(x1 * x2, axis=-1) / (np.linalg.norm(x1, axis=-1) * np.linalg.norm(x2, axis=-1))
    return np.mean(np.where(y > 0, 1.0 - cos, np.maximum(cos, 0.0)))


def _np_triplet(a: np.ndarray, p: np.ndarray, n: np.ndarray) -> Any:
    eps = np.float32(1e-6)
    d_pos = np.linalg.norm(a - p + eps, axis=-1)
    d_neg = np.linalg.norm(a - n + eps, axis=-1)
    return np.mean(np.maximum(1.0 + d_pos - d_neg, 0.0))


def numpy_pairs() -> list[Pair]:
    """Ours on NumPy arrays against direct NumPy formulas."""
    return [
        _pair("mse_loss", "np: mean((p-t)**2)", "regression", _np_mse),
        _pair("l1_loss", "np: mean(abs(p-t))", "regression",
              lambda p, t: np.mean(np.abs(p - t))),
        _pair("huber_loss", "np: where(abs(e)<1, ...)", "regression", _np_huber),
        _pair("smooth_l1_loss", "np: where(abs(e)<1, ...)", "regression", _np_smooth_l1),
        _pair("log_cosh_loss", "np: abs(e)+log1p(exp(-2abs(e)))-log 2", "regression",
              _np_log_cosh),
        _pair("binary_cross_entropy", "np: clip + log/log1p", "probs", _np_bce),
        _pair("binary_cross_entropy_with_logits", "np: max(x,0)-xt+log1p(exp(-abs(x)))",
              "logits", _np_bce_logits),
        _pair("cross_entropy", "np: shifted log-softmax + take_along_axis", "classes",
              _np_cross_entropy),
        _pair("nll_loss", "np: take_along_axis", "log_probs", _np_nll),
        _pair("poly1_cross_entropy", "np: -log p_y + eps (1 - p_y) from log-softmax",
              "classes", _np_poly1()),
        _pair("kl_div", "np: sum(where(t>0, t*(log t-logq), 0)) / N", "distributions", _np_kl),
        _pair("softmax_ranking_loss", "np: mean(logsumexp(s) - sum(y / sum(y) * s))", "ranking",
              _np_listnet),
        Pair("sigmoid_focal_loss", "np: torchvision formula", "logits", _focal(), _np_focal),
        _pair("softmax_focal_loss", "np: -(1-p_y)**gamma log p_y from log-softmax", "classes",
              _np_softmax_focal()),
        _pair("poisson_nll_loss", "np: mean(exp(x)-t*x)", "regression",
              lambda x, t: np.mean(np.exp(x) - t * x)),
        _pair("gaussian_nll_loss", "np: mean(log(v)+(x-t)**2/v)/2, v=max(var,eps)", "gaussian",
              _np_gaussian_nll),
        _pair("distillation_loss", "np: mean(sum(p_t (log p_t - log p_s)))", "logit_pairs",
              _np_distillation),
        Pair("smooth_labels", "np: (1-a) y + a/K", "class_rows", _smooth_labels(),
             lambda y: (1 - SMOOTHING) * y + SMOOTHING / y.shape[-1], grad=False),
        _pair("hinge_loss", "np: mean(maximum(1-y*s, 0))", "signs",
              lambda s, y: np.mean(np.maximum(1 - y * s, 0))),
        _pair("squared_hinge_loss", "np: mean(maximum(1-y*s, 0)**2)", "signs",
              lambda s, y: np.mean(np.maximum(1 - y * s, 0) ** 2)),
        _pair("soft_margin_loss", "np: mean(logaddexp(0, -y*s))", "signs",
              lambda s, y: np.mean(np.logaddexp(0, -y * s))),
        _pair("hinge_embedding_loss", "np: mean(where(y>0, x, maximum(1-x, 0)))", "signs",
              lambda x, y: np.mean(np.where(y > 0, x, np.maximum(1 - x, 0)))),
        _pair("margin_ranking_loss", "np: mean(maximum(-y*(a-b), 0))", "ranked_pairs",
              lambda a, b, y: np.mean(np.maximum(-y * (a - b), 0))),
        # catalogue wave 2: the multi-class margins
        _pair("multi_margin_loss", "np: sum_{j!=y} max(0, 1-x_y+x_j) / C", "classes",
              _np_multi_margin),
        _pair("multiclass_hinge_loss", "np: max(0, 1 + max_{j!=y} x_j - x_y)", "classes",
              _np_multiclass_hinge),
        _pair("multilabel_soft_margin_loss", "np: mean(max(x,0)-xt+log1p(exp(-abs(x))))",
              "logits", _np_multilabel_soft_margin),
        _pair("cosine_distance", "np: mean(1 - sum(p t) / (|p| |t|))", "embedding_pairs",
              _np_cosine),
        _pair("cosine_embedding_loss", "np: mean(where(y > 0, 1 - cos, max(cos, 0)))",
              "embedding_signs", _np_cosine_embedding),
        _pair("triplet_margin_loss", "np: mean(max(1 + |a-p+eps| - |a-n+eps|, 0))",
              "triplets", _np_triplet),
    ]


# --------------------------------------------------------------------------- scikit-learn


def sklearn_pairs(metrics: Any) -> list[Pair]:
    """The metrics against ``sklearn.metrics`` (``metrics``), on NumPy arrays, no gradient."""
    top_k = _ours("top_k_accuracy")

    def sk_top_k(scores: np.ndarray, t: np.ndarray) -> Any:
        return metrics.top_k_accuracy_score(t, scores, k=TOP_K,
                                            labels=np.arange(scores.shape[1]))

    tweedie = _ours("tweedie_deviance")
    return [
        _pair("hamming_loss", "sklearn.metrics.hamming_loss", "labels",
              lambda pred, true: metrics.hamming_loss(true, pred), grad=False),
        Pair("top_k_accuracy", f"sklearn.metrics.top_k_accuracy_score (k={TOP_K})", "classes",
             lambda s, t: top_k(s, t, k=TOP_K), sk_top_k, grad=False),
        # (2-d inputs: scikit-learn's uniform average over the columns is the overall mean)
        _pair("pinball_loss", "sklearn.metrics.mean_pinball_loss (alpha=0.5)", "regression",
              lambda pred, true: metrics.mean_pinball_loss(true, pred), grad=False),
        # the regression metrics (target first there), on positive values: every domain
        # (the deviances take 1-d inputs only: raveled, a view)
        _pair("mape_loss", "sklearn.metrics.mean_absolute_percentage_error", "positive",
              lambda p, t: metrics.mean_absolute_percentage_error(t, p), grad=False),
        _pair("msle_loss", "sklearn.metrics.mean_squared_log_error", "positive",
              lambda p, t: metrics.mean_squared_log_error(t, p), grad=False),
        _pair("poisson_deviance", "sklearn.metrics.mean_poisson_deviance", "positive",
              lambda p, t: metrics.mean_poisson_deviance(t.ravel(), p.ravel()),
              grad=False),
        _pair("gamma_deviance", "sklearn.metrics.mean_gamma_deviance", "positive",
              lambda p, t: metrics.mean_gamma_deviance(t.ravel(), p.ravel()),
              grad=False),
        Pair("tweedie_deviance", "sklearn.metrics.mean_tweedie_deviance (power=1.5)",
             "positive", lambda p, t: tweedie(p, t, power=1.5),
             lambda p, t: metrics.mean_tweedie_deviance(t.ravel(), p.ravel(), power=1.5),
             grad=False),
    ]


# --------------------------------------------------------------------------- PyTorch


def torch_pairs(torch: Any) -> list[Pair]:
    """The losses against ``torch.nn.functional`` (and torchvision's focal formula)."""
    F = torch.nn.functional

    def tv_focal(x: Any, t: Any, alpha: float = FOCAL_ALPHA, gamma: float = FOCAL_GAMMA) -> Any:
        # torchvision.ops.sigmoid_focal_loss (reduction="mean"), written inline
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        p_t = p * t + (1 - p) * (1 - t)
        loss = ce * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * t + (1 - alpha) * (1 - t)
            loss = alpha_t * loss
        return loss.mean()

    gamma = _default("softmax_focal_loss", "gamma")

    def distillation(s: Any, t: Any) -> Any:
        # Hinton et al.'s loss at temperature 1 (our default), the teacher detached
        return F.kl_div(F.log_softmax(s, dim=1), F.log_softmax(t.detach(), dim=1),
                        log_target=True, reduction="batchmean")

    def softmax_focal(x: Any, t: Any) -> Any:
        # -(1 - p_y)^gamma log p_y with log p from F.log_softmax, averaged over the samples
        log_p = F.log_softmax(x, dim=1).gather(1, t[:, None])[:, 0]
        return (-((1 - log_p.exp()) ** gamma) * log_p).mean()

    return [
        _pair("cross_entropy", "F.cross_entropy", "classes", F.cross_entropy),
        _pair("binary_cross_entropy_with_logits", "F.binary_cross_entropy_with_logits",
              "logits", F.binary_cross_entropy_with_logits),
        _pair("binary_cross_entropy", "F.binary_cross_entropy", "probs",
              F.binary_cross_entropy),
        _pair("mse_loss", "F.mse_loss", "regression", F.mse_loss),
        _pair("l1_loss", "F.l1_loss", "regression", F.l1_loss),
        _pair("huber_loss", "F.huber_loss", "regression", F.huber_loss),
        _pair("smooth_l1_loss", "F.smooth_l1_loss", "regression", F.smooth_l1_loss),
        _pair("nll_loss", "F.nll_loss", "log_probs", F.nll_loss),
        _pair("kl_div", 'F.kl_div(reduction="batchmean")', "distributions",
              lambda logq, t: F.kl_div(logq, t, reduction="batchmean")),
        Pair("sigmoid_focal_loss", "torchvision sigmoid_focal_loss (inline)", "logits",
             _focal(), tv_focal),
        Pair("softmax_focal_loss", "F.cross_entropy", "classes", _ours("softmax_focal_loss"),
             F.cross_entropy, reference=softmax_focal,
             reference_name="-(1-p_y)**gamma log p_y from F.log_softmax"),
        _pair("poisson_nll_loss", "F.poisson_nll_loss", "regression", F.poisson_nll_loss),
        _pair("gaussian_nll_loss", "F.gaussian_nll_loss", "gaussian", F.gaussian_nll_loss),
        _pair("distillation_loss",
              'F.kl_div(log_softmax(s), log_softmax(t.detach()), log_target=True, "batchmean")',
              "logit_pairs", distillation),
        _pair("soft_margin_loss", "F.soft_margin_loss", "signs", F.soft_margin_loss),
        _pair("hinge_embedding_loss", "F.hinge_embedding_loss", "signs",
              F.hinge_embedding_loss),
        _pair("margin_ranking_loss", "F.margin_ranking_loss", "ranked_pairs",
              F.margin_ranking_loss),
        # catalogue wave 2: the multi-class margins
        _pair("multi_margin_loss", "F.multi_margin_loss", "classes", F.multi_margin_loss),
        _pair("multilabel_soft_margin_loss", "F.multilabel_soft_margin_loss", "logits",
              F.multilabel_soft_margin_loss),
        _pair("cosine_embedding_loss", "F.cosine_embedding_loss", "embedding_signs",
              F.cosine_embedding_loss),
        _pair("triplet_margin_loss", "F.triplet_margin_loss", "triplets",
              F.triplet_margin_loss),
    ]


# --------------------------------------------------------------------------- JAX


def jax_pairs(optax: Any) -> list[Pair]:
    """The losses against ``optax.losses`` (each averaged, as ours)."""
    L = optax.losses
    one_hot = importlib.import_module("jax").nn.one_hot
    epsilon = _default("poly1_cross_entropy", "epsilon")
    jnn, lax = importlib.import_module("jax.nn"), importlib.import_module("jax.lax")

    def distillation(s: Any, t: Any) -> Any:
        # Hinton et al.'s loss at temperature 1 (our default), the teacher stopped
        return L.kl_divergence_with_log_targets(
            jnn.log_softmax(s, axis=1), lax.stop_gradient(jnn.log_softmax(t, axis=1))).mean()

    def poly1(x: Any, t: Any) -> Any:
        # optax takes one-hot labels: the one-hot encoding is part of its call
        return L.poly_loss_cross_entropy(x, one_hot(t, x.shape[1], dtype=x.dtype),
                                         epsilon=epsilon).mean()

    return [
        _pair("cross_entropy", "optax softmax_cross_entropy_with_integer_labels", "classes",
              lambda x, t: L.softmax_cross_entropy_with_integer_labels(x, t).mean()),
        _pair("binary_cross_entropy_with_logits", "optax sigmoid_binary_cross_entropy",
              "logits", lambda x, t: L.sigmoid_binary_cross_entropy(x, t).mean()),
        Pair("sigmoid_focal_loss", "optax sigmoid_focal_loss", "logits", _focal(),
             lambda x, t: L.sigmoid_focal_loss(x, t, alpha=FOCAL_ALPHA,
                                               gamma=FOCAL_GAMMA).mean()),
        _pair("huber_loss", "optax huber_loss", "regression",
              lambda p, t: L.huber_loss(p, t, delta=1.0).mean()),
        _pair("log_cosh_loss", "optax log_cosh", "regression",
              lambda p, t: L.log_cosh(p, t).mean()),
        _pair("mse_loss", "optax squared_error", "regression",
              lambda p, t: L.squared_error(p, t).mean()),
        _pair("poly1_cross_entropy", "optax poly_loss_cross_entropy (one-hot labels)",
              "classes", poly1),
        _pair("kl_div", "optax kl_divergence", "distributions",
              lambda logq, t: L.kl_divergence(logq, t).mean()),
        _pair("distillation_loss", "optax kl_divergence_with_log_targets (teacher stopped)",
              "logit_pairs", distillation),
        _pair("hinge_loss", "optax hinge_loss", "signs",
              lambda s, y: L.hinge_loss(s, y).mean()),
        # (one relevant item of relevance 1 per list: optax's unnormalised labels and
        # its mean over the lists are ours there)
        _pair("softmax_ranking_loss", "optax ranking_softmax_loss", "ranking",
              lambda s, y: L.ranking_softmax_loss(s, y)),
        Pair("smooth_labels", "optax smooth_labels", "class_rows", _smooth_labels(),
             lambda y: L.smooth_labels(y, SMOOTHING), grad=False),
        # catalogue wave 2: the multi-class margins
        _pair("multiclass_hinge_loss", "optax multiclass_hinge_loss", "classes",
              lambda s, t: L.multiclass_hinge_loss(s, t).mean()),
        # embeddings (cosine, triplet): rows along the last axis
        _pair("cosine_distance", "optax cosine_distance", "embedding_pairs",
              lambda p, t: L.cosine_distance(p, t).mean()),
    ]
