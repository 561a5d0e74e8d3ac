"""Fuzz tests of every annotation parser in vtp (built on ``vtp.datasets.annotation`` and
``annotation_table``): random rows and random bytes.

For each parser (``TARGETS``), hypothesis writes annotation files in the released format from
random texts (delimiters, quotes, line breaks, tabs, non-ASCII, white space at the ends) and
checks:

- well-formed files give exactly the records written (a caption holding commas and quotes
  comes back whole when the file quotes it);
- damaged files (random bytes, or bytes inserted, deleted or overwritten anywhere: quotes,
  delimiters, line breaks, NUL, non-UTF-8, brackets) load or stop with an ``AnnotationError``,
  never another exception; and a damage that breaks the file's syntax (checked by the standard
  library's own parsers) always stops it, so nothing malformed is read silently;
- a CSV / TSV row with a field too many (an unquoted delimiter in a caption) or too few stops
  with ``AnnotationError`` at that row's first line, never a cut caption.

Derandomized, without an example database: the same examples on every run.
"""

import csv
import io
import json
import os.path as osp
import pickle
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtp.datasets import AnnotationError
from vtp.datasets.annotation import iter_json_lines, load_json_list, load_json_object
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=50)

# Characters annotations hold, and those that break formats, drawn more often than the rest.
SPECIAL = list(' ,;"\'\t\n\r\\{}[]:') + ['é', '中', '😀', '\u00a0', '\u2028', '\ufeff']
TEXT = st.text(
    st.sampled_from(SPECIAL) | st.characters(exclude_categories=('Cs',), exclude_characters='\x00'),
    max_size=24,
)
TEXTS = st.lists(TEXT, min_size=1, max_size=4)
LINE_TEXTS = st.lists(TEXT.map(lambda t: re.sub('[\t\r\n]', ' ', t)), min_size=1, max_size=4)
WEBVID_ROWS = st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), min_size=1, max_size=4)
DAMAGE_BYTES = [
    b'"',
    b',',
    b'\t',
    b'\n',
    b'\r',
    b'\r\n',
    b'\x00',
    b'\xff',
    b'\xe9',
    b'\xef\xbb\xbf',
    b'{',
    b'}',
    b'[',
    b']',
    b':',
    b'\\',
    b' ',
    b'NaN',
    b'1e999',
    b'"a":1,',
]


@dataclass
class Target:
    """A parser: ``write(root, value)`` writes its files under ``root`` from ``value`` (drawn
    from ``data``) and returns the dataset config and the records it must give (dicts of the
    keys to compare), or None if the value makes the file invalid; ``files`` are the
    annotation files it reads."""

    write: Callable[[Path, Any], Tuple[dict, Any]]
    files: Tuple[str, ...]
    data: st.SearchStrategy = TEXTS


def write_json(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding='utf-8')


def write_csv(path: Path, rows: List[List[str]]) -> None:
    """Quoted as needed (fields with a comma, a quote or a line break), lines ending in CRLF."""
    with open(path, 'w', encoding='utf-8', newline='') as f:
        csv.writer(f).writerows(rows)


def video(root: Path, name: str) -> str:
    return osp.join(str(root), 'v', name)


def webvid(root: Path, rows: list) -> Tuple[dict, Any]:
    write_csv(
        root / 'ann.csv',
        [['videoid', 'contentUrl', 'duration', 'page_dir', 'name']]
        + [[v, url, 'PT00H01M05S', d, t] for v, url, d, t in rows],
    )
    expected = [
        dict(
            filename=video(root, osp.join(d.strip(), f'{v.strip()}.mp4')),
            text=t.strip(),
            video_id=v.strip(),
            duration=65.0,
        )
        for v, _, d, t in rows
    ]
    valid = all(v.strip() and d.strip() for v, _, d, _ in rows)
    return dict(type='WebVidDataset', ann_file='ann.csv'), expected if valid else None


def cc3m(root: Path, texts: list) -> Tuple[dict, Any]:
    """The TSV; a byte-order mark at the start of the file is not text."""
    with open(root / 'ann.tsv', 'w', encoding='utf-8', newline='') as f:
        f.writelines(f'{t}\thttps://example.com/{i}.jpg\n' for i, t in enumerate(texts))
    images = [root / 'img' / '00000' / f'{i:09d}.jpg' for i in range(len(texts))]
    for image in images:
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(b'\xff\xd8')
    return (
        dict(type='CC3MDataset', ann_file='ann.tsv', data_prefix=dict(img='img')),
        [
            dict(filename=str(image), text=t.removeprefix('\ufeff' * (i == 0)).strip(), image_id=i)
            for i, (image, t) in enumerate(zip(images, texts))
        ],
    )


def cc3m_folder(root: Path, texts: list) -> Tuple[dict, Any]:
    """No TSV: the captions img2dataset wrote beside the images (read as text files are: a
    leading byte-order mark dropped, line ends as ``\\n``)."""
    for i, text in enumerate(texts):
        (root / f'{i:09d}.jpg').write_bytes(b'\xff\xd8')
        (root / f'{i:09d}.txt').write_bytes(text.encode('utf-8'))
    return (
        dict(type='CC3MDataset', data_prefix=dict(img='')),
        [
            dict(text=re.sub('\r\n?', '\n', t.removeprefix('\ufeff')).strip(), image_id=i)
            for i, t in enumerate(texts)
        ],
    )


def msrvtt_train(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'data.json',
        dict(
            videos=[],
            sentences=[
                dict(video_id=f'video{i % 2}', caption=t, sen_id=i) for i, t in enumerate(texts)
            ],
        ),
    )
    write_csv(root / 'train.csv', [['video_id']] + [[f'video{i}'] for i in range(len(texts[:2]))])
    return (
        dict(type='MSRVTTDataset', ann_file='data.json', split_file='train.csv'),
        [
            dict(video_id=f'video{v}', text=[t.strip() for t in texts[v::2]])
            for v in range(len(texts[:2]))
        ],
    )


def msrvtt_test(root: Path, texts: list) -> Tuple[dict, Any]:
    """The JSFusion test CSV (data.json is read only if damage renames its ``sentence``)."""
    write_json(root / 'data.json', dict(sentences=[dict(video_id='video0', caption='c')]))
    write_csv(
        root / 'test.csv',
        [['', 'key', 'vid_key', 'video_id', 'sentence']]
        + [[i, f'ret{i}', f'msr{i}', f'video{i}', t] for i, t in enumerate(texts)],
    )
    return (
        dict(type='MSRVTTDataset', ann_file='data.json', split_file='test.csv'),
        [
            dict(filename=video(root, f'video{i}.mp4'), video_id=f'video{i}', text=[t.strip()])
            for i, t in enumerate(texts)
        ],
    )


def msvd(root: Path, texts: list) -> Tuple[dict, Any]:
    with open(root / 'captions.pkl', 'wb') as f:
        pickle.dump({f'clip{i}': [t.split(), ['second', t]] for i, t in enumerate(texts)}, f)
    (root / 'list.txt').write_text(''.join(f'clip{i}\n' for i in range(len(texts))))
    return (
        dict(type='MSVDDataset', ann_file='captions.pkl', split_file='list.txt'),
        [
            dict(video_id=f'clip{i}', text=[' '.join(t.split()), 'second ' + t])
            for i, t in enumerate(texts)
        ],
    )


def didemo(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'ann.json',
        [
            dict(annotation_id=i, video=f'{i % 2}.mov', times=[[0, 1]], description=t)
            for i, t in enumerate(texts)
        ],
    )
    return (
        dict(type='DiDeMoDataset', ann_file='ann.json'),
        [
            dict(
                filename=video(root, f'{v}.mp4'),
                text=[' '.join(t.strip() for t in texts[v::2] if t.strip())],
            )
            for v in range(len(texts[:2]))
        ],
    )


def vatex(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'ann.json',
        [dict(videoID=f'yt{v}_000001_000011', enCap=texts, chCap=['中']) for v in range(3)],
    )
    (root / 'ids.txt').write_text('yt2_000001_000011\nyt0_000001_000011\n')
    return (
        dict(type='VATEXDataset', ann_file='ann.json', split_file='ids.txt'),
        [dict(video_id=f'yt{v}_000001_000011', text=[t.strip() for t in texts]) for v in (0, 2)],
    )


def coco(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'ann.json',
        dict(
            images=[dict(id=i, file_name=f'{i}.jpg') for i in range(2)],
            annotations=[dict(id=i, image_id=i % 2, caption=t) for i, t in enumerate(texts)],
        ),
    )
    return (
        dict(type='CocoCaptionDataset', ann_file='ann.json', data_prefix=dict(img='')),
        [dict(image_id=v, text=[t.strip() for t in texts[v::2]]) for v in range(len(texts[:2]))],
    )


def coco_karpathy(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'ann.json',
        dict(
            images=[
                dict(
                    filepath='train2014',
                    filename=f'{i}.jpg',
                    split='train',
                    cocoid=i,
                    sentences=[dict(raw=t, tokens=[])],
                )
                for i, t in enumerate(texts)
            ]
        ),
    )
    return (
        dict(type='CocoCaptionDataset', ann_file='ann.json', data_prefix=dict(img='')),
        [dict(image_id=i, text=[t.strip()]) for i, t in enumerate(texts)],
    )


def visual_genome(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'ann.json',
        [
            dict(
                id=7,
                regions=[
                    dict(region_id=i, image_id=7, phrase=t, x=0, y=0, width=1, height=1)
                    for i, t in enumerate(texts)
                ],
            )
        ],
    )
    return (
        dict(type='VisualGenomeDataset', ann_file='ann.json', data_prefix=dict(img='')),
        [dict(image_id=7, text=[t.strip() for t in texts])],
    )


def video_qa(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'qa.json',
        [
            dict(question=t, answer=['red', 'blue', 'gone'][i % 3], video_id=i % 2, id=i)
            for i, t in enumerate(texts)
        ],
    )
    write_json(root / 'answers.json', ['red', 'blue'])
    (root / 'mapping.txt').write_text('ytA vid0\nytB vid1\n')
    return (
        dict(
            type='VideoQADataset',
            ann_file='qa.json',
            answer_list='answers.json',
            mapping_file='mapping.txt',
            video_template='{}.avi',
        ),
        [
            dict(
                filename=video(root, f'yt{"AB"[i % 2]}.avi'),
                text=t.strip(),
                label=[0, 1, -1][i % 3],
                question_id=i,
            )
            for i, t in enumerate(texts)
        ],
    )


def multiple_choice(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(root / 'ann.json', [dict(video='clip.mp4', caption=texts, answer=len(texts) - 1)])
    options = [t.strip() for t in texts]
    valid = all(options) and len(set(options)) >= 2  # else always right, or tied
    return (
        dict(type='MultipleChoiceDataset', ann_file='ann.json'),
        [dict(text=options, label=len(texts) - 1)] if valid else None,
    )


def video_text_json(root: Path, texts: list) -> Tuple[dict, Any]:
    write_json(
        root / 'ann.json',
        [dict(video='a.mp4', caption=texts), dict(video='b.mp4', caption=texts[0])],
    )
    valid = all(t.strip() for t in texts)
    return (
        dict(type='VideoTextJsonDataset', ann_file='ann.json'),
        [
            dict(video_id='a', text=[t.strip() for t in texts]),
            dict(video_id='b', text=[texts[0].strip()]),
        ]
        if valid
        else None,
    )


def asr(root: Path, texts: list, dataset: str, jsonl: bool) -> Tuple[dict, Any]:
    """Two videos of 1 s segments; ``min_duration=0`` makes each segment a sample."""
    starts = list(range(len(texts)))
    videos = {
        f'vid{v}': dict(start=starts, end=[s + 1 for s in starts], text=texts) for v in range(2)
    }
    if jsonl:
        with open(root / 'ann.jsonl', 'w', encoding='utf-8') as f:
            f.writelines(
                json.dumps(dict(video_id=k, **e), ensure_ascii=False) + '\n'
                for k, e in videos.items()
            )
    else:
        write_json(root / 'ann.json', videos)
    return (
        dict(type=dataset, ann_file='ann.jsonl' if jsonl else 'ann.json', min_duration=0),
        [
            dict(video_id=v, start=float(s), end=s + 1.0, text=t.strip())
            for v in videos
            for s, t in enumerate(texts)
        ],
    )


TARGETS = {
    'webvid': Target(webvid, ('ann.csv',), WEBVID_ROWS),
    'cc3m': Target(cc3m, ('ann.tsv',), LINE_TEXTS),
    'cc3m_folder': Target(cc3m_folder, ('000000000.txt',)),
    'msrvtt_train': Target(msrvtt_train, ('data.json', 'train.csv')),
    'msrvtt_test': Target(msrvtt_test, ('test.csv',)),
    'msvd': Target(msvd, ('captions.pkl', 'list.txt')),
    'didemo': Target(didemo, ('ann.json',)),
    'vatex': Target(vatex, ('ann.json', 'ids.txt')),
    'coco': Target(coco, ('ann.json',)),
    'coco_karpathy': Target(coco_karpathy, ('ann.json',)),
    'visual_genome': Target(visual_genome, ('ann.json',)),
    'video_qa': Target(video_qa, ('qa.json', 'answers.json', 'mapping.txt')),
    'multiple_choice': Target(multiple_choice, ('ann.json',)),
    'video_text_json': Target(video_text_json, ('ann.json',)),
    'howto100m_json': Target(lambda r, t: asr(r, t, 'HowTo100MDataset', False), ('ann.json',)),
    'howto100m_jsonl': Target(lambda r, t: asr(r, t, 'HowTo100MDataset', True), ('ann.jsonl',)),
    'cnvid': Target(lambda r, t: asr(r, t, 'CNVidDataset', True), ('ann.jsonl',)),
}


def load(root: Path, cfg: dict, keys: Any) -> Any:
    """The records of the dataset ``cfg`` (only ``keys``), or the AnnotationError it raised;
    any other exception fails the test."""
    cfg = {'data_root': str(root), 'data_prefix': dict(video='v'), 'pipeline': [], **cfg}
    try:
        dataset = DATASETS.build(cfg)
    except AnnotationError as e:
        return e
    return [{k: dataset.get_data_info(i)[k] for k in keys} for i in range(len(dataset))]


@pytest.mark.parametrize('name', sorted(TARGETS))
@FUZZ
@given(data=st.data())
def test_well_formed_files_give_the_records_written(name, data):
    target = TARGETS[name]
    with tempfile.TemporaryDirectory() as tmp:
        cfg, expected = target.write(Path(tmp), data.draw(target.data, label='value'))
        outcome = load(Path(tmp), cfg, expected[0] if expected else ())
    if expected is None:
        assert isinstance(outcome, AnnotationError)
    else:
        assert outcome == expected


def damage(data: bytes) -> st.SearchStrategy:
    """``data`` replaced by random bytes, or with bytes inserted, deleted or overwritten."""
    anywhere = st.integers(0, len(data))
    chunk = st.sampled_from(DAMAGE_BYTES) | st.binary(min_size=1, max_size=6)
    return st.one_of(
        st.binary(max_size=64),
        st.tuples(anywhere, chunk).map(lambda a: data[: a[0]] + a[1] + data[a[0] :]),
        st.tuples(anywhere, st.integers(1, 6)).map(lambda a: data[: a[0]] + data[a[0] + a[1] :]),
        st.tuples(anywhere, chunk).map(lambda a: data[: a[0]] + a[1] + data[a[0] + len(a[1]) :]),
    )


def _unique_keys(pairs: list) -> dict:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError('duplicate key')
    return dict(pairs)


def well_formed(name: str, data: bytes) -> bool:
    """Whether ``data`` is syntactically valid for the format of file ``name``, by the standard
    library (pickles are not judged)."""
    if name.endswith('.pkl'):
        return True
    if b'\0' in data:
        return False
    try:
        text = data.decode('utf-8-sig')
        if name.endswith('.json'):
            json.loads(text, object_pairs_hook=_unique_keys)
        elif name.endswith('.jsonl'):
            for line in re.split('\r\n|\r|\n', text):
                if line.strip():
                    json.loads(line, object_pairs_hook=_unique_keys)
        elif name.endswith('.csv'):
            rows = [
                r
                for r in csv.reader(io.StringIO(text, newline=''), strict=True)
                if r and not (len(r) == 1 and not r[0].strip())
            ]
            return all(len(r) == len(rows[0]) for r in rows)
        elif name.endswith('.tsv'):
            return all(
                line.count('\t') == 1 for line in re.split('\r\n|\r|\n', text) if line.strip()
            )
    except (ValueError, RecursionError, csv.Error):  # UnicodeDecodeError is a ValueError
        return False
    return True


@pytest.mark.parametrize('name', sorted(TARGETS))
@FUZZ
@given(data=st.data())
def test_damaged_files_load_or_raise_annotation_error(name, data):
    target = TARGETS[name]
    with tempfile.TemporaryDirectory() as tmp:
        cfg, expected = target.write(Path(tmp), data.draw(target.data, label='value'))
        path = Path(tmp) / data.draw(st.sampled_from(target.files), label='file')
        damaged = data.draw(damage(path.read_bytes()), label='damaged')
        path.write_bytes(damaged)
        outcome = load(Path(tmp), cfg, expected[0] if expected else ())
    if not well_formed(path.name, damaged):
        assert isinstance(outcome, AnnotationError), outcome


# --- a row with a field too many or too few -----------------------------------------------

PLAIN = st.text(st.sampled_from(list('ab é中')), min_size=1, max_size=8).filter(str.strip)
TABLES = {  # good rows, the file's columns and delimiter, a data row from its caption
    'webvid': (
        st.lists(st.tuples(st.just('7'), TEXT, st.just('d'), TEXT), min_size=1, max_size=4),
        ['videoid', 'contentUrl', 'duration', 'page_dir', 'name'],
        ',',
        lambda caption: ['1', 'url', 'PT00H00M01S', 'dir', caption],
    ),
    'msrvtt_test': (
        TEXTS,
        ['', 'key', 'vid_key', 'video_id', 'sentence'],
        ',',
        lambda caption: ['9', 'ret9', 'msr9', 'video9', caption],
    ),
    'cc3m': (LINE_TEXTS, ['caption', 'url'], '\t', lambda caption: [caption, 'url']),
}


@pytest.mark.parametrize('name', sorted(TABLES))
@FUZZ
@given(data=st.data())
def test_a_row_with_a_field_too_many_or_too_few_stops_at_its_line(name, data):
    """Good rows (quoted fields with line breaks among them), then a broken one: a caption
    with an unquoted delimiter, a field more, or fields cut off. The error names the broken
    row's first line and ``<row>`` or the first missing column."""
    good, columns, delimiter, row_of = TABLES[name]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg, _ = TARGETS[name].write(root, data.draw(good, label='good rows'))
        path = root / TARGETS[name].files[0]
        text = path.read_bytes().decode('utf-8')
        kind = data.draw(st.sampled_from(['delimiter in caption', 'field more', 'cut']))
        caption = data.draw(PLAIN, label='caption')
        if kind == 'delimiter in caption':
            fields = row_of(f'{caption}{delimiter} {data.draw(PLAIN)}')
            found, field = len(columns) + 1, '<row>'
        elif kind == 'field more':
            fields = row_of(caption) + ['x']
            found, field = len(columns) + 1, '<row>'
        else:
            found = data.draw(st.integers(1, len(columns) - 1), label='fields kept')
            fields, field = row_of(caption)[:found], columns[found]
        path.write_text(text + delimiter.join(fields) + '\n', encoding='utf-8', newline='')
        outcome = load(root, cfg, ('text',))
    assert isinstance(outcome, AnnotationError), outcome
    assert outcome.line == len(re.findall('\r\n|\r|\n', text)) + 1
    assert outcome.field == field
    assert f'{found} field{"s" * (found > 1)}, expected {len(columns)}' in str(outcome)


@pytest.mark.parametrize(
    'escape, line',
    [
        (r'a dog \ud83d runs', 3),  # a high half alone
        (r'a dog \ude00 runs', 3),  # a low half alone
        (r'\ude00\ud83d', 3),  # the halves the wrong way round
        (r'\ud83d\ud83d\ude00', 3),  # a pair after a lone half
    ],
)
@pytest.mark.parametrize('layout', ['list', 'object', 'lines'])
def test_a_lone_surrogate_escape_is_an_error_at_its_line(tmp_path, escape, line, layout):
    """``json`` decodes a lone ``\\udXXX`` to a string no tokenizer takes: refused at start-up."""
    lines = {
        'list': ['[', '{"caption": "fine"},', f'{{"caption": "{escape}"}}', ']'],
        'object': ['{', '"a": "fine",', f'"b": "{escape}"', '}'],
        'lines': ['{"caption": "fine"}', '', f'{{"caption": "{escape}"}}'],
    }[layout]
    path = tmp_path / 'ann.json'
    path.write_text('\n'.join(lines) + '\n')
    read = {'list': load_json_list, 'object': load_json_object, 'lines': iter_json_lines}[layout]
    with pytest.raises(AnnotationError, match='is half of a UTF-16 surrogate pair, not text') as e:
        list(read(str(path)))
    check_annotation_error(e, path, line, '<json>')


def test_surrogate_pairs_and_escaped_backslashes_are_text(tmp_path):
    captions = ['a dog \U0001f600 runs', '\\ud83d is six characters', '\\\U0001f600']
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps([{'caption': c} for c in captions]))  # ASCII: pairs as escapes
    assert [item['caption'] for _, item in load_json_list(str(path))] == captions
