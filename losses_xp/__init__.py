"""losses_xp: loss functions written once against the Python array API standard.

Every loss accepts arrays of any array-API library that array-api-compat supports
(NumPy, PyTorch, JAX, CuPy, Dask, array-api-strict) and returns an array of the same
library, on the same device, in the input's floating dtype.

>>> import numpy as np, losses_xp as lx
>>> float(lx.mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
2.0
"""

from ._version import __version__
from .anyloss import any_loss, soft_confusion_matrix
from .classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    cross_entropy,
    nll_loss,
)
from .focal import sigmoid_focal_loss, softmax_focal_loss
from .metrics import hamming_loss, top_k_accuracy
from .multilabel import (
    asymmetric_loss,
    class_balanced_loss,
    class_balanced_weights,
    multilabel_categorical_crossentropy,
)
from .regression import (
    huber_loss,
    l1_loss,
    log_cosh_loss,
    mae_loss,
    mse_loss,
    rmse_loss,
    smooth_l1_loss,
)

__all__ = [
    "__version__",
    "any_loss",
    "asymmetric_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "class_balanced_loss",
    "class_balanced_weights",
    "cross_entropy",
    "hamming_loss",
    "huber_loss",
    "l1_loss",
    "log_cosh_loss",
    "mae_loss",
    "mse_loss",
    "multilabel_categorical_crossentropy",
    "nll_loss",
    "rmse_loss",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
    "soft_confusion_matrix",
    "softmax_focal_loss",
    "top_k_accuracy",
]
