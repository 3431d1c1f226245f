"""losses_xp: loss functions written once against the Python array API standard.

Every loss accepts arrays of any array-API library that array-api-compat supports
(NumPy, PyTorch, JAX, CuPy, Dask, array-api-strict) and returns an array of the same
library, on the same device, in the input's floating dtype.

>>> import numpy as np, losses_xp as lx
>>> float(lx.mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
2.0

The public functions are those of the family modules' ``__all__``; each is declared
beside its definition (``losses_xp._declare``).  Besides them: ``__version__`` and the
two switches (``losses_xp._settings``): value checks (``value_checks``,
``set_value_checks``, ``get_value_checks``) and exact tails (``exact_tails``,
``set_exact_tails``, ``get_exact_tails``).
"""

from . import (
    anyloss,
    classification,
    divergence,
    embedding,
    focal,
    margin,
    metrics,
    multilabel,
    ranking,
    regression,
    segmentation,
    sequence,
    structured,
)
from ._settings import (
    exact_tails,
    get_exact_tails,
    get_value_checks,
    set_exact_tails,
    set_value_checks,
    value_checks,
)
from ._version import __version__
from .anyloss import *  # noqa: F403
from .classification import *  # noqa: F403
from .divergence import *  # noqa: F403
from .embedding import *  # noqa: F403
from .focal import *  # noqa: F403
from .margin import *  # noqa: F403
from .metrics import *  # noqa: F403
from .multilabel import *  # noqa: F403
from .ranking import *  # noqa: F403
from .regression import *  # noqa: F403
from .segmentation import *  # noqa: F403
from .sequence import *  # noqa: F403
from .structured import *  # noqa: F403

__all__ = ["__version__", "exact_tails", "get_exact_tails", "get_value_checks",
           "set_exact_tails", "set_value_checks", "value_checks"]
#: the public names that are not losses: the version and the two switches
_NOT_LOSSES = tuple(__all__)
__all__ += regression.__all__
__all__ += classification.__all__
__all__ += divergence.__all__
__all__ += focal.__all__
__all__ += multilabel.__all__
__all__ += margin.__all__
__all__ += embedding.__all__
__all__ += ranking.__all__
__all__ += segmentation.__all__
__all__ += sequence.__all__
__all__ += structured.__all__
__all__ += metrics.__all__
__all__ += anyloss.__all__
