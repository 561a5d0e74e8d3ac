"""Tests for ``MSRVTTDataset``: CLIP4Clip's MSRVTT_data.json with the 9k / 7k training CSVs,
the JSFusion 1k-A test CSV, and errors naming file, line and field."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, MSRVTTDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error

JSFUSION = (
    ',key,vid_key,video_id,sentence\n'
    '0,ret0,msr7020,video7020,  a man is talking on stage  \n'
    '1,ret1,msr7010,video7010,"a dog runs left, then stops"\n'
    '2,ret2,msr7030,video7030,a woman cooks pasta\n'
)


def build(ann_file, split_file, prefix: str = 'videos', **kwargs) -> MSRVTTDataset:
    return DATASETS.build(
        dict(
            type='MSRVTTDataset',
            ann_file=str(ann_file),
            split_file=str(split_file),
            data_prefix=dict(video=prefix),
            pipeline=[],
            **kwargs,
        )
    )


def infos(dataset) -> list:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def msrvtt_data(num_videos: int = 4, captions_per_video: int = 3) -> dict:
    """``video0`` ... with ``captions_per_video`` captions each, listed video by video."""
    ids = [f'video{i}' for i in range(num_videos)]
    return dict(
        info=dict(year=2016),
        videos=[dict(video_id=v, split='train', id=i) for i, v in enumerate(ids)],
        sentences=[
            dict(video_id=v, caption=f'{v} caption {j}', sen_id=10 * i + j)
            for i, v in enumerate(ids)
            for j in range(captions_per_video)
        ],
    )


def write_json(tmp_path: Path, content: dict, name: str = 'MSRVTT_data.json') -> Path:
    """Pretty-printed with ``indent=2``: each sentence starts on a line ``    {``."""
    path = tmp_path / name
    path.write_text(json.dumps(content, indent=2), encoding='utf-8')
    return path


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding='utf-8')
    return path


def sentence_line(path: Path, index: int) -> int:
    """Line on which the ``index``-th element of ``sentences`` starts."""
    lines = path.read_text(encoding='utf-8').splitlines()
    first = lines.index('  "sentences": [') + 1
    starts = [n for n in range(first + 1, len(lines) + 1) if lines[n - 1] == '    {']
    return starts[index]


# --- training splits ------------------------------------------------------------------------


def test_train_split_lists_videos_in_csv_order_with_all_captions(tmp_path):
    prefix = str(tmp_path / 'videos')
    ann = write_json(tmp_path, msrvtt_data())
    split = write_text(tmp_path, 'MSRVTT_train.9k.csv', 'video_id\nvideo2\nvideo0\nvideo3\n')
    dataset = build(ann, split, prefix)
    assert isinstance(dataset, MSRVTTDataset)
    assert [info['video_id'] for info in infos(dataset)] == ['video2', 'video0', 'video3']
    first = dataset.get_data_info(0)
    assert first['filename'] == osp.join(prefix, 'video2.mp4')
    assert first['text'] == ['video2 caption 0', 'video2 caption 1', 'video2 caption 2']
    # With an empty pipeline the sample is the data info itself.
    assert dataset[1]['text'] == ['video0 caption 0', 'video0 caption 1', 'video0 caption 2']


def test_captions_are_stripped_and_gathered_across_the_file(tmp_path):
    content = msrvtt_data(num_videos=2, captions_per_video=1)
    content['sentences'] += [
        dict(video_id='video0', caption='  late caption \n', sen_id=99),
        dict(video_id='video0', caption='', sen_id=100),
    ]
    split = write_text(tmp_path, 'MSRVTT_train.9k.csv', 'video_id\n video0 \n')
    info = build(write_json(tmp_path, content), split, 'p').get_data_info(0)
    assert info['video_id'] == 'video0'
    assert info['filename'] == osp.join('p', 'video0.mp4')
    assert info['text'] == ['video0 caption 0', 'late caption', '']


def test_7k_and_9k_select_different_videos(tmp_path):
    ann = write_json(tmp_path, msrvtt_data(num_videos=6))
    nine = write_text(
        tmp_path, 'MSRVTT_train.9k.csv', 'video_id\n' + ''.join(f'video{i}\n' for i in range(6))
    )
    seven = write_text(tmp_path, 'MSRVTT_train.7k.csv', 'video_id\nvideo1\nvideo4\n')
    nine_ids = [info['video_id'] for info in infos(build(ann, nine))]
    seven_ids = [info['video_id'] for info in infos(build(ann, seven))]
    assert nine_ids == [f'video{i}' for i in range(6)]
    assert seven_ids == ['video1', 'video4']


def test_extra_columns_and_bom_are_accepted(tmp_path):
    ann = write_json(tmp_path, msrvtt_data())
    split = tmp_path / 'MSRVTT_train.9k.csv'
    split.write_text('\ufeffvideo_id,extra\nvideo1,x\n', encoding='utf-8')
    assert [info['video_id'] for info in infos(build(ann, split))] == ['video1']


def test_split_file_and_ann_file_are_joined_with_data_root(tmp_path):
    root = tmp_path / 'msrvtt'
    root.mkdir()
    write_json(root, msrvtt_data())
    write_text(root, 'MSRVTT_train.7k.csv', 'video_id\nvideo3\n')
    dataset = build('MSRVTT_data.json', 'MSRVTT_train.7k.csv', 'videos', data_root=str(root))
    assert dataset.split_file == osp.join(str(root), 'MSRVTT_train.7k.csv')
    info = dataset.get_data_info(0)
    assert info['video_id'] == 'video3'
    assert info['filename'] == osp.join(str(root), 'videos', 'video3.mp4')
    assert info['text'][0] == 'video3 caption 0'


# --- the JSFusion 1k-A test -----------------------------------------------------------------


def test_jsfusion_one_sample_per_row_with_that_rows_sentence(tmp_path):
    prefix = str(tmp_path / 'videos')
    ann = write_json(tmp_path, msrvtt_data())  # has no video70xx: it must not be read
    split = write_text(tmp_path, 'MSRVTT_JSFUSION_test.csv', JSFUSION)
    all_infos = infos(build(ann, split, prefix))
    assert [info['video_id'] for info in all_infos] == ['video7020', 'video7010', 'video7030']
    assert [info['text'] for info in all_infos] == [
        ['a man is talking on stage'],
        ['a dog runs left, then stops'],
        ['a woman cooks pasta'],
    ]
    assert all_infos[1]['filename'] == osp.join(prefix, 'video7010.mp4')


def test_jsfusion_does_not_need_msrvtt_data_json(tmp_path):
    split = write_text(tmp_path, 'MSRVTT_JSFUSION_test.csv', JSFUSION)
    missing = tmp_path / 'absent' / 'MSRVTT_data.json'
    dataset = build(missing, split)
    assert len(dataset) == 3
    assert dataset.get_data_info(2)['text'] == ['a woman cooks pasta']


def test_jsfusion_without_the_unnamed_index_column(tmp_path):
    text = 'key,vid_key,video_id,sentence\nret0,msr7,video7,a clip\nret1,msr8,video8,again\n'
    split = write_text(tmp_path, 'MSRVTT_JSFUSION_test.csv', text)
    all_infos = infos(build(tmp_path / 'absent.json', split))
    assert [(info['video_id'], info['text']) for info in all_infos] == [
        ('video7', ['a clip']),
        ('video8', ['again']),
    ]


def test_jsfusion_video_listed_twice_names_both_lines(tmp_path):
    """Twice in the gallery a clip ties with itself: its query's hit would depend on rounding."""
    text = 'key,vid_key,video_id,sentence\nret0,msr7,video7,a clip\nret1,msr7,video7,again\n'
    split = write_text(tmp_path, 'MSRVTT_JSFUSION_test.csv', text)
    with pytest.raises(AnnotationError) as excinfo:
        build(tmp_path / 'absent.json', split)
    check_annotation_error(excinfo, split, 3, 'video_id')
    assert "duplicate video 'video7' (first at line 2)" in str(excinfo.value)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize('text', ['id,sentence\nvideo0,a clip\n', 'videoid\nvideo0\n', ''])
def test_split_csv_without_video_id_column(tmp_path, text):
    ann = write_json(tmp_path, msrvtt_data())
    split = write_text(tmp_path, 'MSRVTT_train.9k.csv', text)
    with pytest.raises(AnnotationError) as excinfo:
        build(ann, split)
    check_annotation_error(excinfo, split, 1, 'video_id')


def test_listed_video_without_sentence_names_its_csv_line(tmp_path):
    ann = write_json(tmp_path, msrvtt_data())
    # Header on line 1, good rows on 2 and 3, a blank line 4, the unknown video on line 5.
    split = write_text(
        tmp_path, 'MSRVTT_train.9k.csv', 'video_id\nvideo0\nvideo1\n\nvideo9999\nvideo2\n'
    )
    with pytest.raises(AnnotationError) as excinfo:
        build(ann, split)
    check_annotation_error(excinfo, split, 5, 'video_id')
    assert 'video9999' in str(excinfo.value)


@pytest.mark.parametrize(
    'name, text, line',
    [
        ('MSRVTT_train.9k.csv', 'video_id,extra\nvideo0,x\n,x\n', 3),
        ('MSRVTT_JSFUSION_test.csv', ',key,vid_key,video_id,sentence\n0,r,m,video7,a\n1,r,m\n', 3),
    ],
)
def test_row_without_video_id_names_its_csv_line(tmp_path, name, text, line):
    ann = write_json(tmp_path, msrvtt_data())
    split = write_text(tmp_path, name, text)
    with pytest.raises(AnnotationError) as excinfo:
        build(ann, split)
    check_annotation_error(excinfo, split, line, 'video_id')


def test_jsfusion_unquoted_comma_in_sentence(tmp_path):
    split = write_text(
        tmp_path,
        'MSRVTT_JSFUSION_test.csv',
        JSFUSION + '3,ret3,msr7040,video7040,a dog runs left, then stops\n',
    )
    with pytest.raises(AnnotationError, match='6 fields, expected 5') as excinfo:
        build(tmp_path / 'absent.json', split)
    check_annotation_error(excinfo, split, 5, '<row>')


def test_white_space_lines_of_the_training_list_are_skipped(tmp_path):
    ann = write_json(tmp_path, msrvtt_data())
    split = write_text(tmp_path, 'MSRVTT_train.9k.csv', 'video_id\n  \nvideo1\n\t\nvideo2\n')
    assert [info['video_id'] for info in infos(build(ann, split))] == ['video1', 'video2']


def test_jsfusion_row_without_sentence(tmp_path):
    split = write_text(
        tmp_path,
        'MSRVTT_JSFUSION_test.csv',
        ',key,vid_key,video_id,sentence\n0,r,m,video7,a\n1,r,m,video8\n',
    )
    with pytest.raises(AnnotationError) as excinfo:
        build(tmp_path / 'absent.json', split)
    check_annotation_error(excinfo, split, 3, 'sentence')


@pytest.mark.parametrize(
    'bad, field',
    [
        (dict(video_id='video1', sen_id=7), 'caption'),
        (dict(video_id='video1', caption=None, sen_id=7), 'caption'),
        (dict(video_id='video1', caption=7, sen_id=7), 'caption'),
        (dict(video_id='video1', caption=['a', 'list'], sen_id=7), 'caption'),
        (dict(caption='no video', sen_id=7), 'video_id'),
        (dict(video_id=1, caption='int video id', sen_id=7), 'video_id'),
    ],
)
def test_bad_sentence_names_file_line_and_field(tmp_path, bad, field):
    content = msrvtt_data()
    content['sentences'].insert(5, bad)
    ann = write_json(tmp_path, content)
    line = sentence_line(ann, 5)
    assert line > 40  # well below the videos
    split = write_text(tmp_path, 'MSRVTT_train.9k.csv', 'video_id\nvideo0\n')
    with pytest.raises(AnnotationError) as excinfo:
        build(ann, split)
    check_annotation_error(excinfo, ann, line, field)


def test_sentence_not_an_object(tmp_path):
    content = msrvtt_data()
    content['sentences'].insert(2, 'a caption without its record')
    ann = write_json(tmp_path, content)
    line = ann.read_text().splitlines().index('    "a caption without its record",') + 1
    split = write_text(tmp_path, 'MSRVTT_train.9k.csv', 'video_id\nvideo0\n')
    with pytest.raises(AnnotationError) as excinfo:
        build(ann, split)
    check_annotation_error(excinfo, ann, line, 'sentences')


def test_msrvtt_data_without_sentences(tmp_path):
    ann = write_json(tmp_path, dict(videos=[dict(video_id='video0')]))
    split = write_text(tmp_path, 'MSRVTT_train.9k.csv', 'video_id\nvideo0\n')
    with pytest.raises(AnnotationError) as excinfo:
        build(ann, split)
    check_annotation_error(excinfo, ann, 1, 'sentences')
