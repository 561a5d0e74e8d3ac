"""Tests for ``VideoQADataset``: MSRVTT-QA and MSVD-QA layouts, labels, types, errors."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error

ANSWERS = ['red', 'left', 'two']


def write(tmp_path: Path, items, answers=ANSWERS, mapping: str = None) -> Path:
    (tmp_path / 'qa.json').write_text(json.dumps(items, indent=2))
    (tmp_path / 'answers.json').write_text(json.dumps(answers))
    if mapping is not None:
        (tmp_path / 'youtube_mapping.txt').write_text(mapping)
    return tmp_path / 'qa.json'


def build(tmp_path: Path, **kwargs):
    return DATASETS.build(
        dict(
            type='VideoQADataset',
            data_root=str(tmp_path),
            ann_file='qa.json',
            answer_list='answers.json',
            data_prefix=dict(video='videos'),
            pipeline=[],
            **kwargs,
        )
    )


def infos(dataset) -> list:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def test_msrvtt_qa_layout(tmp_path):
    write(
        tmp_path,
        [
            dict(question='What colour is it? ', answer='red', video_id=7, id=0),
            dict(question='how many dogs', answer='seven', video_id=9, id=1),
            dict(question='which way', answer='left', video_id=7, id=2, type='dir'),
        ],
    )
    dataset = build(tmp_path)
    first, second, third = infos(dataset)
    assert first['filename'] == osp.join(str(tmp_path), 'videos', 'video7.mp4')
    assert (first['text'], first['answer'], first['label']) == ('What colour is it?', 'red', 0)
    assert (second['label'], second['question_type']) == (-1, 'how')  # not in the vocabulary
    assert (first['question_type'], third['question_type']) == ('what', 'dir')
    assert [i['question_id'] for i in infos(dataset)] == [0, 1, 2]
    assert dataset.metainfo['answers'] == ANSWERS


def test_msvd_qa_mapping(tmp_path):
    write(
        tmp_path,
        [dict(question='who sings', answer='two', video_id=2, id=5)],
        mapping='abc_1_5 vid1\nxyz_3_9 vid2\n',
    )
    (info,) = infos(build(tmp_path, mapping_file='youtube_mapping.txt', video_template='{}.avi'))
    assert info['filename'] == osp.join(str(tmp_path), 'videos', 'xyz_3_9.avi')
    assert info['label'] == 2


@pytest.mark.parametrize(
    'bad, field',
    [
        (dict(answer='red', video_id=1, id=0), 'question'),
        (dict(question='q', video_id=1, id=0), 'answer'),
        (dict(question='q', answer='red', id=0), 'video_id'),
        (dict(question='q', answer='red', video_id=1.5, id=0), 'video_id'),
        (dict(question='q', answer=3, video_id=1, id=0), 'answer'),
        (dict(question='q', answer='red', video_id=1), 'id'),
    ],
)
def test_bad_entry_names_file_line_and_field(tmp_path, bad, field):
    path = write(tmp_path, [dict(question='q', answer='red', video_id=1, id=0), bad])
    line = path.read_text().splitlines().index('  {', 2) + 1  # the second element
    with pytest.raises(AnnotationError) as excinfo:
        build(tmp_path)
    check_annotation_error(excinfo, path, line, field)


def test_mapping_errors(tmp_path):
    write(tmp_path, [dict(question='q', answer='red', video_id=3, id=0)], mapping='abc vid1\n')
    with pytest.raises(AnnotationError, match='3 is not in') as excinfo:
        build(tmp_path, mapping_file='youtube_mapping.txt')
    check_annotation_error(excinfo, tmp_path / 'qa.json', 2, 'video_id')
    for line in ('broken line here', 'xyz vid\u00b2', 'xyz vid'):  # '²'.isdigit() is True
        (tmp_path / 'youtube_mapping.txt').write_text(f'abc vid1\n{line}\n')
        with pytest.raises(AnnotationError, match='expected "<youtube id> vid<N>"') as excinfo:
            build(tmp_path, mapping_file='youtube_mapping.txt')
        check_annotation_error(excinfo, tmp_path / 'youtube_mapping.txt', 2, '<line>')


@pytest.mark.parametrize(
    'mapping, field',
    [('abc vid1\nxyz vid2\nuvw vid1\n', 'vid<N>'), ('abc vid1\nabc vid3\n', '<youtube id>')],
)
def test_mapping_line_given_twice_is_an_error(tmp_path, mapping, field):
    """The last line used to win: the questions of vid1 were asked about another video."""
    write(tmp_path, [dict(question='q', answer='red', video_id=1, id=0)], mapping=mapping)
    with pytest.raises(AnnotationError, match=r'duplicate id .* \(first at line 1\)') as excinfo:
        build(tmp_path, mapping_file='youtube_mapping.txt')
    line = mapping.count('\n')
    check_annotation_error(excinfo, tmp_path / 'youtube_mapping.txt', line, field)


@pytest.mark.parametrize('second_id', [4, '4'])
def test_question_id_given_twice_is_an_error(tmp_path, second_id):
    """Predictions are keyed by question id: two questions with one id would share one."""
    path = write(
        tmp_path,
        [
            dict(question='q', answer='red', video_id=1, id=4),
            dict(question='r', answer='red', video_id=1, id=5),
            dict(question='s', answer='two', video_id=2, id=second_id),
        ],
    )
    with pytest.raises(AnnotationError, match=r'duplicate id .*4.* \(first at line 2\)') as excinfo:
        build(tmp_path)
    line = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text == '  {'][2]
    check_annotation_error(excinfo, path, line, 'id')


def test_answer_list_must_be_a_list_of_strings(tmp_path):
    write(tmp_path, [dict(question='q', answer='red', video_id=1, id=0)], answers={'red': 0})
    with pytest.raises(AnnotationError) as excinfo:
        build(tmp_path)
    check_annotation_error(excinfo, tmp_path / 'answers.json', 1, '<root>')


@pytest.mark.parametrize(
    'answers, line, problem',
    [
        (['red', 'left', 'red'], 4, "'red' is listed twice"),  # a second index for one class
        (['red', 3], 3, 'expected a string, got 3'),
    ],
)
def test_answer_list_entries(tmp_path, answers, line, problem):
    write(tmp_path, [dict(question='q', answer='red', video_id=1, id=0)])
    (tmp_path / 'answers.json').write_text(json.dumps(answers, indent=1))
    with pytest.raises(AnnotationError, match=problem) as excinfo:
        build(tmp_path)
    check_annotation_error(excinfo, tmp_path / 'answers.json', line, '<answer>')


def test_question_type_must_be_a_string(tmp_path):
    write(tmp_path, [dict(question='q', answer='red', video_id=1, id=0, type=['what'])])
    with pytest.raises(AnnotationError) as excinfo:
        build(tmp_path)
    check_annotation_error(excinfo, tmp_path / 'qa.json', 2, 'type')
