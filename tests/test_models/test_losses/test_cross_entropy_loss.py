"""Tests for ``CrossEntropyLoss``: ignored targets, weight, an empty batch."""

import torch
import torch.nn.functional as F

from vtp.registry import MODELS


def test_cross_entropy_all_ignored_is_zero_with_grad():
    loss = MODELS.build(dict(type='CrossEntropyLoss', loss_weight=3.0))
    logits = torch.randn(4, 5, requires_grad=True)
    value = loss(logits, torch.full((4,), -100))
    assert value.requires_grad
    assert value.item() == 0.0
    value.backward()
    assert logits.grad is not None and torch.count_nonzero(logits.grad) == 0
    # the same with no target at all (MLM batch without masked tokens)
    empty = torch.zeros(0, 5, requires_grad=True)
    value = loss(empty, torch.zeros(0, dtype=torch.long))
    assert value.item() == 0.0 and value.requires_grad
    value.backward()


def test_cross_entropy_weight_and_ignore_index():
    logits = torch.randn(6, 4)
    target = torch.tensor([0, 3, -1, 2, -1, 1])
    plain = MODELS.build(dict(type='CrossEntropyLoss', ignore_index=-1))
    weighted = MODELS.build(dict(type='CrossEntropyLoss', ignore_index=-1, loss_weight=2.5))
    keep = target != -1
    expected = F.cross_entropy(logits[keep], target[keep])
    torch.testing.assert_close(plain(logits, target), expected)
    torch.testing.assert_close(weighted(logits, target), 2.5 * expected)


def test_cross_entropy_of_bf16_logits_is_fp32():
    logits = torch.randn(6, 4).bfloat16()
    target = torch.tensor([0, 3, 1, 2, 0, 1])
    loss = MODELS.build(dict(type='CrossEntropyLoss'))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(logits, target)
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, F.cross_entropy(logits.float(), target))
