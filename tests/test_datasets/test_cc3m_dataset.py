"""Tests for ``CC3MDataset``: the TSV joined with an img2dataset folder, the folder alone."""

import os.path as osp
import re
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, CC3MDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error

ROWS = [f'a picture of object {i}\thttps://example.com/{i}.jpg\n' for i in range(6)]


def build(prefix: Path, ann_file: Path = None) -> CC3MDataset:
    cfg = dict(type='CC3MDataset', data_prefix=dict(img=str(prefix)), pipeline=[])
    if ann_file is not None:
        cfg['ann_file'] = str(ann_file)
    return DATASETS.build(cfg)


def write_tsv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / 'Train_GCC-training.tsv'
    path.write_text(text, encoding='utf-8')
    return path


def download(
    root: Path, key: int, caption: str = None, shard: str = '00000', ext: str = '.jpg'
) -> str:
    """An img2dataset image ``{shard}/{key:09d}{ext}`` with its ``.txt`` caption beside it."""
    stem = root / shard / f'{key:09d}'
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(ext).write_bytes(b'\xff\xd8jpeg')
    if caption is not None:
        stem.with_suffix('.txt').write_text(caption, encoding='utf-8')
    return str(stem.with_suffix(ext))


def infos(dataset) -> list:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


@pytest.fixture
def training(tmp_path) -> Path:
    """Images of rows 0, 1, 2, 4 and 5 (row 3's link is dead) with their captions, plus
    img2dataset's other files."""
    root = tmp_path / 'training'
    for key in (0, 1, 2, 4, 5):
        download(root, key, caption=f'a picture of object {key}')
    (root / '00000.parquet').write_bytes(b'PAR1')
    (root / '00000_stats.json').write_text('{}')
    (root / '00000' / 'notes.jpg').write_bytes(b'\xff\xd8')  # not a key
    return root


def test_tsv_joined_with_downloaded_images(tmp_path, training):
    dataset = build(training, write_tsv(tmp_path, ''.join(ROWS)))
    assert isinstance(dataset, CC3MDataset)
    samples = infos(dataset)
    assert [s['image_id'] for s in samples] == [0, 1, 2, 4, 5]
    by_key = {s['image_id']: s for s in samples}
    assert by_key[4]['filename'] == str(training / '00000' / '000000004.jpg')
    assert by_key[0]['filename'] == osp.join(str(training), '00000', '000000000.jpg')
    assert by_key[4]['text'] == 'a picture of object 4'
    assert dataset[1] == dataset.get_data_info(1)


@pytest.mark.parametrize('newline', ['\n', '\r\n'])
def test_header_line_is_skipped_and_does_not_shift_keys(tmp_path, training, newline):
    text = ''.join(['caption\turl\n'] + ROWS).replace('\n', newline)
    path = tmp_path / 'cc3m.tsv'
    path.write_bytes(text.encode('utf-8'))
    samples = infos(build(training, path))
    assert [s['image_id'] for s in samples] == [0, 1, 2, 4, 5]
    by_key = {s['image_id']: s for s in samples}
    assert by_key[4]['filename'] == str(training / '00000' / '000000004.jpg')
    assert by_key[4]['text'] == 'a picture of object 4'
    assert by_key[0]['text'] == 'a picture of object 0'


def test_blank_lines_do_not_count_as_rows(tmp_path, training):
    samples = infos(build(training, write_tsv(tmp_path, ROWS[0] + '\n' + ''.join(ROWS[1:]))))
    assert {s['image_id']: s['text'] for s in samples}[4] == 'a picture of object 4'


def test_images_in_several_shards_and_formats(tmp_path):
    root = tmp_path / 'training'
    download(root, 1)
    download(root, 3, shard='00001', ext='.png')
    download(root, 4, shard='00001', ext='.JPG')
    (root / '00001' / '000000002.txt').write_text('caption only, no image')
    samples = infos(build(root, write_tsv(tmp_path, ''.join(ROWS))))
    assert [(s['image_id'], s['filename']) for s in samples] == [
        (1, str(root / '00000' / '000000001.jpg')),
        (3, str(root / '00001' / '000000003.png')),
        (4, str(root / '00001' / '000000004.JPG')),
    ]


def test_caption_is_stripped_and_may_be_empty(tmp_path, training):
    text = ' padded caption \turl0\n\turl1\n'
    download(training, 0, caption='padded  caption\n')  # compared with the TSV's, spaces aside
    download(training, 1, caption='')
    samples = infos(build(training, write_tsv(tmp_path, text)))
    assert [(s['image_id'], s['text']) for s in samples] == [(0, 'padded caption'), (1, '')]


def test_no_row_downloaded_is_an_error(tmp_path):
    root = tmp_path / 'training'
    download(root, 50)
    path = write_tsv(tmp_path, ''.join(ROWS))
    with pytest.raises(AnnotationError) as excinfo:
        build(root, path)
    check_annotation_error(excinfo, path, 1, '<root>')


@pytest.mark.parametrize(
    'row, field, problem',
    [
        ('a caption without url\n', 'url', '1 field, expected 2 (caption, url)'),
        (
            'a caption\turl\textra\n',
            '<row>',
            '3 fields, expected 2 (caption, url); a field cannot '
            "hold a tab; the fields past 'url': ['extra']",
        ),
        ('a\tb\tc\td\n', '<row>', '4 fields, expected 2'),
    ],
)
def test_bad_row_names_file_line_and_field(tmp_path, training, row, field, problem):
    # Header on line 1, rows on lines 2-4, a blank line 5, the bad row on line 6.
    path = write_tsv(tmp_path, 'caption\turl\n' + ''.join(ROWS[:3]) + '\n' + row + ROWS[3])
    with pytest.raises(AnnotationError) as excinfo:
        build(training, path)
    check_annotation_error(excinfo, path, 6, field)
    assert problem in str(excinfo.value)


def test_folder_alone_reads_sidecar_captions(training):
    samples = infos(build(training))
    assert [s['image_id'] for s in samples] == [0, 1, 2, 4, 5]
    assert samples[3]['filename'] == str(training / '00000' / '000000004.jpg')
    assert samples[3]['text'] == 'a picture of object 4'


def test_folder_alone_sorted_by_key_across_shards(tmp_path):
    root = tmp_path / 'training'
    download(root, 10001, ' second shard\n', shard='00001')
    download(root, 7, 'first shard', shard='00000')
    download(root, 3, 'top level', shard='.')
    download(root, 8)  # no caption file: an empty caption, replaced when read
    samples = infos(build(root))
    assert [(s['image_id'], s['text']) for s in samples] == [
        (3, 'top level'),
        (7, 'first shard'),
        (8, ''),
        (10001, 'second shard'),
    ]
    assert samples[0]['filename'] == str(root / '000000003.jpg')
    assert samples[3]['filename'] == str(root / '00001' / '000010001.jpg')


@pytest.mark.parametrize('with_tsv', [True, False])
def test_missing_image_folder(tmp_path, with_tsv):
    path = write_tsv(tmp_path, ''.join(ROWS)) if with_tsv else None
    with pytest.raises(FileNotFoundError, match='does_not_exist'):
        build(tmp_path / 'does_not_exist', path)


def test_keys_of_shards_that_are_not_a_power_of_ten(tmp_path):
    """img2dataset with 5000 images per shard numbers shard 1 from 10000: row 5000 is key
    10000, row 5003 key 10003."""
    tsv = write_tsv(tmp_path, ''.join(f'caption {i}\thttp://x/{i}.jpg\n' for i in range(5004)))
    download(tmp_path / 'training', 2, shard='00000')
    download(tmp_path / 'training', 10003, shard='00001')
    dataset = DATASETS.build(
        dict(
            type='CC3MDataset',
            ann_file=str(tsv),
            samples_per_shard=5000,
            data_prefix=dict(img=str(tmp_path / 'training')),
            pipeline=[],
        )
    )
    assert [(i['text'], osp.basename(i['filename'])) for i in infos(dataset)] == [
        ('caption 2', '000000002.jpg'),
        ('caption 5003', '000010003.jpg'),
    ]


def test_quotes_are_text_and_a_row_is_one_line(tmp_path, training):
    """As released, the TSV does not quote: a caption's quote never joins lines."""
    text = '"quoted" caption\turl0\n"a quote never closed\turl1\nplain\turl2\n'
    # img2dataset parses the TSV with quoting: its captions may lack the quotes.
    download(training, 0, caption='quoted caption')
    download(training, 1, caption='a quote never closed')
    download(training, 2, caption='plain')
    samples = infos(build(training, write_tsv(tmp_path, text)))
    assert [(s['image_id'], s['text']) for s in samples] == [
        (0, '"quoted" caption'),
        (1, '"a quote never closed'),
        (2, 'plain'),
    ]


def test_bad_bytes_in_the_tsv_or_a_caption_file(tmp_path, training):
    path = tmp_path / 'cc3m.tsv'
    path.write_bytes(''.join(ROWS[:2]).encode('utf-8') + b'caf\xe9\turl\n')
    with pytest.raises(AnnotationError, match='not UTF-8: byte 0xe9 at byte 4') as excinfo:
        build(training, path)
    check_annotation_error(excinfo, path, 3, '<bytes>')
    caption = training / '00000' / '000000004.txt'
    caption.write_bytes(b'a caption\x00\x00')
    with pytest.raises(AnnotationError, match='NUL byte') as excinfo:
        build(training)
    check_annotation_error(excinfo, caption, 1, '<bytes>')


def build_sharded(tmp_path: Path, samples_per_shard: int, with_tsv: bool = True) -> CC3MDataset:
    cfg = dict(
        type='CC3MDataset',
        samples_per_shard=samples_per_shard,
        data_prefix=dict(img=str(tmp_path / 'training')),
        pipeline=[],
    )
    if with_tsv:
        cfg['ann_file'] = str(tmp_path / 'Train_GCC-training.tsv')
    return DATASETS.build(cfg)


@pytest.mark.parametrize('samples_per_shard', [0, '10000', 1e4])
def test_samples_per_shard_must_be_a_positive_int(tmp_path, samples_per_shard):
    message = f'CC3MDataset: samples_per_shard must be an int >= 1, got {samples_per_shard!r}'
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        build_sharded(tmp_path, samples_per_shard)


@pytest.mark.parametrize('with_tsv', [True, False])
def test_key_past_samples_per_shard_is_an_error(tmp_path, with_tsv):
    """Downloaded with 4 images per shard (keys 0-3, 10-13), read with 2: key 2 would be row 2
    and key 10 row 2 too, both wrong."""
    write_tsv(tmp_path, ''.join(ROWS))
    for key in (0, 1, 2, 3, 10, 11):
        download(tmp_path / 'training', key, shard=f'{key // 10:05d}')
    with pytest.raises(ValueError, match=r'image [23] of its shard.*samples_per_shard=2'):
        build_sharded(tmp_path, 2, with_tsv)


@pytest.mark.parametrize(
    'second', [dict(ext='.png'), dict(shard='00001'), dict(shard='.')], ids=['png', 'shard', 'top']
)
@pytest.mark.parametrize('with_tsv', [True, False])
def test_two_images_of_one_row_are_an_error(tmp_path, second, with_tsv):
    """One used to replace the other silently (``x.jpg`` beside ``x.png``, or one key in two
    folders)."""
    path = write_tsv(tmp_path, ''.join(ROWS))
    first = download(tmp_path / 'training', 4)
    other = download(tmp_path / 'training', 4, **second)
    with pytest.raises(ValueError, match='both TSV row 4') as excinfo:
        build(tmp_path / 'training', path if with_tsv else None)
    assert first in str(excinfo.value) and other in str(excinfo.value)
    assert 'samples_per_shard=10000' in str(excinfo.value)


def downloaded_by_img2dataset(tmp_path: Path, rows: int, per_shard: int) -> list:
    """The TSV of ``rows`` rows, all downloaded with ``number_sample_per_shard=per_shard``:
    shard ``s`` holds rows ``s * per_shard ...`` as keys ``s * 10**ceil(log10(per_shard))
    ...``, each with its caption in ``KEY.txt``."""
    captions = [f'caption of row {r}' for r in range(rows)]
    write_tsv(tmp_path, ''.join(f'{c}\thttp://x/{r}.jpg\n' for r, c in enumerate(captions)))
    stride = 10 ** len(str(per_shard - 1))
    for row, caption in enumerate(captions):
        shard, index = divmod(row, per_shard)
        download(tmp_path / 'training', shard * stride + index, caption, shard=f'{shard:05d}')
    return captions


def test_sidecar_caption_unlike_the_tsv_names_samples_per_shard(tmp_path):
    """Downloaded 5 per shard, read as 10 per shard (one key stride, 10): key 10 is row 5, not
    row 10. Each index is below 10, so only img2dataset's KEY.txt can tell."""
    captions = downloaded_by_img2dataset(tmp_path, 15, 5)
    with pytest.raises(AnnotationError, match="'caption of row 5' in .*000000010.txt") as excinfo:
        build_sharded(tmp_path, 10)
    check_annotation_error(excinfo, tmp_path / 'Train_GCC-training.tsv', 11, 'caption')
    assert 'samples_per_shard=10' in str(excinfo.value)
    # The download's setting joins every image with its own caption.
    samples = infos(build_sharded(tmp_path, 5))
    assert [s['text'] for s in samples] == captions
    assert [osp.basename(s['filename']) for s in samples][4:6] == ['000000004.jpg', '000000010.jpg']
