"""Tests for ``TransformerBlock``: shapes, padding, and cross-attention to a context."""

import torch

from vtp.models.layers import TransformerBlock


def test_self_attention_keeps_the_shape_and_ignores_padded_keys():
    block = TransformerBlock(dims=16, num_heads=2).eval()
    x = torch.randn(2, 5, 16)
    padding = torch.zeros(2, 5, dtype=torch.bool)
    padding[0, 3:] = True
    other = x.clone()
    other[0, 3:] = torch.randn(2, 16)
    with torch.no_grad():
        out, out_other = block(x, padding), block(other, padding)
    assert out.shape == (2, 5, 16)
    torch.testing.assert_close(out_other[0, :3], out[0, :3])
    torch.testing.assert_close(out_other[1], out[1])


def test_cross_attention_reads_the_context_but_not_its_padding():
    block = TransformerBlock(dims=16, num_heads=2, cross_attention=True).eval()
    x, context = torch.randn(2, 4, 16), torch.randn(2, 6, 16)
    context_padding = torch.zeros(2, 6, dtype=torch.bool)
    context_padding[:, 4:] = True
    padded_changed, real_changed = context.clone(), context.clone()
    padded_changed[:, 4:] = torch.randn(2, 2, 16)
    real_changed[:, 0] = torch.randn(2, 16)
    with torch.no_grad():
        out = block(x, context=context, context_padding_mask=context_padding)
        same = block(x, context=padded_changed, context_padding_mask=context_padding)
        moved = block(x, context=real_changed, context_padding_mask=context_padding)
    assert out.shape == (2, 4, 16)
    torch.testing.assert_close(same, out)
    assert not torch.allclose(moved, out)


def test_without_cross_attention_there_is_no_cross_sub_layer():
    block = TransformerBlock(dims=16, num_heads=2, mlp_ratio=2.0)
    assert block.cross_attn is None
    assert block.mlp[0].out_features == 32
