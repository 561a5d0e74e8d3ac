"""Tests for ``checkpoint_call`` and ``checkpoint_modules``: recomputation in backward with the
same results, frozen inputs, no wrapper in the state dict, copies that stay independent."""

import copy

import torch
from torch import nn

from vtp.models.utils import checkpoint_call, checkpoint_modules
from vtp.testing.switch_checks import assert_same_outputs_and_grads, saved_tensor_numel


def mlp() -> nn.Sequential:
    torch.manual_seed(0)
    block = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Dropout(0.5))
    return nn.Sequential(block, nn.Linear(32, 8), nn.Linear(8, 8))


def count_forwards(module: nn.Module) -> list:
    calls = []
    module.register_forward_pre_hook(lambda *_: calls.append(1))
    return calls


def test_checkpointed_modules_recompute_in_backward_with_the_same_results():
    reference, checkpointed = mlp().train(), mlp().train()
    checkpoint_modules([checkpointed[0], checkpointed[2]])  # replays the dropout mask
    calls = count_forwards(checkpointed[0][0])
    x = torch.randn(4, 8)
    assert_same_outputs_and_grads(reference, checkpointed, (x,), atol=0, rtol=0)
    assert len(calls) == 2  # forward, then again in backward
    assert checkpointed.state_dict().keys() == reference.state_dict().keys()
    assert saved_tensor_numel(checkpointed, (x,)) < saved_tensor_numel(reference, (x,))


def test_parameters_get_gradients_when_no_input_needs_one():
    model = mlp()
    model[0].requires_grad_(False)  # a frozen first block: its output needs no gradient
    checkpoint_modules([model[1]])
    model(torch.randn(4, 8)).sum().backward()
    assert model[1].weight.grad is not None and model[0][0].weight.grad is None


def test_without_autograd_the_function_just_runs():
    layer = nn.Linear(8, 8)
    calls = count_forwards(layer)
    x = torch.randn(2, 8)
    with torch.no_grad():
        out = checkpoint_call(layer, x)
    torch.testing.assert_close(out, layer(x))
    assert len(calls) == 2  # once each: nothing is recomputed


def test_a_copy_runs_its_own_weights():
    """``copy.deepcopy`` (mmengine's EMA model) gives a copy whose checkpointed forward is its
    own, not the original's."""
    model = mlp().eval()
    checkpoint_modules([model[1]])
    twin = copy.deepcopy(model)
    with torch.no_grad():
        twin[1].weight.zero_()
        twin[1].bias.zero_()
    x = torch.randn(4, 32)
    torch.testing.assert_close(twin[1](x), torch.zeros(4, 8))
    assert model[1](x).abs().sum() > 0
