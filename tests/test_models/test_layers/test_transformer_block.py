"""Tests for ``TransformerBlock``: shapes, padding, cross-attention to a context, and fused
attention equal to the explicit attention weights."""

import torch
import torch.nn.functional as F

from vtp.models.layers import TransformerBlock
from vtp.testing.switch_checks import outputs_and_grads


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


def count_sdpa_calls(monkeypatch) -> list:
    """Record each call of ``F.scaled_dot_product_attention`` (which still runs)."""
    calls = []
    sdpa = F.scaled_dot_product_attention

    def recording(*args, **kwargs):
        calls.append(1)
        return sdpa(*args, **kwargs)

    monkeypatch.setattr(F, 'scaled_dot_product_attention', recording)
    return calls


def test_fused_attention_runs_sdpa_and_matches_the_explicit_weights(monkeypatch):
    torch.manual_seed(0)
    eager = TransformerBlock(dims=16, num_heads=2, cross_attention=True, fused_attention=False)
    fused = TransformerBlock(dims=16, num_heads=2, cross_attention=True)
    fused.load_state_dict(eager.state_dict())
    x, context = torch.randn(2, 5, 16), torch.randn(2, 6, 16)
    padding = torch.zeros(2, 5, dtype=torch.bool)
    padding[0, 3:] = True
    context_padding = torch.zeros(2, 6, dtype=torch.bool)
    context_padding[1, 2:] = True
    calls = count_sdpa_calls(monkeypatch)
    inputs = (x, padding, context, context_padding)
    eager_outputs, eager_grads = outputs_and_grads(eager, inputs)
    assert not calls
    fused_outputs, fused_grads = outputs_and_grads(fused, inputs)
    assert len(calls) == 2  # self- and cross-attention
    torch.testing.assert_close(fused_outputs, eager_outputs, atol=1e-5, rtol=1e-4)
    assert fused_grads.keys() == eager_grads.keys()
    for name, grad in fused_grads.items():
        torch.testing.assert_close(grad, eager_grads[name], atol=1e-5, rtol=1e-4, msg=name)
