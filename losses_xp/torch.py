"""PyTorch modules of the losses: one ``torch.nn.Module`` class per loss, generated.

``import losses_xp.torch`` (it imports PyTorch; ``import losses_xp`` alone never does)
gives a class for every function of ``losses_xp`` that reduces (the losses and the
metrics; the names of ``losses_xp._adapters.class_name``: ``cross_entropy`` ->
:class:`CrossEntropyLoss`, ``sigmoid_focal_loss`` -> :class:`SigmoidFocalLoss`,
``any_loss`` -> :class:`AnyLoss`, ``nll_loss`` -> :class:`NLLLoss`; an alias gets a
subclass of its own name, ``mae_loss`` -> :class:`MAELoss`).  Each is generated from the
function's declaration, so a new loss gets its module with nothing to write here:

* the constructor takes every option of the function as a keyword, with the function's
  names and defaults, and ``reduction`` (the function's default);
* the options that may be arrays fixed for the life of the criterion (a class
  ``weight``, ``pos_weight``, a per-class ``alpha``, ``samples_per_class``, the
  ``quantile`` levels) are registered as buffers when given as an array, list or tuple:
  they follow ``.to(device)``, ``.half()`` / ``.double()`` and are saved by
  ``state_dict()`` (a Python number stays a number, ``None`` stays ``None``, as
  ``torch.nn.CrossEntropyLoss`` keeps a ``weight`` of ``None``);
* ``forward`` takes the function's positional arrays in order (the prediction, the
  target, and the further inputs where the function has some, e.g. CTC's lengths or a
  triplet's negative) and, as keywords, only the options that describe one batch
  (an element ``weight``, ``sample_weight``, a ranking ``where``, InfoNCE's ``labels``);
  it calls the function, nothing else: the module computes exactly what the function
  does, under ``torch.compile(fullgraph=True)`` too.

An unknown keyword is a ``TypeError`` naming the class, the argument and the accepted
ones; an invalid value is the function's own error at the first call (naming the
option).  ``reduction="sum_and_count"`` (every function with a ``mean`` has it; the
losses of a pooled batch refuse it) is passed through: the module then returns the
function's pair ``(total, count)``, the numerator and the denominator of ``mean`` (the
recipe for a global mean under DDP and gradient accumulation:
``docs/frameworks/pytorch.md``).

Only relative imports: this module also works in a vendored copy under another name.

Examples
--------
>>> import torch
>>> from losses_xp.torch import CrossEntropyLoss
>>> criterion = CrossEntropyLoss(weight=[1.0, 2.0, 0.5], ignore_index=-1)
>>> criterion
CrossEntropyLoss(weight=tensor([1.0000, 2.0000, 0.5000]), ignore_index=-1)
>>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
>>> criterion(logits, torch.tensor([0, 1, -1]))  # torch.nn.CrossEntropyLoss's value
tensor(0.4242)
>>> sorted(criterion.double().state_dict())
['weight']
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from ._adapters import adapted, class_name, option_roles
from ._declare import Declaration

# the generated class names are appended at the end of the module
__all__ = ["CLASSES", "LossModule"]

#: a buffer option's value that becomes a tensor (a number stays a number)
_ARRAY_LIKE = (torch.Tensor, list, tuple)


def _is_array_like(value: Any) -> bool:
    """A tensor, list, tuple or an array of another library (NumPy ...)."""
    return isinstance(value, _ARRAY_LIKE) or hasattr(value, "__array__")


class LossModule(torch.nn.Module):  # type: ignore[misc,unused-ignore]
    """Base class of the generated modules: the options of one ``losses_xp`` function
    kept by a ``torch.nn.Module``, and a ``forward`` that calls the function.

    A subclass sets ``declaration`` and the class attributes derived from it (made by
    the module's generator, never written by hand).

    Attributes
    ----------
    declaration : losses_xp._declare.Declaration
        The declaration of the function the class calls.
    reduction : str
        The reduction passed to the function at each call.
    """

    declaration: ClassVar[Declaration]
    #: the constructor options (scalars and arrays, in the function's order) -> default
    _defaults: ClassVar[dict[str, Any]]
    #: the options that are buffers when given as arrays
    _buffers_of: ClassVar[tuple[str, ...]]
    #: the options of each call (``forward``'s keywords)
    _per_call: ClassVar[tuple[str, ...]]
    #: the names of ``forward``'s positional arrays (the function's)
    _positional: ClassVar[tuple[str, ...]]
    _default_reduction: ClassVar[str]

    def __init__(self, **options: Any) -> None:
        super().__init__()
        cls = type(self)
        name = cls.__name__
        accepted = [*cls._defaults, "reduction"]
        for key in options:
            if key not in accepted:
                where = (f" (an argument of each call: {name}()(..., {key}=...))"
                         if key in cls._per_call else "")
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}{where}; "
                                f"it accepts {_listed(accepted)}")
        missing = [k for k, d in cls._defaults.items()
                   if d is inspect.Parameter.empty and k not in options]
        if missing:
            raise TypeError(f"{name}() missing required keyword argument(s) "
                            f"{_listed(missing)}")
        for key, default in cls._defaults.items():
            value = options.get(key, default)
            if key in cls._buffers_of and (value is None or _is_array_like(value)):
                self.register_buffer(key, None if value is None else _as_buffer(value))
            else:
                setattr(self, key, value)
        reduction = options.get("reduction", cls._default_reduction)
        if not cls.declaration.takes_reduction and reduction != cls._default_reduction:
            # the function has no `reduction` argument: its one reduction, or an error here
            # (a reduction that the call would silently drop)
            raise ValueError(f"{name}: `reduction` must be {cls._default_reduction!r} "
                             f"({cls.declaration.name} has no other); got {reduction!r}")
        self.reduction = reduction

    def forward(self, *arrays: Any, **per_call: Any) -> Any:
        """The function of ``declaration`` on ``arrays`` (its positional arguments, in
        order), the constructor's options, ``reduction`` and the per-call options."""
        cls = type(self)
        if len(arrays) != len(cls._positional):
            raise TypeError(f"{cls.__name__}.forward() takes {len(cls._positional)} "
                            f"positional arrays ({', '.join(cls._positional)}); "
                            f"got {len(arrays)}")
        for key in per_call:
            if key not in cls._per_call:
                where = (f" (a constructor option: {cls.__name__}({key}=...))"
                         if key in cls._defaults or key == "reduction" else "")
                raise TypeError(f"{cls.__name__}.forward() got an unexpected keyword "
                                f"argument {key!r}{where}; it accepts "
                                f"{_listed(list(cls._per_call))}")
        options = {key: getattr(self, key) for key in cls._defaults}
        return cls.declaration.call(*arrays, reduction=self.reduction, **options, **per_call)

    def extra_repr(self) -> str:
        """The options that differ from the function's defaults (buffers: their values
        when short, else their shape and dtype)."""
        cls = type(self)
        parts = []
        for key, default in cls._defaults.items():
            value = getattr(self, key)
            if isinstance(value, torch.Tensor):
                shown = (repr(value) if value.numel() <= 8 and value.device.type != "meta"
                         else f"<tensor of shape {tuple(value.shape)}, {value.dtype}, "
                              f"{value.device}>")
                parts.append(f"{key}={shown}")
            elif not _same(value, default):
                parts.append(f"{key}={value!r}")
        if self.reduction != cls._default_reduction:
            parts.append(f"reduction={self.reduction!r}")
        return ", ".join(parts)


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except Exception:  # pragma: no cover - an option value whose == is not a bool
        return False


def _as_buffer(value: Any) -> torch.Tensor:
    """A tensor as it is (``torch.nn.CrossEntropyLoss`` keeps the user's ``weight``); a
    list, tuple or array as a tensor, floating numbers in PyTorch's default dtype."""
    if isinstance(value, torch.Tensor):
        return value
    tensor = torch.as_tensor(value)
    if tensor.is_floating_point() and not hasattr(value, "dtype"):
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


def _listed(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names) if names else "none"


def _summary(fn: Any) -> str:
    """The first paragraph of a docstring, on one line; its cross-references to the
    package's names (``:func:`mse_loss```, written in ``losses_xp``) qualified so that
    they resolve from this module."""
    lines = []
    for line in inspect.cleandoc(fn.__doc__ or "").splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return _ROLE.sub(r":\1:`\2losses_xp.\3`", " ".join(lines))


#: a Sphinx role whose target has no module (``:func:`mse_loss```, ``:func:`~x```)
_ROLE = re.compile(r":(func|class|data|obj):`(~?)([A-Za-z_][A-Za-z0-9_]*)`")


def _docstring(decl: Declaration, name: str, cls_name: str) -> str:
    """The class docstring: the function's summary, what goes where, a pointer."""
    scalars, arrays, per_call = option_roles(decl)
    params = inspect.signature(decl.fn).parameters
    positional = list(params)[:len(_positional_names(decl))]
    also = "" if name == decl.name else f" (``losses_xp.{name}`` is an alias of it)"
    lines = [
        _summary(decl.fn),
        "",
        f"The ``torch.nn.Module`` of :func:`losses_xp.{decl.name}`{also}, generated from its "
        f"declaration: ``{cls_name}(**options)(" + ", ".join(positional)
        + (", " + ", ".join(f"{k}=..." for k in per_call) if per_call else "")
        + f")`` returns ``losses_xp.{decl.name}(" + ", ".join(positional)
        + "".join(f", {k}=..." for k in per_call)
        + ", **options, reduction=reduction)``; the function's docstring is the "
        "specification (the formula, every option, the denominator of ``mean``).",
        "",
        "Parameters",
        "----------",
    ]
    for key in (k for k in params if k in scalars or k in arrays):
        default = params[key].default
        said = ("required" if default is inspect.Parameter.empty
                else f"default ``{default!r}``")
        lines.append(f"{key} : optional" if default is not inspect.Parameter.empty
                     else f"{key} : array or list")
        if key in arrays:
            lines.append(f"    The function's ``{key}`` ({said}); given as an array, list "
                         "or tuple it is a buffer (it follows ``.to()``, ``.half()`` and is "
                         "in ``state_dict()``).")
        else:
            lines.append(f"    The function's ``{key}`` ({said}).")
    choices = "``'" + "'``, ``'".join(decl.reductions) + "'``"
    default_reduction = _reduction_default(decl)
    lines += ["reduction : str, optional",
              f"    {choices} (default ``{default_reduction!r}``), as the function's."]
    if per_call:
        lines += ["", "Notes", "-----",
                  "The options of one batch are keywords of each call, not of the "
                  "constructor: " + ", ".join(f"``{k}``" for k in per_call) + "."]
    lines += ["", "See Also", "--------", f"losses_xp.{decl.name}"]
    return "\n".join(lines) + "\n"


def _positional_names(decl: Declaration) -> tuple[str, ...]:
    params = list(inspect.signature(decl.fn).parameters)
    count = 1 + (decl.target is not None) + len(decl.inputs)
    return tuple(params[:count])


def _reduction_default(decl: Declaration) -> str:
    params = inspect.signature(decl.fn).parameters
    if "reduction" in params:
        return str(params["reduction"].default)
    return decl.reductions[0]


def _make(decl: Declaration, name: str, base: type[LossModule]) -> type[LossModule]:
    """The class of ``decl`` named after ``name`` (the function's or an alias's)."""
    scalars, arrays, per_call = option_roles(decl)
    params = inspect.signature(decl.fn).parameters
    constructor = [k for k in params if k in scalars or k in arrays]
    cls_name = class_name(name)
    clashes = [k for k in [*constructor, *per_call] if hasattr(torch.nn.Module, k)]
    if clashes:  # pragma: no cover - a guard for a future option named like a Module method
        raise TypeError(f"{cls_name}: the options {clashes} would shadow torch.nn.Module's "
                        "attributes")
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": cls_name,
        "__doc__": _docstring(decl, name, cls_name),
        "declaration": decl,
        "_defaults": {k: params[k].default for k in constructor},
        "_buffers_of": tuple(arrays),
        "_per_call": tuple(per_call),
        "_positional": _positional_names(decl),
        "_default_reduction": _reduction_default(decl),
    }
    cls = type(cls_name, (base,), namespace)
    # help(), Sphinx and IDEs read these signatures (the implementations take **kwargs)
    keyword = inspect.Parameter.KEYWORD_ONLY
    cls.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(k, keyword, default=params[k].default) for k in constructor]
        + [inspect.Parameter("reduction", keyword, default=namespace["_default_reduction"])])
    return cls


def _generate() -> dict[str, type[LossModule]]:
    classes: dict[str, type[LossModule]] = {}
    for name, decl in adapted().items():
        cls = _make(decl, name, LossModule)
        classes[cls.__name__] = cls
        for alias in decl.aliases:  # a subclass: isinstance(MAELoss(), L1Loss)
            sub = _make(decl, alias, cls)
            classes[sub.__name__] = sub
    return classes


CLASSES: dict[str, type[LossModule]] = _generate()
vars(sys.modules[__name__]).update(CLASSES)
__all__ += sorted(CLASSES)
