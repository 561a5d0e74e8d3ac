"""Tests for ``compile_module``: the ``compile`` switch of vtp's encoders."""

import pytest
import torch
from mmengine.config import ConfigDict
from torch import nn
from torch._dynamo.testing import CompileCounter

from vtp.models.utils import compile_module


class Tiny(nn.Module):
    """A module of the test's own: dynamo does not trace frames of torch's modules."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.proj(x))


def tiny() -> Tiny:
    torch.manual_seed(0)
    return Tiny()


def test_false_leaves_the_module_eager():
    module = tiny()
    compile_module(module, False)
    assert module._compiled_call_impl is None


@pytest.mark.parametrize('dict_type', [dict, ConfigDict])  # ConfigDict: from a config
def test_a_dict_is_passed_to_torch_compile(dict_type):
    counter = CompileCounter()
    module, reference = tiny(), tiny()
    compile_module(module, dict_type(backend=counter))
    x = torch.randn(2, 4)
    torch.testing.assert_close(module(x), reference(x))
    assert counter.frame_count == 1
    assert module.state_dict().keys() == reference.state_dict().keys()  # no `_orig_mod.`


def test_true_compiles_with_the_defaults(monkeypatch):
    seen = []
    monkeypatch.setattr(nn.Module, 'compile', lambda self, **kwargs: seen.append(kwargs))
    compile_module(tiny(), True)
    assert seen == [{}]


def test_other_values_raise_naming_the_module():
    with pytest.raises(TypeError, match="Tiny: compile must be .* got 'yes'"):
        compile_module(tiny(), 'yes')
