"""Tests for ``AnswerHead``: answer classification on the fused question-clip [CLS] token."""

import pytest
import torch
from mmengine.structures import BaseDataElement

from vtp.registry import MODELS
from vtp.structures import VideoTextFeatures

D, K = 8, 5


def features(fused: torch.Tensor) -> VideoTextFeatures:
    """A bundle whose fused positives are ``fused`` (B, L, D)."""
    batch = fused.shape[0]
    feats = VideoTextFeatures(
        video_tokens=torch.zeros(batch, 2, D),
        video_embed=None,
        text_tokens=fused,
        text_mask=torch.ones(batch, fused.shape[1], dtype=torch.long),
        text_embed=None,
        inputs={},
        fuse=lambda t, m, v: t,
        encode_text=None,
        word_embeddings=None,
    )
    return feats


def samples(labels) -> list:
    return [BaseDataElement(metainfo=dict(label=label)) for label in labels]


def test_loss_keys_and_ignored_out_of_vocabulary_answers():
    head = MODELS.build(dict(type='AnswerHead', in_dims=D, num_answers=K))
    fused = torch.randn(4, 3, D, requires_grad=True)
    losses = head.loss(features(fused), samples([0, 4, -1, 2]))
    assert set(losses) == {'loss_qa', 'acc_qa'}
    logits = head(fused[:, 0])
    expected = torch.nn.functional.cross_entropy(logits[[0, 1, 3]], torch.tensor([0, 4, 2]))
    torch.testing.assert_close(losses['loss_qa'], expected)
    losses['loss_qa'].backward()
    assert fused.grad[:, 1:].abs().sum() == 0  # only the [CLS] token is read


def test_all_answers_unknown_gives_a_zero_loss_with_gradient():
    head = MODELS.build(dict(type='AnswerHead', in_dims=D, num_answers=K))
    losses = head.loss(features(torch.randn(2, 3, D)), samples([-1, -1]))
    assert losses['loss_qa'].requires_grad and float(losses['loss_qa'].detach()) == 0.0
    assert float(losses['acc_qa']) == 0.0


def test_training_learns_and_predict_fills_samples():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='AnswerHead', in_dims=D, num_answers=K, hidden_dims=16))
    fused = torch.randn(K, 3, D)  # one distinct question per answer
    labels = list(range(K))
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss = head.loss(features(fused), samples(labels))['loss_qa']
        first = float(loss.detach()) if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < first / 10
    out = head.predict(features(fused), samples(labels))
    assert [s.pred_label for s in out] == labels
    assert all(0.5 < s.pred_score <= 1.0 for s in out)
    probs = head(fused[:, 0]).softmax(dim=1)  # (K questions, K answers)
    for sample, expected in zip(out, probs):
        torch.testing.assert_close(sample.answer_scores, expected)
        assert sample.pred_score == pytest.approx(float(expected.max()))


@pytest.mark.parametrize('num_answers', [1, 1500])
def test_output_shape(num_answers):
    head = MODELS.build(dict(type='AnswerHead', in_dims=D, num_answers=num_answers))
    assert head(torch.randn(3, D)).shape == (3, num_answers)


def test_loss_is_fp32_under_bf16_autocast():
    head = MODELS.build(dict(type='AnswerHead', in_dims=D, num_answers=K))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = head.loss(features(torch.randn(4, 3, D)), samples([0, 4, -1, 2]))
    assert losses['loss_qa'].dtype == torch.float32
