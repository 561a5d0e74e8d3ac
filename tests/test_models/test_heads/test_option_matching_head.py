"""Tests for ``OptionMatchingHead``: the matching head trained listwise over options."""

import torch
import torch.nn.functional as F

from vtp.registry import MODELS
from vtp.structures import VideoTextDataSample, VideoTextFeatures

D = 8


def features(texts: torch.Tensor, videos: torch.Tensor, counts) -> VideoTextFeatures:
    """Options (sum K, L, D) and clips (B, N, D); fusion adds the clip's mean to the text."""
    return VideoTextFeatures(
        video_tokens=videos,
        video_embed=None,
        text_tokens=texts,
        text_mask=torch.ones(texts.shape[:2], dtype=torch.long),
        text_embed=None,
        inputs=dict(text_counts=torch.tensor(counts)),
        fuse=lambda t, m, v: t + v.mean(1, keepdim=True),
        encode_text=None,
        word_embeddings=None,
    )


def test_loss_is_cross_entropy_over_each_clips_option_margins():
    head = MODELS.build(dict(type='OptionMatchingHead', in_dims=D))
    texts, videos = torch.randn(7, 3, D), torch.randn(2, 4, D)
    samples = [VideoTextDataSample(metainfo=dict(label=a)) for a in (2, 0)]
    losses = head.loss(features(texts, videos, [5, 2]), samples)
    assert set(losses) == {'loss_option', 'acc_option'}
    owner = torch.tensor([0] * 5 + [1] * 2)
    logits = head((texts + videos[owner].mean(1, keepdim=True))[:, 0])
    margins = logits[:, 1] - logits[:, 0]
    expected = (
        F.cross_entropy(margins[:5][None], torch.tensor([2]))
        + F.cross_entropy(margins[5:][None], torch.tensor([0]))
    ) / 2
    torch.testing.assert_close(losses['loss_option'], expected)


def test_training_picks_the_true_options():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='OptionMatchingHead', in_dims=D))
    texts, videos = torch.randn(12, 3, D), torch.randn(3, 4, D)
    samples = [VideoTextDataSample(metainfo=dict(label=a)) for a in (1, 3, 0)]
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    for _ in range(100):
        losses = head.loss(features(texts, videos, [4, 4, 4]), samples)
        optimizer.zero_grad()
        losses['loss_option'].backward()
        optimizer.step()
    assert float(losses['acc_option']) == 100.0
    assert float(losses['loss_option'].detach()) < 0.1


def test_loss_is_fp32_under_bf16_autocast():
    head = MODELS.build(dict(type='OptionMatchingHead', in_dims=D))
    samples = [VideoTextDataSample(metainfo=dict(label=a)) for a in (2, 0)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = head.loss(features(torch.randn(7, 3, D), torch.randn(2, 4, D), [5, 2]), samples)
    assert losses['loss_option'].dtype == torch.float32
