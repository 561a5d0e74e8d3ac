"""Tests for ``ITCHead``: symmetric InfoNCE over the joint embeddings, learnable temperature."""

import math

import pytest
import torch
import torch.nn.functional as F

from vtp.registry import MODELS
from vtp.testing import (
    FEATURES_EMBED_DIMS,
    TOY_TEXT_DIMS,
    TOY_TEXT_VOCAB,
    make_features,
    random_ids,
)


def test_loss_keys_and_value():
    head = MODELS.build(dict(type='ITCHead', temperature=0.1))
    feats = make_features(random_ids())
    out = head.loss(feats, [])
    assert set(out) == {'loss_itc', 'logit_scale'}
    assert math.isclose(out['logit_scale'].item(), 10.0, rel_tol=1e-5)
    assert not out['logit_scale'].requires_grad
    expected = MODELS.build(dict(type='InfoNCELoss'))(
        feats.video_embed, feats.text_embed, torch.tensor(10.0)
    )
    torch.testing.assert_close(out['loss_itc'], expected)


def test_learnable_temperature_is_a_parameter():
    head = MODELS.build(dict(type='ITCHead', temperature=0.07))
    assert 'log_logit_scale' in dict(head.named_parameters())
    feats = make_features(random_ids())
    head.loss(feats, [])['loss_itc'].backward()
    assert head.log_logit_scale.grad is not None and head.log_logit_scale.grad != 0


def test_fixed_temperature_is_a_buffer():
    head = MODELS.build(dict(type='ITCHead', temperature=0.05, learnable_temperature=False))
    assert 'log_logit_scale' not in dict(head.named_parameters())
    assert 'log_logit_scale' in dict(head.named_buffers())
    assert math.isclose(head.logit_scale.item(), 20.0, rel_tol=1e-5)


def test_logit_scale_is_clamped():
    head = MODELS.build(dict(type='ITCHead', temperature=0.001, max_logit_scale=50.0))
    assert head.logit_scale.item() == pytest.approx(50.0)
    out = head.loss(make_features(random_ids()), [])
    assert out['logit_scale'].item() == pytest.approx(50.0)


def test_pretraining_heads_return_fp32_losses_under_bf16_autocast():
    """Under CPU bf16 autocast the encoders, fusion and head layers run in bf16; every loss of
    the three pre-training heads (and its logits: see the loss tests) comes back fp32 and
    back-propagates."""
    heads = dict(
        itc=MODELS.build(dict(type='ITCHead')),
        itm=MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS)),
        mlm=MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=TOY_TEXT_VOCAB)),
    )
    embeds = [F.normalize(torch.randn(4, FEATURES_EMBED_DIMS), dim=-1).bfloat16() for _ in range(2)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = make_features(random_ids(), *embeds)
        assert heads['itm'](feats.text_tokens[:, 0]).dtype == torch.bfloat16  # autocast is on
        losses = {k: v for head in heads.values() for k, v in head.loss(feats, []).items()}
    assert {k: v.dtype for k, v in losses.items()} == dict.fromkeys(losses, torch.float32)
    sum(v for k, v in losses.items() if k.startswith('loss_')).backward()
    assert heads['itc'].log_logit_scale.grad is not None
