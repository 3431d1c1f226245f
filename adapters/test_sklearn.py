"""``losses_xp.sklearn``: scorers inside scikit-learn, against scikit-learn's own."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import sklearn.metrics
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

import losses_xp as lx
import losses_xp.sklearn as lxs
from conformance.registry import SPECS
from losses_xp._adapters import adapted, higher_is_better

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def _data(classes: int, labels: Any = None) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(n_samples=90, n_features=6, n_informative=4,
                               n_classes=classes, random_state=0)
    return X, (y if labels is None else np.asarray(labels)[y])


def _cv(scoring: Any, X: np.ndarray, y: np.ndarray, model: Any = None) -> np.ndarray:
    model = LogisticRegression(max_iter=500) if model is None else model
    return cross_val_score(model, X, y, cv=3, scoring=scoring)


def test_an_lx_function_passed_straight_to_make_scorer_gives_nan() -> None:
    """The reason this module exists: scikit-learn calls ``f(y_true, y_pred)``, losses_xp
    is prediction-first, so the plain function fails inside the scorer and
    ``cross_val_score`` reports NaN (with a warning) instead of a loss."""
    X, y = _data(3)
    plain = sklearn.metrics.make_scorer(lx.categorical_cross_entropy, greater_is_better=False,
                                        response_method="predict_proba")
    with pytest.warns(UserWarning, match="Scoring failed"):
        scores = _cv(plain, X, y)
    assert np.isnan(scores).all()
    assert np.isfinite(_cv(lxs.make_scorer("categorical_cross_entropy"), X, y)).all()


LOG_LOSSES = ["categorical_cross_entropy", "cross_entropy", "nll_loss"]
BINARY_LOG_LOSSES = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize(("name", "classes"), [(n, c) for n in LOG_LOSSES for c in (2, 3)]
                         + [(n, 2) for n in BINARY_LOG_LOSSES])
def test_log_loss_scorers_equal_neg_log_loss(name: str, classes: int) -> None:
    """Each of our log losses, through the estimator method its prediction kind names
    (``predict_proba``, ``decision_function``, ``predict_log_proba``), equals
    scikit-learn's ``neg_log_loss`` on a fitted LogisticRegression (string labels on the
    binary task: encoded in ``classes_`` order, the positive class the last)."""
    X, y = _data(classes, ["no", "yes"] if classes == 2 else None)
    ours = _cv(lxs.make_scorer(name), X, y)
    np.testing.assert_allclose(ours, _cv("neg_log_loss", X, y), **TIGHT)
    assert (ours < 0).all()


def test_binary_pos_label_picks_the_column_and_the_label() -> None:
    """``pos_label`` = the first class: scikit-learn hands over that class's column, and
    our 0/1 target follows it; the loss is the same log loss."""
    X, y = _data(2, ["ham", "spam"])
    theirs = _cv("neg_log_loss", X, y)
    for name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        ours = _cv(lxs.make_scorer(name, pos_label="ham"), X, y)
        np.testing.assert_allclose(ours, theirs, **TIGHT)


def test_hamming_scorer_equals_sklearns_on_a_multilabel_estimator() -> None:
    X, Y = make_multilabel_classification(n_samples=80, n_features=8, n_classes=4,
                                          random_state=0)
    model = KNeighborsClassifier(n_neighbors=5)
    theirs = _cv(sklearn.metrics.make_scorer(sklearn.metrics.hamming_loss,
                                             greater_is_better=False), X, Y, model)
    ours = _cv(lxs.make_scorer("hamming_loss"), X, Y, model)
    np.testing.assert_allclose(ours, theirs, **TIGHT)
    assert (ours < 0).all()
    # and by sample weight, as sklearn.metrics.hamming_loss weighs samples
    model.fit(X[:60], Y[:60])
    w = np.linspace(0.5, 2.0, 20)
    scorer = lxs.make_scorer("hamming_loss")
    expected = -sklearn.metrics.hamming_loss(Y[60:], model.predict(X[60:]), sample_weight=w)
    assert scorer(model, X[60:], Y[60:], sample_weight=w) == pytest.approx(expected, rel=1e-12)


def test_hamming_scorer_of_string_labels() -> None:
    X, y = _data(3, ["a", "b", "c"])
    ours = _cv(lxs.make_scorer("hamming_loss"), X, y)
    theirs = _cv(sklearn.metrics.make_scorer(sklearn.metrics.hamming_loss,
                                             greater_is_better=False), X, y)
    np.testing.assert_allclose(ours, theirs, **TIGHT)


@pytest.mark.parametrize("k", [1, 2])
def test_top_k_scorer_equals_sklearns(k: int) -> None:
    X, y = _data(4)
    theirs = _cv(sklearn.metrics.make_scorer(
        sklearn.metrics.top_k_accuracy_score, k=k,
        response_method=("decision_function", "predict_proba")), X, y)
    ours = _cv(lxs.make_scorer("top_k_accuracy", k=k), X, y)
    np.testing.assert_allclose(ours, theirs, **TIGHT)
    assert (ours > 0).all()  # greater is better: not negated
    if k == 2:  # scikit-learn's own named scorer (k=2)
        np.testing.assert_allclose(ours, _cv("top_k_accuracy", X, y), **TIGHT)


def test_regression_scorer_equals_neg_mean_squared_error() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=60)
    cv = KFold(3)
    ours = cross_val_score(Ridge(), X, y, cv=cv, scoring=lxs.make_scorer("mse_loss"))
    theirs = cross_val_score(Ridge(), X, y, cv=cv, scoring="neg_mean_squared_error")
    np.testing.assert_allclose(ours, theirs, **TIGHT)
    ours = cross_val_score(Ridge(), X, y, cv=cv, scoring=lxs.make_scorer("mae_loss"))
    theirs = cross_val_score(Ridge(), X, y, cv=cv, scoring="neg_mean_absolute_error")
    np.testing.assert_allclose(ours, theirs, **TIGHT)


def test_every_adapted_loss_gets_a_scorer() -> None:
    """Generated from the declarations: one scorer per loss and alias, named and signed
    as scikit-learn names its own, calling a method scikit-learn knows."""
    scorers = lxs.scorers()
    expected = {}
    for decl in adapted().values():
        for name in (decl.name, *decl.aliases):
            expected[name if higher_is_better(decl) else f"neg_{name}"] = (name, decl)
    assert set(scorers) == set(expected)
    methods = {"predict", "predict_proba", "decision_function", "predict_log_proba",
               "transform"}
    for key, (_, decl) in expected.items():
        scorer = scorers[key]
        assert scorer._sign == (1 if higher_is_better(decl) else -1), key
        method = scorer._response_method
        assert set((method,) if isinstance(method, str) else method) <= methods, key
    assert scorers["neg_categorical_cross_entropy"]._response_method == "predict_proba"
    assert scorers["neg_sigmoid_focal_loss"]._response_method == "decision_function"
    assert scorers["neg_kl_div"]._response_method == ("predict_log_proba",)
    assert scorers["neg_hamming_loss"]._response_method == "predict"
    assert scorers["neg_contrastive_loss"]._response_method == ("transform",)
    assert scorers["neg_cosine_distance"]._response_method == "predict"
    # a switched kind follows its option's default (dice_loss: from_logits=True)
    assert lxs.response_method("dice_loss") == "decision_function"
    assert lxs.response_method("dice_loss", from_logits=False) == "predict_proba"
    assert lxs.response_method("poisson_nll_loss", log_input=False) == "predict"


def _two_d_cases(name: str) -> list[Any]:
    """Two 2-d value cases of the spec (a batch of samples, as scikit-learn hands over);
    a loss without one (CTC's 3-d sequences): its first case with a finite mean."""
    cases = [c for c in SPECS[name].entry.make_cases(np.random.default_rng(0))
             if "nan-mean" not in c.tags and "empty" not in c.tags]
    return [c for c in cases if "2d" in c.tags][:2] or cases[:1]


@pytest.mark.parametrize("name", sorted(adapted()))
def test_every_metric_computes_exactly_the_function(name: str) -> None:
    """On the conformance spec's 2-d cases (inputs already in the loss's format: the
    conversions leave them as they are), the target-first metric is the function's
    mean (or its only reduction), as a float."""
    decl = adapted()[name]
    cases = _two_d_cases(name)
    assert cases, name
    reduction = "mean" if "mean" in decl.reductions else decl.reductions[0]
    for case in cases:
        prediction, target, *extra = case.args
        inputs = dict(zip(decl.inputs, extra, strict=True))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = float(decl.call(*case.args, reduction=reduction, **case.kwargs))
            got = lxs.metric(name, **case.kwargs)(target, prediction, **inputs)
        assert isinstance(got, float)
        np.testing.assert_array_equal(got, expected, err_msg=f"{name} {case.name}")


def test_metric_conversions_and_errors() -> None:
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
    ce = lxs.metric("categorical_cross_entropy")
    expected = float(lx.categorical_cross_entropy(proba, np.array([0, 1, 2])))
    assert ce(np.array([5, 7, 9]), proba) == expected  # labels in sorted order
    assert ce(np.array(["x", "z", "y"]), proba, labels=["x", "z", "y"]) == expected
    with pytest.raises(ValueError, match=r"must have the 3 classes.*pass `labels=`"):
        ce(np.array([5, 7, 7]), proba)
    with pytest.raises(ValueError, match=r"labels \['q'\] that are not among"):
        ce(np.array(["x", "q", "y"]), proba, labels=["x", "z", "y"])
    with pytest.raises(TypeError, match="no per-sample weight option: `sample_weight`"):
        ce(np.array([0, 1, 2]), proba, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="`name` must be a loss or metric"):
        lxs.metric("sparsemax")
    with pytest.raises(ValueError, match="`name` must be a loss or metric"):
        lxs.make_scorer("no_such_loss")
    # an ignored target stays ignored (not taken for a label to encode)
    logits = np.log(proba)
    y_ignored = np.array([0, -100, 2])
    assert lxs.metric("cross_entropy")(y_ignored, logits) == float(
        lx.cross_entropy(logits, y_ignored))
    with pytest.raises(TypeError, match="`name` must be the name"):
        lxs.make_scorer(lx.cross_entropy)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`reduction` must be one of \['mean'\]"):
        lxs.metric("hamming_loss", reduction="sum")
    assert lxs.metric("cross_entropy", reduction="sum")(np.array([0, 1]), proba[:2]) == \
        pytest.approx(2 * float(lx.cross_entropy(proba[:2], np.array([0, 1]))), rel=1e-14)
    # binary labels: a sign target and a one-hot target from class labels
    d = np.array([1.5, -0.3, 0.2])
    hinge = lxs.metric("hinge_loss")
    assert hinge(np.array(["n", "p", "p"]), d) == float(lx.hinge_loss(d, np.array([-1, 1, 1])))
    assert hinge(np.array([0, 1, 1]), d, pos_label=1) == hinge(np.array([-1, 1, 1]), d)
    bce = lxs.metric("binary_cross_entropy")
    onehot = np.eye(3)[[0, 1, 2]]
    assert bce(np.array([0, 1, 2]), proba) == float(lx.binary_cross_entropy(proba, onehot))
    kl = lxs.metric("kl_div")
    logp = np.log(proba)
    assert kl(np.array([0, 1, 2]), logp) == float(lx.kl_div(logp, onehot))
    # a binary log-probability column becomes two columns
    lp = np.log(np.array([0.8, 0.3]))
    two = np.log(np.array([[0.2, 0.8], [0.7, 0.3]]))
    assert lxs.metric("nll_loss")(np.array([1, 0]), lp) == pytest.approx(
        float(lx.nll_loss(two, np.array([1, 0]))), rel=1e-14)
    # further inputs by name
    var = np.full(3, 0.5)
    gnll = lxs.metric("gaussian_nll_loss")
    assert gnll(np.zeros(3), d, var=var) == float(lx.gaussian_nll_loss(d, np.zeros(3), var))
    with pytest.raises(TypeError, match=r"takes the further inputs \['var'\]"):
        gnll(np.zeros(3), d)


def test_scorer_options_labels_and_method() -> None:
    """``labels=`` reaches the metric through scikit-learn's scorer kwargs; a method
    scikit-learn's ``make_scorer`` only takes in a sequence is wrapped in one."""
    X, y = _data(3, ["a", "b", "c"])
    model = LogisticRegression(max_iter=500).fit(X, y)
    scorer = lxs.make_scorer("nll_loss", response_method="predict_log_proba",
                             labels=["a", "b", "c"])
    assert scorer._response_method == ("predict_log_proba",)
    Xs, ys = X[y != "a"][:9], y[y != "a"][:9]  # a fold without class "a": labels= needed
    expected = -sklearn.metrics.log_loss(ys, model.predict_proba(Xs), labels=["a", "b", "c"])
    assert scorer(model, Xs, ys) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="must have the 3 classes"):
        lxs.make_scorer("nll_loss")(model, Xs, ys)

