"""Tests for ``MultipleChoiceDataset``: the MSRVTT-MC json layout and its errors."""

import json
import os.path as osp

import pytest

from vtp.datasets import AnnotationError
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error


def build(path, prefix='videos'):
    return DATASETS.build(
        dict(
            type='MultipleChoiceDataset',
            ann_file=str(path),
            data_prefix=dict(video=prefix),
            pipeline=[],
        )
    )


def test_loads_options_and_true_option_as_label(tmp_path):
    path = tmp_path / 'mc.json'
    path.write_text(
        json.dumps(
            [
                dict(video='video7.mp4', caption=[' a ', 'b', 'c'], answer=2),
                dict(video='video9.mp4', caption=['d', 'e'], answer=0),
            ]
        )
    )
    dataset = build(path)
    first = dataset.get_data_info(0)
    assert first['filename'] == osp.join('videos', 'video7.mp4')
    assert (first['text'], first['label'], first['question_id']) == (['a', 'b', 'c'], 2, 0)
    assert dataset.get_data_info(1)['video_id'] == 'video9'


@pytest.mark.parametrize(
    'bad, field',
    [
        (dict(caption=['a', 'b'], answer=0), 'video'),
        (dict(video='v.mp4', answer=0), 'caption'),
        (dict(video='v.mp4', caption='a b', answer=0), 'caption'),
        (dict(video='v.mp4', caption=['a', 3], answer=0), 'caption[1]'),
        (dict(video='v.mp4', caption=['a', 'b']), 'answer'),
        (dict(video='v.mp4', caption=['a', 'b'], answer=2), 'answer'),
        (dict(video='v.mp4', caption=['a', 'b'], answer='1'), 'answer'),
        (dict(video='v.mp4', caption=['a', ' '], answer=0), 'caption[1]'),
        (dict(video='v.mp4', caption=['a'], answer=0), 'caption'),  # always right
        (dict(video='v.mp4', caption=['a', 'a '], answer=0), 'caption'),  # a tie at best
    ],
)
def test_bad_entry_names_file_line_and_field(tmp_path, bad, field):
    path = tmp_path / 'mc.json'
    path.write_text(json.dumps([dict(video='ok.mp4', caption=['a', 'b'], answer=1), bad], indent=2))
    line = path.read_text().splitlines().index('  {', 2) + 1
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)
