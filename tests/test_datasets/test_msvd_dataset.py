"""Tests for ``MSVDDataset``: raw-captions.pkl with a split id list, a pickle reader that never
imports (so never runs) anything, and errors naming file, line and field."""

import collections
import os
import os.path as osp
import pickle
import shlex
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, MSVDDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error

CAPTIONS = {
    'vid_a_1_5': [['a', 'man', 'plays', 'guitar'], ['someone', 'is', 'playing']],
    'vid_b_0_9': [['a', 'cat', 'sleeps']],
    'vid_c_3_8': [['two', 'dogs'], ['dogs', 'run'], ['pets', 'playing', 'outside']],
}


def build(ann_file, split_file, prefix: str = 'YouTubeClips', **kwargs) -> MSVDDataset:
    return DATASETS.build(
        dict(
            type='MSVDDataset',
            ann_file=str(ann_file),
            split_file=str(split_file),
            data_prefix=dict(video=prefix),
            pipeline=[],
            **kwargs,
        )
    )


def infos(dataset) -> list:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def write_pickle(tmp_path: Path, content, protocol: int = pickle.HIGHEST_PROTOCOL) -> Path:
    path = tmp_path / 'raw-captions.pkl'
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    return path


def write_split(tmp_path: Path, text: str, name: str = 'test_list.txt') -> Path:
    path = tmp_path / name
    path.write_text(text, encoding='utf-8')
    return path


class Plain:
    """A harmless class: loading its instance still needs an import, which is refused."""


class WritesFile:
    """Unpickling calls ``open(marker, 'w')``, creating the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')


class RunsShell:
    """Unpickling runs ``touch marker`` through ``os.system``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f'touch {shlex.quote(self.marker)}',)


class RunsExec:
    """Unpickling ``exec``s Python that creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f'open({self.marker!r}, "w").close()',)


# --- loading --------------------------------------------------------------------------------


def test_split_order_joined_tokens_and_all_captions(tmp_path):
    prefix = str(tmp_path / 'YouTubeClips')
    split = write_split(tmp_path, 'vid_c_3_8\nvid_a_1_5\n')
    dataset = build(write_pickle(tmp_path, CAPTIONS), split, prefix)
    assert isinstance(dataset, MSVDDataset)
    first, second = infos(dataset)
    assert first['video_id'] == 'vid_c_3_8'
    assert first['filename'] == osp.join(prefix, 'vid_c_3_8.avi')
    assert first['text'] == ['two dogs', 'dogs run', 'pets playing outside']
    assert second['video_id'] == 'vid_a_1_5'
    assert second['text'] == ['a man plays guitar', 'someone is playing']
    # With an empty pipeline the sample is the data info itself.
    assert dataset[1]['text'] == second['text']


@pytest.mark.parametrize('protocol', range(pickle.HIGHEST_PROTOCOL + 1))
def test_plain_pickles_of_every_protocol_load(tmp_path, protocol):
    split = write_split(tmp_path, 'vid_b_0_9\n')
    info = build(write_pickle(tmp_path, CAPTIONS, protocol), split).get_data_info(0)
    assert info['text'] == ['a cat sleeps']


def test_split_lines_are_stripped_and_blank_lines_skipped(tmp_path):
    split = tmp_path / 'train_list.txt'
    split.write_bytes(b'  vid_b_0_9 \r\n\r\nvid_a_1_5\r\n\n')
    assert [info['video_id'] for info in infos(build(write_pickle(tmp_path, CAPTIONS), split))] == [
        'vid_b_0_9',
        'vid_a_1_5',
    ]


@pytest.mark.parametrize(
    'video_ext, name', [('.mp4', 'vid_b_0_9.mp4'), ('.avi', 'vid_b_0_9.avi'), ('', 'vid_b_0_9')]
)
def test_video_ext(tmp_path, video_ext, name):
    split = write_split(tmp_path, 'vid_b_0_9\n')
    info = build(write_pickle(tmp_path, CAPTIONS), split, 'p', video_ext=video_ext).get_data_info(0)
    assert info['filename'] == osp.join('p', name)
    assert info['video_id'] == 'vid_b_0_9'


def test_split_file_and_ann_file_are_joined_with_data_root(tmp_path):
    write_pickle(tmp_path, CAPTIONS)
    write_split(tmp_path, 'vid_a_1_5\n', 'val_list.txt')
    dataset = build('raw-captions.pkl', 'val_list.txt', 'clips', data_root=str(tmp_path))
    assert dataset.split_file == osp.join(str(tmp_path), 'val_list.txt')
    assert dataset.get_data_info(0)['filename'] == osp.join(str(tmp_path), 'clips', 'vid_a_1_5.avi')


def test_empty_token_list_is_an_empty_caption(tmp_path):
    """An empty caption is one sample's problem, replaced when the sample is read."""
    split = write_split(tmp_path, 'v\n')
    info = build(write_pickle(tmp_path, {'v': [['a', 'b'], []]}), split).get_data_info(0)
    assert info['text'] == ['a b', '']


# --- errors ---------------------------------------------------------------------------------


def test_split_id_missing_from_the_pickle_names_split_file_and_line(tmp_path):
    # Ids on lines 1 and 2, a blank line 3, the unknown id on line 4.
    split = write_split(tmp_path, 'vid_a_1_5\nvid_b_0_9\n\nvid_unknown\nvid_c_3_8\n')
    with pytest.raises(AnnotationError) as excinfo:
        build(write_pickle(tmp_path, CAPTIONS), split)
    check_annotation_error(excinfo, split, 4, 'video_id')
    assert 'vid_unknown' in str(excinfo.value)


@pytest.mark.parametrize(
    'content',
    [
        {'v': [['a']], 'x': collections.OrderedDict()},
        {'v': [['a']], 'x': collections.Counter('ab')},
        {'v': [['a']], 'x': Plain()},
        {'v': [['a']], 'x': {'deep': [Plain()]}},
        collections.OrderedDict(v=[['a']]),
    ],
)
@pytest.mark.parametrize('protocol', [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_needing_any_global_is_refused(tmp_path, content, protocol):
    path = write_pickle(tmp_path, content, protocol)
    with pytest.raises(AnnotationError) as excinfo:
        build(path, write_split(tmp_path, 'v\n'))
    check_annotation_error(excinfo, path, 1, '<pickle>')


@pytest.mark.parametrize('payload', [WritesFile, RunsShell, RunsExec])
def test_malicious_pickle_is_refused_without_running_code(tmp_path, payload):
    marker = tmp_path / 'pwned'
    path = write_pickle(tmp_path, {'v': [['a']], 'x': payload(marker)})
    assert not marker.exists()
    with pytest.raises(AnnotationError) as excinfo:
        build(path, write_split(tmp_path, 'v\n'))
    check_annotation_error(excinfo, path, 1, '<pickle>')
    assert not marker.exists()


@pytest.mark.parametrize(
    'data',
    [
        b'',
        b'{"v": [["a"]]}',
        pickle.dumps({'v': [['a']]})[:-3],
    ],
)
def test_unreadable_pickle(tmp_path, data):
    path = tmp_path / 'raw-captions.pkl'
    path.write_bytes(data)
    with pytest.raises(AnnotationError) as excinfo:
        build(path, write_split(tmp_path, 'v\n'))
    check_annotation_error(excinfo, path, 1, '<pickle>')


@pytest.mark.parametrize('content', [[['v', [['a']]]], 'v', None, 3])
def test_root_not_a_dict(tmp_path, content):
    path = write_pickle(tmp_path, content)
    with pytest.raises(AnnotationError) as excinfo:
        build(path, write_split(tmp_path, 'v\n'))
    check_annotation_error(excinfo, path, 1, '<root>')


@pytest.mark.parametrize(
    'captions, index',
    [
        ([['a', 'b'], 'a plain string'], 1),
        ([['a', 'b'], ['a', 3]], 1),
        ([['a', None]], 0),
        ([('a', 'tuple')], 0),
        ([['ok'], ['ok'], [['nested']]], 2),
    ],
)
def test_caption_not_a_list_of_strings(tmp_path, captions, index):
    path = write_pickle(tmp_path, {'v': captions, 'w': [['fine']]})
    with pytest.raises(AnnotationError) as excinfo:
        build(path, write_split(tmp_path, 'w\nv\n'))
    check_annotation_error(excinfo, path, 1, f'v[{index}]')


def test_a_lone_surrogate_in_a_caption_is_refused_at_start_up(tmp_path):
    """A pickle can hold a string that is not text; a tokenizer would fail on it mid-run."""
    path = write_pickle(tmp_path, {'v': [['a', 'dog'], ['a', 'cat', '\ud83d']], 'w': [['fine']]})
    with pytest.raises(AnnotationError, match="not text: a lone UTF-16 surrogate '\\\\ud83d'") as e:
        build(path, write_split(tmp_path, 'w\nv\n'))
    check_annotation_error(e, path, 1, 'v[1]')
    path = write_pickle(tmp_path, {'v': [['a', 'dog', '\U0001f600']]})  # a whole emoji is text
    assert infos(build(path, write_split(tmp_path, 'v\n')))[0]['text'] == ['a dog \U0001f600']


@pytest.mark.parametrize('captions', [None, 5, 2.5])
def test_captions_of_a_video_not_a_list(tmp_path, captions):
    """The value for a video must be a list of captions; anything else is an annotation error
    about that video, not a TypeError from iterating it."""
    path = write_pickle(tmp_path, {'v': captions})
    with pytest.raises(AnnotationError) as excinfo:
        build(path, write_split(tmp_path, 'v\n'))
    check_annotation_error(excinfo, path, 1, 'v')


def test_video_without_captions(tmp_path):
    path = write_pickle(tmp_path, {'v': [], 'w': [['a']]})
    with pytest.raises(AnnotationError) as excinfo:
        build(path, write_split(tmp_path, 'w\nv\n'))
    check_annotation_error(excinfo, path, 1, 'v')


def test_bytes_after_the_pickle_are_an_error(tmp_path):
    """Two pickles in one file: reading only the first would drop the second's captions."""
    ann = write_pickle(tmp_path, {'vid_a': [['a', 'b']]})
    with open(ann, 'ab') as f:
        pickle.dump({'vid_b': [['c']]}, f)
    with pytest.raises(AnnotationError, match='bytes after the end of the pickle') as excinfo:
        build(ann, write_split(tmp_path, 'vid_a\n'))
    check_annotation_error(excinfo, ann, 1, '<pickle>')


def test_split_list_with_bom_crlf_and_bad_bytes(tmp_path):
    ann = write_pickle(tmp_path, {'vid_a': [['a']], 'vid_b': [['b']]})
    split = tmp_path / 'test_list.txt'
    split.write_bytes('\ufeffvid_a\r\n \r\nvid_b\r\n'.encode('utf-8'))
    assert [info['video_id'] for info in infos(build(ann, split))] == ['vid_a', 'vid_b']
    split.write_bytes(b'vid_a\r\n\r\nvid_\xb1\r\n')
    with pytest.raises(AnnotationError, match='not UTF-8: byte 0xb1') as excinfo:
        build(ann, split)
    check_annotation_error(excinfo, split, 3, '<bytes>')


def test_id_listed_twice_in_the_split_file_is_an_error(tmp_path):
    """The video would be in the retrieval gallery twice, its captions' match at rank 2."""
    split = write_split(tmp_path, 'vid_a_1_5\nvid_b_0_9\n\n vid_a_1_5\n')
    with pytest.raises(AnnotationError, match=r"duplicate id 'vid_a_1_5' \(first at line 1\)") as e:
        build(write_pickle(tmp_path, CAPTIONS), split)
    check_annotation_error(e, split, 4, 'video_id')


def test_shared_references_cannot_expand_past_max_caption_chars(tmp_path):
    """A 2 kB pickle whose captions all refer to one list of 400 references to one 400-char
    token would join into 64M characters (the real file has about 3M)."""
    token = 'x' * 400
    path = write_pickle(tmp_path, {'v': [[token] * 400] * 400}, protocol=4)
    assert path.stat().st_size < 4000
    with pytest.raises(AnnotationError, match='max_caption_chars=50000000') as excinfo:
        build(path, write_split(tmp_path, 'v\n'))
    check_annotation_error(excinfo, path, 1, 'v[311]')  # 312 captions of 160,400 > 50M
    assert 'test_list.txt' in str(excinfo.value)


def test_max_caption_chars_counts_joined_characters_and_one_per_caption(tmp_path):
    path = write_pickle(tmp_path, {'v': [['ab', 'cd']], 'w': [[], ['e']]})  # 6, then 1 + 2
    split = write_split(tmp_path, 'v\nw\n')
    assert [i['text'] for i in infos(build(path, split, max_caption_chars=9))] == [
        ['ab cd'],
        ['', 'e'],
    ]
    with pytest.raises(AnnotationError, match='max_caption_chars=8') as excinfo:
        build(path, split, max_caption_chars=8)
    check_annotation_error(excinfo, path, 1, 'w[1]')
