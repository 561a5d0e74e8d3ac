"""Reading annotation files with errors that name the file, the line and the field.

Every reader here stops with an :class:`AnnotationError` at what it could otherwise misread:

- bytes that are not UTF-8, and NUL bytes (a binary or damaged file), name their line; a UTF-8
  byte-order mark at the start of a file is dropped;
- a CSV / TSV row with more or fewer fields than the header, and the other faults of tables
  that :mod:`vtp.datasets.annotation_table` lists;
- JSON that does not parse, duplicate keys in an object, nesting too deep to parse.

Line-based files (CSV, TSV, text lists, JSON lines) skip lines that hold only white space: they
are not rows, and do not count as rows.
"""

import io
import json
import re
import reprlib
from contextlib import contextmanager
from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Set,
    TextIO,
    Tuple,
    Type,
    Union,
)


class AnnotationError(ValueError):
    """A malformed annotation record: ``file:line: field: problem``."""

    def __init__(self, path: str, line: int, field: str, problem: str) -> None:
        super().__init__(f'{path}:{line}: field {field!r}: {problem}')
        self.path, self.line, self.field = path, line, field


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80


def is_digits(text: str) -> bool:
    """Whether ``text`` is a non-empty run of ASCII digits (``str.isdigit`` also takes '²',
    which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def lone_surrogate(text: str) -> Optional[int]:
    """The index of the first lone UTF-16 surrogate in ``text`` (a pickle or a JSON escape can
    hold one; it is not text, and a tokenizer stops on it), or None."""
    if text.isascii():
        return None
    try:
        text.encode('utf-8')
    except UnicodeEncodeError as e:
        return e.start
    return None


def brief(value: Any) -> str:
    """``repr(value)`` shortened for an error message (long strings, deep or long lists)."""
    try:
        return _REPR.repr(value)
    except ValueError:  # an integer with more digits than Python prints
        return f'<{type(value).__name__} too long to print>'


def require(
    record: dict[str, Any],
    field: str,
    types: Union[Type[Any], Tuple[Type[Any], ...]],
    path: str,
    line: int,
    allow_empty: bool = False,
) -> Any:
    """``record[field]``, checked to be present, of ``types`` and non-empty if a string/list.

    Captions pass ``allow_empty=True``: an empty caption is a data problem of one sample, which
    the dataset replaces when it is read, not a malformed file.
    """
    if field not in record or record[field] is None:
        raise AnnotationError(path, line, field, 'missing')
    value = record[field]
    if not isinstance(value, types) or isinstance(value, bool):
        names = (
            types.__name__ if isinstance(types, type) else ' or '.join(t.__name__ for t in types)
        )
        raise AnnotationError(
            path, line, field, f'expected {names}, got {type(value).__name__} {brief(value)}'
        )
    if isinstance(value, (str, list)) and len(value) == 0 and not allow_empty:
        raise AnnotationError(path, line, field, 'empty')
    return value


def check_unique(
    seen: Dict[Any, int],
    key: Any,
    path: str,
    line: int,
    field: str,
    what: str = 'id',
    shown: Any = None,
) -> None:
    """Record that ``key`` is on ``line`` of ``path``; a key seen before is an
    :class:`AnnotationError` naming the first line (``duplicate id 'v1' (first at line 3)``).

    Args:
        seen: key -> the line it was first seen on, filled as the file is read.
        what: what the key is, in the message.
        shown: the value the message shows (its repr); ``key`` when None.
    """
    if key in seen:
        value = key if shown is None else shown
        raise AnnotationError(
            path, line, field, f'duplicate {what} {value!r} (first at line {seen[key]})'
        )
    seen[key] = line


# --- text -------------------------------------------------------------------------------------


class _NulByte(Exception):
    """A NUL byte was read; :func:`open_text` reports it with its line."""


class _NulRefusingReader(io.BufferedReader):
    """A buffered binary file whose reads raise :class:`_NulByte` on a NUL byte (one scan of
    each chunk, at C speed; the text layer above reads through ``read1``)."""

    def read(self, size: Optional[int] = -1) -> bytes:
        return _refuse_nul(super().read(size))

    def read1(self, size: int = -1) -> bytes:
        return _refuse_nul(super().read1(size))


def _refuse_nul(data: bytes) -> bytes:
    if b'\0' in data:
        raise _NulByte
    return data


@contextmanager
def open_text(path: str, newline: Optional[str] = None) -> Iterator[TextIO]:
    """``path`` as UTF-8 text, a leading byte-order mark dropped; ``newline`` as in ``open``
    (``''`` keeps line ends as they are, as ``csv`` needs). A byte that is not UTF-8, or a NUL
    byte, raises an AnnotationError naming its line."""
    with io.TextIOWrapper(
        _NulRefusingReader(io.FileIO(path)), encoding='utf-8-sig', newline=newline
    ) as f:
        try:
            yield f
        except (UnicodeDecodeError, _NulByte):
            raise _bad_bytes(path) from None


def _bad_bytes(path: str) -> AnnotationError:
    """The error for the first line of ``path`` that is not UTF-8 or holds a NUL byte (the
    text layer decodes whole chunks, so the line is found by reading the file again)."""
    with open(path, 'rb') as f:
        for number, raw in enumerate(f, start=1):
            if b'\0' in raw:
                return AnnotationError(
                    path,
                    number,
                    '<bytes>',
                    f'NUL byte at byte {raw.index(0) + 1} of the line (binary or damaged?)',
                )
            try:
                raw.decode('utf-8')
            except UnicodeDecodeError as e:
                return AnnotationError(
                    path,
                    number,
                    '<bytes>',
                    f'not UTF-8: byte 0x{raw[e.start]:02x} at byte {e.start + 1} of the line',
                )
    return AnnotationError(path, 1, '<bytes>', 'not UTF-8 (the file changed while read?)')


def read_text(path: str) -> str:
    """The whole of a UTF-8 text file, line ends as ``'\\n'`` (see :func:`open_text`)."""
    with open_text(path) as f:
        return f.read()


def iter_lines(path: str) -> Iterator[Tuple[int, str]]:
    """``(line number, line without its end)`` for the lines of a text file that hold more than
    white space."""
    with open_text(path) as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                yield number, line.rstrip('\n')


# --- JSON -------------------------------------------------------------------------------------


def unique_keys(pairs: List[Tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a key given twice is an error (``json`` would keep the last)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: Set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f'duplicate key {brief(key)}')
            seen.add(key)
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=unique_keys)


class _Lines:
    """File line numbers of positions in ``text`` (which starts on ``first_line``), for
    positions that never decrease: counted on from the last one (counting from the start for
    each element would be quadratic in the file's size)."""

    def __init__(self, text: str, first_line: int = 1) -> None:
        self.text, self.pos, self.line = text, 0, first_line

    def __call__(self, pos: int) -> int:
        self.line += self.text.count('\n', self.pos, pos)
        self.pos = pos
        return self.line


# A \uD800-\uDFFF escape (a UTF-16 surrogate): an even run of backslashes before it is literal.
_SURROGATE_ESCAPE = re.compile(r'(?<!\\)(?:\\\\)*\\u[dD]([89a-fA-F])[0-9a-fA-F]{2}')


def _refuse_lone_surrogates(text: str, path: str, lines: _Lines) -> None:
    """A surrogate escape that is not half of a high-low pair decodes to a string that is not
    text (it cannot be encoded, so a tokenizer fails on it): an error at its line."""
    escapes = [(m.end() - 6, m.group(1) in '89abAB') for m in _SURROGATE_ESCAPE.finditer(text)]
    paired: Set[int] = set()
    for (start, high), (next_start, next_high) in zip(escapes, escapes[1:]):
        if high and not next_high and next_start == start + 6:
            paired.update((start, next_start))
    for start, _ in escapes:
        if start not in paired:
            raise AnnotationError(
                path,
                lines(start),
                '<json>',
                f'{text[start : start + 6]} is half of a UTF-16 surrogate pair, not text',
            )


def _decode(text: str, pos: int, path: str, lines: _Lines) -> Tuple[Any, int]:
    """The JSON value starting at ``pos`` and the position after it."""
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as e:
        raise AnnotationError(path, lines(e.pos), '<json>', e.msg) from e
    except (ValueError, RecursionError) as e:  # a duplicate key, an integer of >4300 digits,
        raise AnnotationError(path, lines(pos), '<json>', str(e)) from e  # deep nesting


def load_json_list(path: str) -> List[Tuple[int, Any]]:
    """Parse a JSON file holding a list, returning ``(line number, element)`` pairs.

    The line is where the element starts, so errors about an element can point at it.
    """
    text = read_text(path)
    lines = _Lines(text)
    _refuse_lone_surrogates(text, path, lines)
    items, pos = _array_items(text, _skip_space(text, 0), path, lines)
    _expect_end(text, pos, path, lines)
    return items


def load_json_object(path: str, item_lines: Sequence[str] = ()) -> Iterator[Tuple[int, str, Any]]:
    """Members of a JSON file holding an object, as ``(line number, key, value)``.

    For the keys in ``item_lines`` (lists such as COCO's ``annotations``) the value is a list of
    ``(line number, element)`` pairs, so errors about an element can point at its line.
    """
    text = read_text(path)
    lines = _Lines(text)
    _refuse_lone_surrogates(text, path, lines)
    pos = _skip_space(text, 0)
    if text[pos : pos + 1] != '{':
        raise AnnotationError(path, lines(pos), '<root>', 'expected a JSON object')
    pos = _skip_space(text, pos + 1)
    keys = set()
    while text[pos : pos + 1] != '}':
        line = lines(pos)
        key, pos = _decode(text, pos, path, lines)
        if not isinstance(key, str):
            raise AnnotationError(path, line, '<root>', 'expected a string key')
        if key in keys:
            raise AnnotationError(path, line, key, 'duplicate key')
        keys.add(key)
        pos = _skip_space(text, pos)
        if text[pos : pos + 1] != ':':
            raise AnnotationError(path, lines(pos), key, "expected ':'")
        pos = _skip_space(text, pos + 1)
        if key in item_lines and text[pos : pos + 1] == '[':
            value, pos = _array_items(text, pos, path, lines)
            pos += 1  # past the list's ']'
        else:
            value, pos = _decode(text, pos, path, lines)
        yield line, key, value
        pos = _separator(text, _skip_space(text, pos), '}', path, lines)
    _expect_end(text, pos, path, lines)


def iter_json_lines(path: str) -> Iterator[Tuple[int, Any]]:
    """``(line number, value)`` for each line of a JSON-lines file that is not blank."""
    for number, text in iter_lines(path):
        lines = _Lines(text, number)
        _refuse_lone_surrogates(text, path, lines)
        value, end = _decode(text, _skip_space(text, 0), path, lines)
        if _skip_space(text, end) != len(text):
            raise AnnotationError(path, number, '<json>', 'text after the value')
        yield number, value


def iter_objects(
    items: Any, path: str, field: str, line: int = 1
) -> Iterator[Tuple[int, dict[str, Any]]]:
    """Check that ``items`` (``(line, element)`` pairs from :func:`load_json_list` or
    :func:`load_json_object`, found at ``line``) is a list of JSON objects, and yield them."""
    if not isinstance(items, list):
        raise AnnotationError(path, line, field, 'expected a list')
    for line, item in items:
        if not isinstance(item, dict):
            raise AnnotationError(path, line, field, f'expected an object, got {brief(item)}')
        yield line, item


def _array_items(
    text: str, pos: int, path: str, lines: _Lines
) -> Tuple[List[Tuple[int, Any]], int]:
    """Elements of the array starting at ``pos`` with their lines, and the position of ']'."""
    if text[pos : pos + 1] != '[':
        raise AnnotationError(path, lines(pos), '<root>', 'expected a JSON list')
    pos = _skip_space(text, pos + 1)
    items: List[Tuple[int, Any]] = []
    while text[pos : pos + 1] != ']':
        line = lines(pos)
        item, end = _decode(text, pos, path, lines)
        items.append((line, item))
        pos = _separator(text, _skip_space(text, end), ']', path, lines)
    return items, pos


def _separator(text: str, pos: int, close: str, path: str, lines: _Lines) -> int:
    """Skip a ',' between members (returning the next member's start) or stop at ``close``."""
    if text[pos : pos + 1] == ',':
        pos = _skip_space(text, pos + 1)
        if text[pos : pos + 1] == close:
            raise AnnotationError(path, lines(pos), '<root>', "trailing ','")
    elif text[pos : pos + 1] != close:
        raise AnnotationError(path, lines(pos), '<root>', f"expected ',' or '{close}'")
    return pos


def _expect_end(text: str, pos: int, path: str, lines: _Lines) -> None:
    """``pos`` is the closing bracket of the root value: only white space may follow."""
    if _skip_space(text, pos + 1) != len(text):
        raise AnnotationError(
            path, lines(pos + 1), '<root>', f"text after the root's '{text[pos]}'"
        )


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in ' \t\r\n':
        pos += 1
    return pos
