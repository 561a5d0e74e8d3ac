"""Tests for ``PackVideoTextInputs``."""

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from vtp.datasets.transforms import PackVideoTextInputs
from vtp.structures import VideoTextDataSample


def sample(with_mlm: bool = True) -> dict:
    rng = np.random.default_rng(0)
    results = dict(
        imgs=rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8),
        input_ids=rng.integers(0, 1000, (1, 8)),
        attention_mask=np.ones((1, 8), np.int64),
        sample_idx=3,
        video_id='v3',
        text='a caption',
        filename='/data/v3.mp4',
        frame_inds=np.arange(4),
        total_frames=12,
        flipped=False,
    )
    if with_mlm:
        results['mlm_input_ids'] = results['input_ids'].copy()
        results['mlm_labels'] = np.full((1, 8), -100)
    return results


def test_packs_inputs_and_metainfo():
    results = sample()
    packed = PackVideoTextInputs()(dict(results))
    assert set(packed) == {'inputs', 'data_samples'}
    inputs = packed['inputs']
    assert set(inputs) == {
        'video',
        'clip_id',
        'input_ids',
        'attention_mask',
        'mlm_input_ids',
        'mlm_labels',
    }
    assert all(isinstance(v, torch.Tensor) for v in inputs.values())
    assert inputs['clip_id'].shape == () and inputs['clip_id'].dtype == torch.int64
    assert inputs['video'].shape == (4, 32, 32, 3) and inputs['video'].dtype == torch.uint8
    np.testing.assert_array_equal(inputs['video'].numpy(), results['imgs'])
    for key in ('input_ids', 'attention_mask', 'mlm_input_ids', 'mlm_labels'):
        assert inputs[key].shape == (1, 8) and inputs[key].dtype == torch.int64
        np.testing.assert_array_equal(inputs[key].numpy(), results[key])
    data_sample = packed['data_samples']
    assert isinstance(data_sample, BaseDataElement)
    assert set(data_sample.metainfo_keys()) == {'sample_idx', 'video_id', 'text', 'filename'}
    assert data_sample.sample_idx == 3 and data_sample.video_id == 'v3'
    assert data_sample.text == 'a caption' and data_sample.filename == '/data/v3.mp4'


def test_without_mlm_keys():
    inputs = PackVideoTextInputs()(sample(with_mlm=False))['inputs']
    assert set(inputs) == {'video', 'clip_id', 'input_ids', 'attention_mask'}


def test_clip_identity_is_the_file_and_time_window():
    def clip_id(**changes) -> int:
        return int(PackVideoTextInputs()({**sample(), **changes})['inputs']['clip_id'])

    first = clip_id()
    assert clip_id(text='another caption', sample_idx=9) == first  # same clip, other caption
    assert clip_id(filename='/data/v4.mp4') != first
    assert clip_id(start=0.0, end=5.0) != clip_id(start=5.0, end=10.0)  # two windows of a video
    without_file = {k: v for k, v in sample().items() if k != 'filename'}
    packed = [PackVideoTextInputs()(dict(without_file, sample_idx=i)) for i in (1, 2)]
    assert packed[0]['inputs']['clip_id'] != packed[1]['inputs']['clip_id']


def test_a_given_identity_names_the_clip_whatever_its_file():
    def clip_id(**changes) -> int:
        return int(PackVideoTextInputs()({**sample(), **changes})['inputs']['clip_id'])

    shown = clip_id(identity='a red circle moves left')
    assert clip_id(identity='a red circle moves left', filename='/data/v9.mp4') == shown
    assert clip_id(identity='a red circle moves right') != shown
    assert clip_id() != shown
    assert clip_id(identity='\ud800') != clip_id(identity='\udc80')  # lone surrogates hash
    assert clip_id(identity='caf\u00e9') == clip_id(identity='cafe\u0301')  # one text, NFC
    for bad in ('', None, 1):
        with pytest.raises(ValueError, match='identity must be a non-empty str, got'):
            clip_id(identity=bad)


def test_meta_keys_add_extras_to_the_known_fields_and_missing_ones_are_skipped():
    packed = PackVideoTextInputs(meta_keys=('flipped', 'absent'))(sample())
    assert set(packed['data_samples'].metainfo_keys()) == {
        'sample_idx',
        'video_id',
        'text',
        'filename',
        'flipped',
    }


def test_packs_every_known_target_without_meta_keys():
    qa = dict(
        sample(),
        text='what colour is it?',
        answer='red',
        label=0,
        question_id=12,
        question_type='what',
        duration=3.0,  # not a sample field: left out
    )
    data_sample = PackVideoTextInputs()(qa)['data_samples']
    assert isinstance(data_sample, VideoTextDataSample)
    assert (data_sample.answer, data_sample.label, data_sample.question_id) == ('red', 0, 12)
    assert data_sample.question_type == 'what' and 'duration' not in data_sample
    mc = dict(sample(), text=['a', 'b', 'c'], label=2, question_id=0)
    data_sample = PackVideoTextInputs()(mc)['data_samples']
    assert (data_sample.text, data_sample.label) == (['a', 'b', 'c'], 2)


def test_non_contiguous_frames():
    results = sample()
    full = np.random.default_rng(1).integers(0, 256, (4, 48, 64, 3), dtype=np.uint8)
    results['imgs'] = full[:, 8:40, 16:48]  # a crop view
    video = PackVideoTextInputs()(results)['inputs']['video']
    np.testing.assert_array_equal(video.numpy(), full[:, 8:40, 16:48])
