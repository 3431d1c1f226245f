"""The declarations (``losses_xp._declare``): every public function is declared, a
declaration speaks only the declaration language and names exactly the function's
options, and a wrong one is refused at import, saying what is wrong."""

from __future__ import annotations

import pytest

import losses_xp as lx
from losses_xp._declare import Declaration, declaration, declarations, declare


def test_every_public_function_is_declared_once() -> None:
    public = [n for n in lx.__all__ if n not in lx._NOT_LOSSES]
    declared = declarations()
    aliases = [a for d in declared.values() for a in d.aliases]
    assert sorted(public) == sorted([*declared, *aliases])
    for name in public:
        assert declaration(name).fn is getattr(lx, name)
    assert all(not d.problems() for d in declared.values())


def test_argument_kinds_name_what_is_unknown() -> None:
    def loss(pixels: object, labels: object, *, alpha: float = 0.5, mode: str = "a",
             reduction: str = "mean") -> None:
        return None

    decl = Declaration("loss", loss, "pixels", target="labels", class_axis="last",
                       growth="cubic", unit="row",
                       options={"alpha": "probability-ish", "mode": ("a", "b")},
                       reductions=("none", "max"), peers={"tensorflow": ("tf.x",)},
                       unsupported={"tpu": "no"})
    assert decl.problems() == [
        "unknown prediction kind 'pixels'",
        "unknown target kind 'labels'",
        "unknown class_axis 'last'",
        "option 'alpha': unknown kind 'probability-ish'",
        "unknown growth 'cubic'",
        "unknown unit 'row'",
        "unknown reduction 'max'",
        "peers: unknown page 'tensorflow'",
        "unsupported: unknown backend or transformation 'tpu'",
    ]


def test_a_wrong_declaration_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match=r"declaration of loss: no peers and no `no_peer` "
                                        r"reason; options \['weight'\] are not the "
                                        r"function's \['alpha'\]"):
        @declare(prediction="logits", target="binary", options={"weight": "element_weight"})
        def loss(x: object, y: object, *, alpha: float = 0.5) -> None:
            return None


def test_unknown_names_have_no_declaration() -> None:
    with pytest.raises(KeyError, match="not a declared public function"):
        declaration("no_such_loss")
