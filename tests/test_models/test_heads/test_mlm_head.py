"""Tests for ``MLMHead``: masked-token prediction on the fused tokens, tied to the embeddings."""

import math

import pytest
import torch

from vtp.registry import MODELS
from vtp.testing import TOY_TEXT, TOY_TEXT_DIMS, TOY_TEXT_VOCAB, make_features, random_ids


def test_loss_keys():
    head = MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=TOY_TEXT_VOCAB))
    out = head.loss(make_features(random_ids()), [])
    assert set(out) == {'loss_mlm', 'acc_mlm'}
    # random init over a 30522-token vocabulary: loss near log(vocab)
    assert abs(out['loss_mlm'].item() - math.log(TOY_TEXT_VOCAB)) < 2.0
    assert not out['acc_mlm'].requires_grad


def test_decoder_is_tied_to_word_embeddings():
    text_encoder = MODELS.build(TOY_TEXT)
    head = MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=TOY_TEXT_VOCAB))
    assert not any(p.shape == (TOY_TEXT_VOCAB, TOY_TEXT_DIMS) for p in head.parameters())
    feats = make_features(random_ids(), text_encoder=text_encoder)
    head.loss(feats, [])['loss_mlm'].backward()
    grad = text_encoder.word_embeddings.weight.grad
    assert grad is not None
    # the decoder gives a gradient to every row (softmax over the whole vocabulary)
    assert torch.count_nonzero(grad.abs().sum(1)) == TOY_TEXT_VOCAB

    tokens = torch.randn(3, TOY_TEXT_DIMS)
    embedding = text_encoder.word_embeddings
    with torch.no_grad():
        before = head(tokens, embedding)
        embedding.weight[7] += 1.0
        after = head(tokens, embedding)
    assert before.shape == (3, TOY_TEXT_VOCAB)
    changed = (before != after).any(0)
    assert changed[7] and changed.sum() == 1


def test_without_masked_tokens_is_zero():
    head = MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=TOY_TEXT_VOCAB))
    feats = make_features(random_ids())
    feats.inputs['mlm_labels'][:] = -100
    out = head.loss(feats, [])
    assert out['loss_mlm'].item() == 0.0
    out['loss_mlm'].backward()


def test_num_samples_predicts_the_first_samples_only():
    text_encoder = MODELS.build(TOY_TEXT).eval()
    feats = make_features(random_ids(batch=5), text_encoder=text_encoder)
    feats.fuse.eval()
    head = MODELS.build(dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=TOY_TEXT_VOCAB))
    logits = []
    head.transform.register_forward_hook(lambda module, args, out: logits.append(out))
    head.loss(feats, [])
    head.num_samples = 2
    head.loss(feats, [])
    full, subset = logits
    # every text has its token 1 masked, the last text also token 2: the first two texts
    # give the first two masked positions of the full batch
    assert subset.shape[0] == 2 and full.shape[0] == 6
    torch.testing.assert_close(subset, full[:2])
    with pytest.raises(ValueError, match='num_samples'):
        MODELS.build(
            dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=TOY_TEXT_VOCAB, num_samples=0)
        )
