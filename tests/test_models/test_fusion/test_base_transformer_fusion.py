"""Tests for ``BaseTransformerFusion``: the stream form of a subclass decides its parameters, and
the checkpoint layout of ``ConcatFusion`` and ``CrossAttentionFusion`` stays the released one."""

import pytest

from vtp.models.fusion.base_transformer_fusion import BaseTransformerFusion
from vtp.registry import MODELS

SIZES = dict(text_dims=32, video_dims=64, num_layers=1, num_heads=2, mlp_ratio=2.0)


def sublayer_keys(norm: str, attention: str) -> list:
    """The keys of a pre-norm attention sub-layer (``nn.MultiheadAttention``)."""
    params = ('in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias')
    return [f'{norm}.weight', f'{norm}.bias', *(f'{attention}.{p}' for p in params)]


BLOCK = sublayer_keys('norm_self', 'self_attn')
CROSS = sublayer_keys('norm_cross', 'cross_attn')
MLP = [
    'norm_mlp.weight',
    'norm_mlp.bias',
    *(f'mlp.{i}.{p}' for i in (0, 3) for p in ('weight', 'bias')),
]
HEAD = ['video_proj.weight', 'video_proj.bias']
TAIL = ['norm.weight', 'norm.bias']


@pytest.mark.parametrize(
    'fusion_type, keys',
    [
        ('ConcatFusion', ['type_embed', *HEAD, *(f'blocks.0.{k}' for k in BLOCK + MLP), *TAIL]),
        (
            'CrossAttentionFusion',
            [*HEAD, *(f'blocks.0.{k}' for k in BLOCK + CROSS + MLP), *TAIL],
        ),
    ],
)
def test_checkpoint_keys_in_order(fusion_type, keys):
    fusion = MODELS.build(dict(type=fusion_type, **SIZES))
    assert isinstance(fusion, BaseTransformerFusion)
    assert list(fusion.state_dict()) == keys


def test_single_stream_adds_type_embedding_and_drops_cross_attention():
    single = MODELS.build(dict(type='ConcatFusion', **SIZES))
    cross = MODELS.build(dict(type='CrossAttentionFusion', **SIZES))
    assert single.type_embed.shape == (2, 32)
    assert 0 < single.type_embed.std() < 0.1  # drawn, not left at zero
    assert not hasattr(cross, 'type_embed')
    assert single.video_proj.weight.shape == cross.video_proj.weight.shape == (32, 64)
    assert single.blocks[0].mlp[0].weight.shape == (64, 32)  # mlp_ratio 2
