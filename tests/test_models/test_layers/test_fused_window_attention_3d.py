"""Tests for ``FusedWindowAttention3D``: mmaction2's window attention on fused kernels, with the
same weights, outputs, gradients and attention dropout."""

import pytest
import torch
from mmaction.models.backbones.swin import WindowAttention3D, compute_mask

from vtp.models.layers import FusedWindowAttention3D
from vtp.testing.switch_checks import outputs_and_grads

WINDOW = (2, 4, 4)


def build_pair(**kwargs):
    eager = WindowAttention3D(embed_dims=16, window_size=WINDOW, num_heads=2, **kwargs)
    with torch.no_grad():  # a bias table far from zero, so that a misplaced bias shows
        eager.relative_position_bias_table.normal_()
    return eager, FusedWindowAttention3D.from_window_attention(eager)


def shift_mask() -> torch.Tensor:
    """(8, 32, 32) mask of a 4 x 8 x 8 map in 2 x 4 x 4 windows shifted by (1, 2, 2)."""
    return compute_mask(4, 8, 8, WINDOW, (1, 2, 2), torch.device('cpu'))


def test_copy_keeps_settings_and_weights():
    eager, fused = build_pair(qkv_bias=False, qk_scale=0.3, attn_drop=0.2, proj_drop=0.1)
    assert fused.state_dict().keys() == eager.state_dict().keys()
    for key, value in eager.state_dict().items():
        assert torch.equal(fused.state_dict()[key], value), key
    assert fused.qkv.bias is None and fused.scale == 0.3
    assert fused.attn_drop.p == 0.2 and fused.proj_drop.p == 0.1


@pytest.mark.parametrize('shifted', [False, True])
def test_outputs_and_gradients_equal_mmaction2s(shifted):
    eager, fused = build_pair()
    mask = shift_mask() if shifted else None
    x = torch.randn(3 * 8, 32, 16)  # 3 clips of 8 windows of 2 x 4 x 4 tokens
    eager_outputs, eager_grads = outputs_and_grads(eager, (x, mask))
    fused_outputs, fused_grads = outputs_and_grads(fused, (x, mask))
    torch.testing.assert_close(fused_outputs, eager_outputs, atol=1e-5, rtol=1e-4)
    for name, grad in eager_grads.items():
        torch.testing.assert_close(fused_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)


def test_a_window_smaller_than_the_configured_one():
    """A feature map smaller than the window shrinks it: mmaction2 then takes the top-left
    N x N block of the relative-position index, and so must the fused module."""
    eager, fused = build_pair()
    x = torch.randn(4, 2 * 2 * 2, 16)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), eager(x), atol=1e-5, rtol=1e-4)


def test_attention_dropout_in_training_only():
    eager, fused = build_pair(attn_drop=1.0)
    x = torch.randn(8, 32, 16)
    mask = shift_mask()
    with torch.no_grad():
        # dropping every attention weight leaves the output projection's bias
        bias = eager.proj.bias.expand(8, 32, 16)
        torch.testing.assert_close(fused.train()(x, mask), bias)
        torch.testing.assert_close(eager.train()(x, mask), bias)
        torch.testing.assert_close(fused.eval()(x, mask), eager.eval()(x, mask))
        assert not torch.allclose(fused(x, mask), bias)
