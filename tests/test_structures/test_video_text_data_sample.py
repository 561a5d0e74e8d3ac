"""Tests for ``VideoTextDataSample``: validated fields, packing defaults, metrics round trip."""

import numpy as np
import pytest
import torch

from vtp.datasets.transforms import PackVideoTextInputs
from vtp.evaluation import VideoQAMetric
from vtp.structures import FIELDS, META_FIELDS, VideoTextDataSample


def qa_results() -> dict:
    """What a ``VideoQADataset`` pipeline holds before packing."""
    return dict(
        imgs=np.zeros((2, 8, 8, 3), np.uint8),
        input_ids=np.ones((1, 4), np.int64),
        attention_mask=np.ones((1, 4), np.int64),
        sample_idx=5,
        filename='videos/video7.mp4',
        video_id='7',
        text='what colour is it?',
        answer='red',
        label=0,
        question_id=31,
        question_type='what',
    )


@pytest.mark.parametrize(
    'name,value,error,match',
    [
        (
            'label',
            'red',
            TypeError,
            r'VideoTextDataSample.label \(index of the true class.*got str',
        ),
        ('label', True, TypeError, r'label .*expected Integral, got bool'),
        ('answer', 3, TypeError, r'VideoTextDataSample.answer .*expected str, got int'),
        ('text', ['a', 2], TypeError, r'VideoTextDataSample.text .*items of type str, got int'),
        (
            'video_embed',
            torch.zeros(2, 4),
            ValueError,
            r'video_embed .*1-d tensor, got shape \(2, 4\)',
        ),
        ('text_embeds', torch.zeros(4), ValueError, r'text_embeds \(\(K, E\).*2-d tensor'),
        ('option_scores', [0.1, 0.9], TypeError, r'option_scores .*expected Tensor, got list'),
        ('pred_label', 1.0, TypeError, r'pred_label .*expected Integral, got float'),
    ],
)
def test_a_wrong_value_is_an_error_naming_the_field(name, value, error, match):
    sample = VideoTextDataSample()
    with pytest.raises(error, match=match):
        setattr(sample, name, value)
    with pytest.raises(error, match=match):
        VideoTextDataSample(metainfo={name: value})


def test_good_values_land_in_their_kind_however_set():
    sample = VideoTextDataSample(metainfo=dict(label=np.int64(3), text=('a', 'b')))
    sample.missing = True  # an annotation-side field set as an attribute: still metainfo
    sample.set_metainfo(dict(video_embed=torch.zeros(4)))  # a prediction: still data
    sample.user_extra = {'anything': 1}  # not a known field: unchecked
    assert set(sample.metainfo_keys()) == {'label', 'text', 'missing'}
    assert set(sample.keys()) == {'video_embed', 'user_extra'}


def test_every_field_is_documented_with_a_kind():
    assert set(META_FIELDS) | {n for n, f in FIELDS.items() if f.kind == 'data'} == set(FIELDS)
    for name, field in FIELDS.items():
        assert field.kind in ('metainfo', 'data') and field.doc, name
        if field.ndim is not None:
            assert field.doc.startswith('('), f'{name}: a tensor field documents its shape'


def test_qa_result_packs_targets_without_meta_keys():
    sample = PackVideoTextInputs()(qa_results())['data_samples']
    assert isinstance(sample, VideoTextDataSample)
    assert (sample.label, sample.answer, sample.question_id) == (0, 'red', 31)
    assert sample.question_type == 'what' and sample.text == 'what colour is it?'


def test_round_trip_through_to_dict_for_metrics():
    sample = PackVideoTextInputs()(qa_results())['data_samples']
    sample.pred_label, sample.pred_score = 0, 0.75
    sample.video_embed = torch.ones(4)
    as_dict = sample.to_dict()  # what mmengine's evaluator hands a metric
    back = VideoTextDataSample.from_dict(as_dict)
    assert back.to_dict().keys() == as_dict.keys()
    assert set(back.metainfo_keys()) == set(sample.metainfo_keys())
    assert set(back.keys()) == {'pred_label', 'pred_score', 'video_embed'}
    assert back.label == 0 and back.pred_score == 0.75
    with pytest.raises(TypeError, match='VideoTextDataSample.label'):
        VideoTextDataSample.from_dict(dict(as_dict, label='red'))

    metric = VideoQAMetric()
    metric.dataset_meta = dict(answers=['red', 'blue'])
    metric.process([], [as_dict])
    assert metric.evaluate(1) == {'qa/acc': 100.0, 'qa/acc_what': 100.0, 'qa/num_what': 1.0}
