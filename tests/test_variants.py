"""Implementation variants as activations: `softplus:torch` is PyTorch's thresholded softplus."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from actcli import api
from actcli.errors import UsageError


def test_torch_softplus_is_the_thresholded_form_with_its_jump():
    torch_softplus = api.load_activation("softplus:torch")
    assert torch_softplus.name == "softplus:torch"
    x = np.array([-30.0, 0.0, 19.5, 20.0, 20.0 + 2**-48, 1000.0])
    expected = [
        float(mpmath.log1p(mpmath.exp(v))) if v <= 20 else v  # torch: x when beta*x > 20
        for v in x
    ]
    np.testing.assert_allclose(torch_softplus.function(0)(x), expected, rtol=1e-15)
    (kink,) = torch_softplus.kinks(0)
    assert kink.x == 20.0
    jump = float(mpmath.log1p(mpmath.exp(-20)))  # log1p(exp(20)) - 20, about 2.06e-9
    assert kink.left[0] - kink.right[0] == pytest.approx(jump, rel=1e-9)


def test_variant_option_and_name_syntax_agree_and_parameters_apply():
    by_option = api.load_activation("softplus", variant="torch", params={"beta": "2"})
    by_name = api.load_activation("softplus:torch", params={"beta": "2"})
    assert by_option.expression == by_name.expression
    assert [k.x for k in by_name.kinks(0)] == [10.0]  # beta*x > threshold at x = 20/2


def test_unknown_variant_names_the_ones_there_are():
    with pytest.raises(UsageError, match=r"softplus:jax: no such variant \(has: torch\)"):
        api.load_activation("softplus:jax")
    with pytest.raises(UsageError, match=r"has: none"):
        api.load_activation("relu:torch")
