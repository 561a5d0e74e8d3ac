"""CSV and TSV annotation tables, read by ``csv``'s C reader, rows never misread.

A row with more or fewer fields than the header, a quote that opens a field and never closes,
text after a closing quote, a header without a column the dataset needs (or with it twice) stop
with an :class:`~vtp.datasets.annotation.AnnotationError` naming the row's first line. Lines
that hold only white space are skipped: they are not rows, and do not count as rows.
"""

import csv
from operator import itemgetter
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from vtp.datasets.annotation import AnnotationError, brief, open_text


def iter_table(
    path: str,
    columns: Sequence[str],
    delimiter: str = ',',
    header: bool = True,
    quotes: bool = True,
) -> Iterator[Tuple[int, Tuple[str, ...]]]:
    """``(line, values of columns)`` for the rows of a CSV or TSV file, read by ``csv``'s C
    reader; ``line`` is where the row starts (a quoted field may hold line breaks).

    With ``header``, the first row names the columns, among which ``columns`` must be (in any
    order, once each; names are stripped); without, the file's columns are ``columns``, and a
    first row that spells them is a header. Every row must have as many fields as there are
    columns: a field that holds the delimiter must be quoted (``"red, blue"``), else the row
    has a field too many and stops with an error, instead of being read as ``red``.

    Args:
        path: the file.
        columns: the columns to return, in this order.
        delimiter: ``','`` (CSV) or ``'\\t'`` (TSV).
        header: whether the file's first row names its columns.
        quotes: whether fields may be quoted (RFC 4180). Without, a quote is text and a row is
            one line, as in the CC3M TSV as released.
    """
    with open_text(path, newline='') as f:
        reader = csv.reader(
            f,
            delimiter=delimiter,
            quoting=csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE,
            strict=True,
        )
        end = 0  # the last line of the rows read so far
        try:
            line, first = _first_row(reader)
            if header:
                names = _header(first, columns, path, line)
            else:
                names = list(columns)
            width, single = len(names), len(names) == 1
            pick = _picker([names.index(c) for c in columns])
            if not header and first is not None and first != names:  # the first data row
                if len(first) != width:
                    raise _width_error(path, line, first, names, delimiter, quotes)
                yield line, pick(first)
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                if len(row) != width or single and not row[0].strip():
                    if _blank(row):
                        continue
                    raise _width_error(path, start, row, names, delimiter, quotes)
                yield start, pick(row)
        except csv.Error as e:
            raise AnnotationError(
                path,
                end + 1,
                '<row>',
                f'malformed CSV ({e}): a field that starts with a quote must end with one',
            ) from None


def table_columns(path: str, delimiter: str = ',') -> List[str]:
    """The column names of a CSV / TSV file's header (stripped; none if the file is empty)."""
    with open_text(path, newline='') as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        try:
            _, first = _first_row(reader)
        except csv.Error as e:
            raise AnnotationError(path, 1, '<header>', f'malformed CSV ({e})') from None
    return [name.strip() for name in first or ()]


def _blank(row: List[str]) -> bool:
    return not row or len(row) == 1 and not row[0].strip()


def _first_row(reader: Any) -> Tuple[int, Optional[List[str]]]:
    """The first row that is not blank and the line it starts on; None at the end."""
    end = 0
    for row in reader:
        if not _blank(row):
            return end + 1, row
        end = reader.line_num
    return end + 1, None


def _header(row: Optional[List[str]], columns: Sequence[str], path: str, line: int) -> List[str]:
    """The header's column names, checked to include each of ``columns`` once."""
    if row is None:
        raise AnnotationError(
            path,
            line,
            columns[0],
            f'missing: the file has no header (it is empty); expected the columns {list(columns)}',
        )
    names = [name.strip() for name in row]
    for column in columns:
        if column not in names:
            raise AnnotationError(
                path,
                line,
                column,
                f'missing from the header {brief(names)}; expected the columns {list(columns)}',
            )
        if names.count(column) > 1:
            raise AnnotationError(
                path, line, column, 'twice in the header: which one is meant is ambiguous'
            )
    return names


def _picker(indices: List[int]) -> Any:
    """A function from a row to the tuple of its fields at ``indices`` (C speed)."""
    if len(indices) == 1:
        index = indices[0]
        return lambda row: (row[index],)
    return itemgetter(*indices)


def _width_error(
    path: str, line: int, row: List[str], names: List[str], delimiter: str, quotes: bool
) -> AnnotationError:
    found, expected = len(row), len(names)
    counts = f'{found} field{"s" * (found != 1)}, expected {expected} ({", ".join(names)})'
    if found < expected:
        return AnnotationError(path, line, names[found], f'{counts}: no {names[found]!r}')
    sep = 'a tab' if delimiter == '\t' else repr(delimiter)
    advice = f'a field that holds {sep} must be quoted' if quotes else f'a field cannot hold {sep}'
    return AnnotationError(
        path,
        line,
        '<row>',
        f'{counts}; {advice}; the fields past {names[-1]!r}: {brief(row[expected:])}',
    )
