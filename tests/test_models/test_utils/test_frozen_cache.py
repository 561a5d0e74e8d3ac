"""``FrozenFeatureCache`` alone: one compute call for the captions not kept, keys by real
tokens, room, the weights' stamp, copies. The encoder's use of it is tested with
``BertTextEncoder``."""

import copy
import pickle

import torch

from vtp.models.utils.frozen_cache import FrozenFeatureCache

WIDTH = 3


def compute_log():
    """A frozen part (features = ids repeated over WIDTH, times the weight) and its calls."""
    weight = torch.ones(1)
    calls = []

    def compute(ids, mask):
        calls.append(ids.tolist())
        return ids.unsqueeze(-1).float().expand(-1, -1, WIDTH) * weight

    return compute, calls, weight


def test_computes_only_the_captions_not_kept_once_each():
    compute, calls, weight = compute_log()
    cache = FrozenFeatureCache(2**20)
    ids = torch.tensor([[5, 6, 0], [7, 0, 0], [5, 6, 0]])
    mask = (ids != 0).long()
    out = cache(ids, mask, compute, [weight])
    assert calls == [[[5, 6, 0], [7, 0, 0]]]  # caption 0 twice in the batch: computed once
    expected = ids.unsqueeze(-1).float().expand(-1, -1, WIDTH) * mask.unsqueeze(-1)
    torch.testing.assert_close(out, expected)  # zeros after the last real token
    # the same captions padded to 5, and a new one: only the new one is computed
    ids5 = torch.tensor([[7, 0, 0, 0, 0], [8, 9, 4, 0, 0], [5, 6, 0, 0, 0]])
    out = cache(ids5, (ids5 != 0).long(), compute, [weight])
    assert calls[1:] == [[[8, 9, 4, 0, 0]]]
    assert out.shape == (3, 5, WIDTH) and out[1, 2, 0] == 4 and not out[:, 3:].any()
    assert len(cache) == 3 and cache.used == (2 + 1 + 3) * WIDTH * 4


def test_a_changed_weight_drops_everything_kept():
    compute, calls, weight = compute_log()
    cache = FrozenFeatureCache(2**20)
    ids = torch.tensor([[5, 6]])
    mask = torch.ones_like(ids)
    cache(ids, mask, compute, [weight])
    weight.mul_(2)  # in place: its version moves on
    out = cache(ids, mask, compute, [weight])
    assert len(calls) == 2 and out[0, 1, 0] == 12
    cache(ids, mask, compute, [torch.full((1,), 2.0)])  # another tensor, though equal
    assert len(calls) == 3


def test_room_is_counted_and_copies_start_empty():
    compute, calls, weight = compute_log()
    cache = FrozenFeatureCache(2 * WIDTH * 4)  # two tokens' features
    ids = torch.tensor([[5, 6], [7, 0]])
    mask = (ids != 0).long()
    cache(ids, mask, compute, [weight])
    assert len(cache) == 1 and cache.used == 2 * WIDTH * 4  # caption 1 did not fit
    cache(ids, mask, compute, [weight])
    assert calls[1] == [[7, 0]]
    for copied in (copy.deepcopy(cache), pickle.loads(pickle.dumps(cache))):
        assert len(copied) == 0 and copied.used == 0 and copied.capacity == cache.capacity
