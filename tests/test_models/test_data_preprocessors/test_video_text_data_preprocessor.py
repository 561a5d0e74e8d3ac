"""Tests for ``VideoTextDataPreprocessor``."""

import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import BaseDataElement

from vtp.registry import MODELS
from vtp.structures import INPUT_KEYS

MEAN = (100.0, 110.0, 120.0)
STD = (50.0, 60.0, 70.0)


def packed_sample(
    num_captions: int, frames: int = 3, size: int = 8, length: int = 5, real: int = 5
) -> dict:
    """A sample of ``num_captions`` captions of ``real`` tokens padded to ``length``."""
    ids = torch.randint(1000, 2000, (num_captions, length))
    mask = torch.ones(num_captions, length, dtype=torch.long)
    mask[:, real:] = 0
    ids[:, real:] = 0
    return dict(
        inputs=dict(
            video=torch.randint(0, 256, (frames, size, size, 3), dtype=torch.uint8),
            input_ids=ids,
            attention_mask=mask,
        ),
        data_samples=BaseDataElement(metainfo=dict(num_captions=num_captions)),
    )


def test_video_is_normalised_channels_first():
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor', mean=MEAN, std=STD))
    samples = [packed_sample(1), packed_sample(1)]
    data = preprocessor(pseudo_collate(samples))
    video = data['inputs']['video']
    assert video.shape == (2, 3, 3, 8, 8)
    assert video.dtype == torch.float32
    for b, sample in enumerate(samples):
        raw = sample['inputs']['video'].float()  # (T, H, W, C)
        for c in range(3):
            expected = (raw[..., c] - MEAN[c]) / STD[c]
            torch.testing.assert_close(video[b, c], expected)


def test_text_keys_are_concatenated_with_counts():
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor'))
    samples = [packed_sample(2), packed_sample(1), packed_sample(3)]
    for sample in samples:  # training keys, only where present
        ids = sample['inputs']['input_ids']
        sample['inputs']['mlm_input_ids'] = ids.clone()
        sample['inputs']['mlm_labels'] = torch.full_like(ids, -100)
    data = preprocessor(pseudo_collate(samples), training=True)
    inputs = data['inputs']
    assert set(inputs) == {
        'video',
        'input_ids',
        'attention_mask',
        'mlm_input_ids',
        'mlm_labels',
        'text_counts',
    }
    for key in ('input_ids', 'attention_mask', 'mlm_input_ids', 'mlm_labels'):
        assert inputs[key].shape == (6, 5), key
        torch.testing.assert_close(inputs[key], torch.cat([s['inputs'][key] for s in samples]))
    assert inputs['text_counts'].tolist() == [2, 1, 3]
    assert [s.num_captions for s in data['data_samples']] == [2, 1, 3]


def test_missing_optional_text_keys_are_left_out():
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor'))
    data = preprocessor(pseudo_collate([packed_sample(1)]))
    assert 'mlm_input_ids' not in data['inputs'] and 'mlm_labels' not in data['inputs']
    assert data['inputs']['text_counts'].tolist() == [1]


def test_clip_identities_are_stacked():
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor'))
    samples = [packed_sample(1) for _ in range(3)]
    for sample, clip in zip(samples, (7, -3, 7)):
        sample['inputs']['clip_id'] = torch.tensor(clip)
    clip_ids = preprocessor(pseudo_collate(samples), training=True)['inputs']['clip_ids']
    assert clip_ids.tolist() == [7, -3, 7] and clip_ids.dtype == torch.int64


def test_clips_without_text_give_video_only_inputs():
    """Clips read without text (feature extraction) batch to video and clip ids alone."""
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor', mean=MEAN, std=STD))
    samples = [packed_sample(1), packed_sample(1)]
    for sample in samples:
        del sample['inputs']['input_ids'], sample['inputs']['attention_mask']
    inputs = preprocessor(pseudo_collate(samples))['inputs']
    assert set(inputs) == {'video'}
    assert inputs['video'].shape == (2, 3, 3, 8, 8)


def test_training_trims_the_columns_that_are_padding_in_every_caption():
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor'))
    samples = [packed_sample(2, length=8, real=3), packed_sample(1, length=8, real=5)]
    for sample in samples:
        ids = sample['inputs']['input_ids']
        sample['inputs']['mlm_input_ids'] = ids.clone()
        sample['inputs']['mlm_labels'] = torch.full_like(ids, -100)
    full = {key: torch.cat([s['inputs'][key] for s in samples]) for key in INPUT_KEYS}
    trained = preprocessor(pseudo_collate(samples), training=True)['inputs']
    for key in INPUT_KEYS:  # the longest caption's 5 tokens
        torch.testing.assert_close(trained[key], full[key][:, :5])
    evaluated = preprocessor(pseudo_collate(samples))['inputs']  # evaluation keeps all 8
    untrimmed = MODELS.build(dict(type='VideoTextDataPreprocessor', trim_padding=False))
    kept = untrimmed(pseudo_collate(samples), training=True)['inputs']
    for key in INPUT_KEYS:
        torch.testing.assert_close(evaluated[key], full[key])
        torch.testing.assert_close(kept[key], full[key])


def test_trimming_keeps_padding_before_a_real_token():
    """Only trailing columns go: a left-padded caption keeps its leading padding (its position
    ids would shift), and a batch of empty masks keeps one column."""
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor'))
    sample = packed_sample(1, length=6)
    sample['inputs']['attention_mask'] = torch.tensor([[0, 0, 1, 1, 0, 0]])
    inputs = preprocessor(pseudo_collate([sample]), training=True)['inputs']
    assert inputs['attention_mask'].tolist() == [[0, 0, 1, 1]]
    assert inputs['input_ids'].shape == (1, 4)
    sample['inputs']['attention_mask'] = torch.zeros(1, 6, dtype=torch.long)
    inputs = preprocessor(pseudo_collate([sample]), training=True)['inputs']
    assert inputs['attention_mask'].shape == inputs['input_ids'].shape == (1, 1)


def test_trimmed_captions_encode_the_same():
    """What trimming promises: a caption's token features and sentence feature do not depend
    on the padding after the batch's longest caption."""
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='BertTextEncoder', arch='toy', pooling='mean')).eval()
    preprocessor = MODELS.build(dict(type='VideoTextDataPreprocessor'))
    samples = [packed_sample(1, length=12, real=4), packed_sample(1, length=12, real=7)]
    trimmed = preprocessor(pseudo_collate(samples), training=True)['inputs']
    full = preprocessor(pseudo_collate(samples))['inputs']
    assert trimmed['input_ids'].shape == (2, 7) and full['input_ids'].shape == (2, 12)
    with torch.no_grad():
        tokens, pooled = encoder(trimmed['input_ids'], trimmed['attention_mask'])
        full_tokens, full_pooled = encoder(full['input_ids'], full['attention_mask'])
    torch.testing.assert_close(pooled, full_pooled, rtol=1e-5, atol=1e-6)
    real = trimmed['attention_mask'].bool()
    torch.testing.assert_close(tokens[real], full_tokens[:, :7][real], rtol=1e-5, atol=1e-6)
