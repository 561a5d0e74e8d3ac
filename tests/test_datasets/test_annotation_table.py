"""Tests for ``iter_table`` and ``table_columns``: rows of CSV / TSV files with the line each
starts on, and errors that name the file, the line and the field."""

from pathlib import Path

import pytest

from vtp.datasets.annotation import AnnotationError
from vtp.datasets.annotation_table import iter_table, table_columns
from vtp.testing import check_annotation_error


def write(tmp_path: Path, text: str, name: str = 'table.csv') -> Path:
    path = tmp_path / name
    path.write_text(text, encoding='utf-8', newline='')
    return path


def test_columns_in_the_asked_order_with_the_line_each_row_starts_on(tmp_path):
    path = write(tmp_path, 'id, caption ,extra\n1,"red, blue",x\n\n2,"two\nlines",y\n3,plain,z\n')
    assert list(iter_table(str(path), ('caption', 'id'))) == [
        (2, ('red, blue', '1')),
        (4, ('two\nlines', '2')),
        (6, ('plain', '3')),
    ]


def test_headerless_tsv_without_quotes_keeps_quotes_as_text(tmp_path):
    # a first row that spells the columns is a header, not data; a later one is data
    path = write(tmp_path, 'caption\turl\na "quoted\turl0\ncaption\turl\n', 'table.tsv')
    rows = iter_table(str(path), ('caption', 'url'), delimiter='\t', header=False, quotes=False)
    assert list(rows) == [(2, ('a "quoted', 'url0')), (3, ('caption', 'url'))]


def test_an_unquoted_delimiter_is_a_field_too_many(tmp_path):
    path = write(tmp_path, 'id,caption\n1,fine\n2,red, blue\n')
    with pytest.raises(AnnotationError, match=r'3 fields, expected 2 \(id, caption\)') as excinfo:
        list(iter_table(str(path), ('id', 'caption')))
    check_annotation_error(excinfo, path, 3, '<row>')


def test_a_short_row_names_the_first_missing_column(tmp_path):
    path = write(tmp_path, 'id,caption,url\n1,one,u\n2,two\n')
    with pytest.raises(AnnotationError, match="2 fields, expected 3.*no 'url'") as excinfo:
        list(iter_table(str(path), ('id', 'caption')))
    check_annotation_error(excinfo, path, 3, 'url')


@pytest.mark.parametrize(
    'header, problem', [('id,text', 'missing from the header'), ('id,caption,caption', 'twice')]
)
def test_header_must_hold_each_column_once(tmp_path, header, problem):
    path = write(tmp_path, f'\n{header}\n1,a,b\n')
    with pytest.raises(AnnotationError, match=problem) as excinfo:
        list(iter_table(str(path), ('id', 'caption')))
    check_annotation_error(excinfo, path, 2, 'caption')


def test_empty_file_has_no_header(tmp_path):
    path = write(tmp_path, '  \n')
    with pytest.raises(AnnotationError, match='no header') as excinfo:
        list(iter_table(str(path), ('id', 'caption')))
    check_annotation_error(excinfo, path, 2, 'id')
    assert table_columns(str(path)) == []


def test_a_quote_that_never_closes_stops_at_its_row(tmp_path):
    path = write(tmp_path, 'id,caption\n1,ok\n2,"never closed\n3,more\n')
    with pytest.raises(AnnotationError, match='malformed CSV') as excinfo:
        list(iter_table(str(path), ('id', 'caption')))
    assert excinfo.value.line == 3 and excinfo.value.field == '<row>'


def test_table_columns_are_the_stripped_header_names(tmp_path):
    path = write(tmp_path, '\n video_id ,sentence\nv1,a caption\n')
    assert table_columns(str(path)) == ['video_id', 'sentence']
