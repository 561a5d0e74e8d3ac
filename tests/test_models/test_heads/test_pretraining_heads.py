"""Tests for the pre-training heads ``ITCHead``, ``ITMHead`` and ``MLMHead``."""

import math

import pytest
import torch
import torch.nn.functional as F

from vtp.registry import MODELS
from vtp.structures import VideoTextFeatures
from vtp.testing import TOY_TEXT, TOY_TEXT_DIMS

VIDEO_DIMS, EMBED, VOCAB = 24, 16, 30522


def make_features(
    input_ids: torch.Tensor,
    text_embed=None,
    video_embed=None,
    text_encoder=None,
    fusion=None,
    num_video: int = 3,
) -> VideoTextFeatures:
    """A hand-made feature bundle around a toy text encoder and a cross-attention fusion."""
    batch, length = input_ids.shape
    text_encoder = text_encoder or MODELS.build(TOY_TEXT)
    fusion = fusion or MODELS.build(
        dict(
            type='CrossAttentionFusion',
            text_dims=TOY_TEXT_DIMS,
            video_dims=VIDEO_DIMS,
            num_layers=1,
            num_heads=2,
        )
    )
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[0, -2:] = 0
    labels = torch.full((batch, length), -100)
    labels[:, 1] = input_ids[:, 1]
    labels[-1, 2] = input_ids[-1, 2]
    mlm_ids = input_ids.clone()
    mlm_ids[labels != -100] = 103  # [MASK]
    text_tokens, _ = text_encoder(input_ids, mask)
    return VideoTextFeatures(
        video_tokens=torch.randn(batch, num_video, VIDEO_DIMS, requires_grad=True),
        video_embed=(
            video_embed
            if video_embed is not None
            else F.normalize(torch.randn(batch, EMBED), dim=-1)
        ),
        text_tokens=text_tokens,
        text_mask=mask,
        text_embed=(
            text_embed if text_embed is not None else F.normalize(torch.randn(batch, EMBED), dim=-1)
        ),
        inputs=dict(
            input_ids=input_ids, attention_mask=mask, mlm_input_ids=mlm_ids, mlm_labels=labels
        ),
        fuse=fusion,
        encode_text=text_encoder,
        word_embeddings=text_encoder.word_embeddings,
    )


def random_ids(batch: int = 4, length: int = 6) -> torch.Tensor:
    ids = torch.randint(1000, VOCAB, (batch, length))
    ids[:, 0] = 101
    return ids


# ----------------------------------------------------------------------------------- ITC


def test_itc_loss_keys_and_value():
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


def test_itc_learnable_temperature_is_a_parameter():
    head = MODELS.build(dict(type='ITCHead', temperature=0.07))
    assert 'log_logit_scale' in dict(head.named_parameters())
    feats = make_features(random_ids())
    head.loss(feats, [])['loss_itc'].backward()
    assert head.log_logit_scale.grad is not None and head.log_logit_scale.grad != 0


def test_itc_fixed_temperature_is_a_buffer():
    head = MODELS.build(dict(type='ITCHead', temperature=0.05, learnable_temperature=False))
    assert 'log_logit_scale' not in dict(head.named_parameters())
    assert 'log_logit_scale' in dict(head.named_buffers())
    assert math.isclose(head.logit_scale.item(), 20.0, rel_tol=1e-5)


def test_itc_logit_scale_is_clamped():
    head = MODELS.build(dict(type='ITCHead', temperature=0.001, max_logit_scale=50.0))
    assert head.logit_scale.item() == pytest.approx(50.0)
    out = head.loss(make_features(random_ids()), [])
    assert out['logit_scale'].item() == pytest.approx(50.0)


# ----------------------------------------------------------------------------------- ITM


def test_itm_loss_keys_and_gradients():
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    feats = make_features(random_ids())
    out = head.loss(feats, [])
    assert set(out) == {'loss_itm', 'acc_itm'}
    assert 0.0 <= out['acc_itm'].item() <= 100.0
    assert not out['acc_itm'].requires_grad
    out['loss_itm'].backward()
    assert head.classifier.weight.grad is not None
    assert feats.video_tokens.grad is not None
    assert torch.count_nonzero(feats.video_tokens.grad) > 0


def test_itm_negatives_skip_own_and_identical_texts():
    # rows 0/1 and 3/4 carry the same text and the same embeddings: an unmasked hard-negative
    # sampler would pick the duplicate almost always.
    ids = random_ids(batch=6)
    ids[1] = ids[0]
    ids[4] = ids[3]
    base = F.normalize(torch.randn(6, EMBED), dim=-1)
    base[1], base[4] = base[0], base[3]
    feats = make_features(ids, text_embed=base, video_embed=base.clone())
    same = (ids[:, None] == ids[None]).all(-1)  # (6, 6), includes the diagonal
    rows = torch.arange(6)
    for temperature, draws in ((0.07, 200), (10.0, 100)):
        head = MODELS.build(
            dict(type='ITMHead', in_dims=TOY_TEXT_DIMS, negative_temperature=temperature)
        )
        drawn = torch.zeros(6, 6, dtype=torch.bool)
        for _ in range(draws):
            neg_text, neg_video = head._sample_negatives(feats)
            for neg in (neg_text, neg_video):
                assert neg.shape == (6,) and neg.dtype == torch.long
                assert not same[rows, neg].any(), neg
                drawn[rows, neg] = True
    # near-uniform sampling reaches every allowed negative: only identical texts are blocked
    assert torch.equal(drawn, ~same)


def test_itm_negatives_skip_other_captions_of_the_same_clip():
    # rows 0, 2 and 5 are one clip with three different captions, and their embeddings are
    # the closest pairs: without clip identity the sampler would pick them almost always.
    ids = random_ids(batch=6)
    base = F.normalize(torch.randn(6, EMBED), dim=-1)
    base[2], base[5] = base[0] + 0.01, base[0] - 0.01
    feats = make_features(
        ids, text_embed=F.normalize(base, dim=-1), video_embed=F.normalize(base, dim=-1)
    )
    clips = torch.tensor([3, 8, 3, 9, 4, 3])
    feats.inputs['clip_ids'] = clips
    same_clip = clips[:, None] == clips[None]
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    rows = torch.arange(6)
    for _ in range(200):
        for neg in head._sample_negatives(feats):
            assert not same_clip[rows, neg].any(), neg


def test_itm_negatives_fall_back_when_all_texts_identical():
    ids = random_ids(batch=3)
    ids[:] = ids[0]
    feats = make_features(ids)
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    for _ in range(50):
        for neg in head._sample_negatives(feats):
            assert (neg != torch.arange(3)).all()


def test_itm_batch_of_one_raises():
    head = MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS))
    with pytest.raises(ValueError):
        head.loss(make_features(random_ids(batch=1)), [])


# ----------------------------------------------------------------------------------- MLM


def test_mlm_loss_keys():
    head = MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=VOCAB))
    out = head.loss(make_features(random_ids()), [])
    assert set(out) == {'loss_mlm', 'acc_mlm'}
    # random init over a 30522-token vocabulary: loss near log(vocab)
    assert abs(out['loss_mlm'].item() - math.log(VOCAB)) < 2.0
    assert not out['acc_mlm'].requires_grad


def test_mlm_decoder_is_tied_to_word_embeddings():
    text_encoder = MODELS.build(TOY_TEXT)
    head = MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=VOCAB))
    assert not any(p.shape == (VOCAB, TOY_TEXT_DIMS) for p in head.parameters())
    feats = make_features(random_ids(), text_encoder=text_encoder)
    head.loss(feats, [])['loss_mlm'].backward()
    grad = text_encoder.word_embeddings.weight.grad
    assert grad is not None
    # the decoder gives a gradient to every row (softmax over the whole vocabulary)
    assert torch.count_nonzero(grad.abs().sum(1)) == VOCAB

    tokens = torch.randn(3, TOY_TEXT_DIMS)
    embedding = text_encoder.word_embeddings
    with torch.no_grad():
        before = head(tokens, embedding)
        embedding.weight[7] += 1.0
        after = head(tokens, embedding)
    assert before.shape == (3, VOCAB)
    changed = (before != after).any(0)
    assert changed[7] and changed.sum() == 1


def test_mlm_without_masked_tokens_is_zero():
    head = MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=VOCAB))
    feats = make_features(random_ids())
    feats.inputs['mlm_labels'][:] = -100
    out = head.loss(feats, [])
    assert out['loss_mlm'].item() == 0.0
    out['loss_mlm'].backward()


# ------------------------------------------------------------------------------ bf16 autocast


def test_heads_return_fp32_losses_under_bf16_autocast():
    """Under CPU bf16 autocast the encoders, fusion and head layers run in bf16; every loss
    (and its logits: see the loss tests) comes back fp32 and back-propagates."""
    heads = dict(
        itc=MODELS.build(dict(type='ITCHead')),
        itm=MODELS.build(dict(type='ITMHead', in_dims=TOY_TEXT_DIMS)),
        mlm=MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=VOCAB)),
    )
    embeds = [F.normalize(torch.randn(4, EMBED), dim=-1).bfloat16() for _ in range(2)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = make_features(random_ids(), *embeds)
        assert heads['itm'](feats.text_tokens[:, 0]).dtype == torch.bfloat16  # autocast is on
        losses = {k: v for head in heads.values() for k, v in head.loss(feats, []).items()}
    assert {k: v.dtype for k, v in losses.items()} == dict.fromkeys(losses, torch.float32)
    sum(v for k, v in losses.items() if k.startswith('loss_')).backward()
    assert heads['itc'].log_logit_scale.grad is not None
