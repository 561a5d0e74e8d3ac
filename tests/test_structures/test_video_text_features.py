"""Tests for ``VideoTextFeatures``: the bundle computes the fused positives once per batch."""

from typing import List, Tuple

import torch

from vtp.structures import VideoTextFeatures

B, L, N, D = 2, 4, 3, 8


def bundle(calls: List[Tuple[torch.Tensor, ...]]) -> VideoTextFeatures:
    """A bundle whose fusion records each call in ``calls`` and adds the clip's mean token."""

    def fuse(text: torch.Tensor, mask: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
        calls.append((text, mask, video))
        return text + video.mean(1, keepdim=True)

    return VideoTextFeatures(
        video_tokens=torch.randn(B, N, D),
        video_embed=None,
        text_tokens=torch.randn(B, L, D),
        text_mask=torch.ones(B, L, dtype=torch.long),
        text_embed=None,
        inputs={},
        fuse=fuse,
        encode_text=lambda ids, mask: (torch.zeros(B, L, D), torch.zeros(B, D)),
        word_embeddings=torch.nn.Embedding(10, D),
    )


def test_fused_positives_fuse_each_text_with_its_own_clip_once():
    calls: List[Tuple[torch.Tensor, ...]] = []
    feats = bundle(calls)
    first = feats.fused_positives
    assert feats.fused_positives is first  # a second head reads the same tensor
    assert len(calls) == 1
    text, mask, video = calls[0]
    assert text is feats.text_tokens and mask is feats.text_mask and video is feats.video_tokens
    torch.testing.assert_close(first, feats.text_tokens + feats.video_tokens.mean(1, keepdim=True))


def test_each_bundle_fuses_its_own_batch():
    calls: List[Tuple[torch.Tensor, ...]] = []
    first, second = bundle(calls), bundle(calls)
    assert not torch.equal(first.fused_positives, second.fused_positives)
    assert len(calls) == 2
