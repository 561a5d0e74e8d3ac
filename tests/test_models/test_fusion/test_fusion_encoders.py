"""Tests for the fusion encoders ``CrossAttentionFusion`` and ``ConcatFusion``."""

import pytest
import torch

from vtp.registry import MODELS

TEXT_DIMS, VIDEO_DIMS = 32, 64
FUSIONS = ['CrossAttentionFusion', 'ConcatFusion']


def build_fusion(name: str):
    return MODELS.build(
        dict(type=name, text_dims=TEXT_DIMS, video_dims=VIDEO_DIMS, num_layers=1, num_heads=2)
    ).eval()


def inputs(batch: int = 3, length: int = 6, num_video: int = 5):
    text = torch.randn(batch, length, TEXT_DIMS)
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[0, 4:] = 0
    mask[2, 2:] = 0
    video = torch.randn(batch, num_video, VIDEO_DIMS)
    return text, mask, video


@pytest.mark.parametrize('name', FUSIONS)
def test_output_shape(name):
    fusion = build_fusion(name)
    assert fusion.embed_dims == TEXT_DIMS
    text, mask, video = inputs()
    with torch.no_grad():
        out = fusion(text, mask, video)
    assert out.shape == (3, 6, TEXT_DIMS)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('name', FUSIONS)
def test_padding_does_not_change_real_positions(name):
    fusion = build_fusion(name)
    text, mask, video = inputs()
    padded = mask == 0
    other_text = text.clone()
    other_text[padded] = 10 * torch.randn(int(padded.sum()), TEXT_DIMS)
    with torch.no_grad():
        out = fusion(text, mask, video)
        out_other = fusion(other_text, mask, video)
    real = mask.bool()
    torch.testing.assert_close(out_other[real], out[real])
    assert not torch.allclose(out_other[padded], out[padded])


@pytest.mark.parametrize('name', FUSIONS)
def test_padding_invariance_with_gradients(name):
    """The same check on the training path (autograd on, no fast attention kernel)."""
    fusion = build_fusion(name)
    text, mask, video = inputs()
    other_text = text.clone()
    other_text[mask == 0] = 5.0
    out = fusion(text.requires_grad_(), mask, video)
    out_other = fusion(other_text, mask, video)
    torch.testing.assert_close(out_other[mask.bool()], out[mask.bool()].detach())
    # no gradient reaches padded inputs from real outputs
    out[mask.bool()].sum().backward()
    assert torch.count_nonzero(text.grad[mask == 0]) == 0
    assert torch.count_nonzero(text.grad[mask.bool()]) > 0


@pytest.mark.parametrize('name', FUSIONS)
def test_output_depends_on_the_video(name):
    fusion = build_fusion(name)
    text, mask, video = inputs()
    other_video = video.clone()
    other_video[1] = torch.randn_like(video[1])
    with torch.no_grad():
        out = fusion(text, mask, video)
        out_other = fusion(text, mask, other_video)
    # only sample 1 changes
    assert not torch.allclose(out_other[1], out[1])
    torch.testing.assert_close(out_other[0], out[0])
    torch.testing.assert_close(out_other[2], out[2])


@pytest.mark.parametrize('name', FUSIONS)
def test_every_parameter_gets_a_gradient(name):
    fusion = build_fusion(name).train()
    text, mask, video = inputs()
    fusion(text, mask, video)[:, 0].sum().backward()
    missing = [n for n, p in fusion.named_parameters() if p.grad is None]
    assert not missing
