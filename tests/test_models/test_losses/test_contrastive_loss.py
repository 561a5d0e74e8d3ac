"""Tests for ``InfoNCELoss``: against a naive loop, symmetry, weights, gradients, clip identity."""

import math

import torch
import torch.nn.functional as F

from vtp.registry import MODELS


def unit(batch: int, dims: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(batch, dims, generator=gen), dim=-1)


def naive_info_nce(video: torch.Tensor, text: torch.Tensor, scale: float) -> float:
    """Per-row reference: -log softmax of the positive, both directions, averaged."""
    batch = video.shape[0]
    v2t, t2v = 0.0, 0.0
    for i in range(batch):
        row_v = [scale * float(video[i] @ text[j]) for j in range(batch)]
        row_t = [scale * float(text[i] @ video[j]) for j in range(batch)]
        v2t += -row_v[i] + math.log(sum(math.exp(s) for s in row_v))
        t2v += -row_t[i] + math.log(sum(math.exp(s) for s in row_t))
    return (v2t / batch + t2v / batch) / 2


def test_info_nce_matches_naive_loop():
    loss = MODELS.build(dict(type='InfoNCELoss'))
    video, text = unit(5, 8, seed=1), unit(5, 8, seed=2)
    scale = torch.tensor(7.5)
    expected = naive_info_nce(video.double(), text.double(), 7.5)
    assert math.isclose(float(loss(video, text, scale)), expected, rel_tol=1e-5)


def test_info_nce_is_symmetric_and_weighted():
    video, text = unit(6, 8, seed=3), unit(6, 8, seed=4)
    scale = torch.tensor(10.0)
    loss = MODELS.build(dict(type='InfoNCELoss'))
    torch.testing.assert_close(loss(video, text, scale), loss(text, video, scale))
    weighted = MODELS.build(dict(type='InfoNCELoss', loss_weight=0.25))
    torch.testing.assert_close(weighted(video, text, scale), 0.25 * loss(video, text, scale))


def test_info_nce_lower_for_aligned_pairs():
    loss = MODELS.build(dict(type='InfoNCELoss'))
    video, text = unit(8, 16, seed=5), unit(8, 16, seed=6)
    scale = torch.tensor(14.0)
    aligned = loss(video, F.normalize(video + 0.05 * text, dim=-1), scale)
    random = loss(video, text, scale)
    assert aligned < random
    assert aligned < 0.1 * math.log(8) < random


def test_info_nce_gradient_reaches_both_sides_and_scale():
    loss = MODELS.build(dict(type='InfoNCELoss'))
    video = unit(4, 8, seed=7).requires_grad_()
    text = unit(4, 8, seed=8).requires_grad_()
    log_scale = torch.tensor(2.0, requires_grad=True)
    loss(video, text, log_scale.exp()).backward()
    for tensor in (video, text, log_scale):
        assert tensor.grad is not None and torch.count_nonzero(tensor.grad) > 0


def naive_info_nce_clips(
    video: torch.Tensor, text: torch.Tensor, scale: float, clips: list
) -> float:
    """Reference with clip identity: the target of each row is spread evenly over every pair
    of its clip (-sum over positives of log softmax / number of positives), both directions."""
    batch = video.shape[0]
    total = 0.0
    for a, b in ((video, text), (text, video)):
        for i in range(batch):
            row = [scale * float(a[i] @ b[j]) for j in range(batch)]
            log_z = math.log(sum(math.exp(s) for s in row))
            positives = [j for j in range(batch) if clips[j] == clips[i]]
            total += sum(log_z - row[j] for j in positives) / len(positives) / batch
    return total / 2


def test_info_nce_with_a_clip_twice_treats_both_copies_as_positive():
    loss = MODELS.build(dict(type='InfoNCELoss'))
    video, text = unit(5, 8, seed=11), unit(5, 8, seed=12)
    video[3] = video[0]  # clip 0 appears twice, with two captions
    clips = [7, 1, 2, 7, 4]
    scale = torch.tensor(9.0)
    value = float(loss(video, text, scale, torch.tensor(clips)))
    expected = naive_info_nce_clips(video.double(), text.double(), 9.0, clips)
    assert math.isclose(value, expected, rel_tol=1e-5)
    # distinct clips reduce to the plain (diagonal) loss
    distinct = float(loss(video, text, scale, torch.arange(5)))
    assert math.isclose(distinct, float(loss(video, text, scale)), rel_tol=1e-6)


def test_info_nce_logits_and_loss_are_fp32_under_bf16_autocast():
    """bf16 embeddings from an autocast forward: the logits are computed in fp32 (equal to
    the fp32 computation on the same values), where a bf16 matmul would be off by ~0.1."""
    loss = MODELS.build(dict(type='InfoNCELoss'))
    video, text = unit(8, 16, seed=7).bfloat16(), unit(8, 16, seed=8).bfloat16()
    scale = torch.tensor(100.0)
    reference = loss.logits(video.float(), text.float(), scale)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        logits = loss.logits(video, text, scale)
        value = loss(video, text, scale)
        bf16_error = (scale * (video @ text.t()) - reference[0]).abs().max()
    assert [t.dtype for t in logits] == [torch.float32, torch.float32]
    torch.testing.assert_close(logits, reference)
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, loss(video.float(), text.float(), scale))
    assert bf16_error > 1e-2  # what the fp32 path avoids
