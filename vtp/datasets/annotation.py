"""Reading annotation files with errors that name the file, the line and the field."""
import json
from typing import Any, Iterator, List, Sequence, Tuple, Type, Union


class AnnotationError(ValueError):
    """A malformed annotation record: ``file:line: field: problem``."""

    def __init__(self, path: str, line: int, field: str, problem: str) -> None:
        super().__init__(f'{path}:{line}: field {field!r}: {problem}')
        self.path, self.line, self.field = path, line, field


def require(record: dict, field: str, types: Union[Type, Tuple[Type, ...]], path: str,
            line: int, allow_empty: bool = False) -> Any:
    """``record[field]``, checked to be present, of ``types`` and non-empty if a string/list.

    Captions pass ``allow_empty=True``: an empty caption is a data problem of one sample, which
    the dataset replaces when it is read, not a malformed file.
    """
    if field not in record or record[field] is None:
        raise AnnotationError(path, line, field, 'missing')
    value = record[field]
    if not isinstance(value, types) or isinstance(value, bool):
        names = types.__name__ if isinstance(types, type) else ' or '.join(
            t.__name__ for t in types)
        raise AnnotationError(path, line, field,
                              f'expected {names}, got {type(value).__name__} {value!r}')
    if isinstance(value, (str, list)) and len(value) == 0 and not allow_empty:
        raise AnnotationError(path, line, field, 'empty')
    return value


def load_json_list(path: str) -> List[Tuple[int, Any]]:
    """Parse a JSON file holding a list, returning ``(line number, element)`` pairs.

    The line is where the element starts, so errors about an element can point at it.
    """
    text = _read(path)
    try:
        pos = _skip_space(text, 0)
        items, pos = _array_items(text, pos, path)
        _expect_end(text, pos, path)
    except json.JSONDecodeError as e:
        raise AnnotationError(path, e.lineno, '<json>', e.msg) from e
    return items


def load_json_object(path: str, item_lines: Sequence[str] = ()) -> Iterator[Tuple[int, str, Any]]:
    """Members of a JSON file holding an object, as ``(line number, key, value)``.

    For the keys in ``item_lines`` (lists such as COCO's ``annotations``) the value is a list of
    ``(line number, element)`` pairs, so errors about an element can point at its line.
    """
    text = _read(path)
    decoder = json.JSONDecoder()
    try:
        pos = _skip_space(text, 0)
        if text[pos:pos + 1] != '{':
            raise AnnotationError(path, _line(text, pos), '<root>', 'expected a JSON object')
        pos = _skip_space(text, pos + 1)
        while text[pos:pos + 1] != '}':
            line = _line(text, pos)
            key, pos = decoder.raw_decode(text, pos)
            if not isinstance(key, str):
                raise AnnotationError(path, line, '<root>', 'expected a string key')
            pos = _skip_space(text, pos)
            if text[pos:pos + 1] != ':':
                raise AnnotationError(path, _line(text, pos), key, "expected ':'")
            pos = _skip_space(text, pos + 1)
            if key in item_lines and text[pos:pos + 1] == '[':
                value, pos = _array_items(text, pos, path)
                pos += 1  # past the list's ']'
            else:
                value, pos = decoder.raw_decode(text, pos)
            yield line, key, value
            pos = _separator(text, _skip_space(text, pos), '}', path)
        _expect_end(text, pos, path)
    except json.JSONDecodeError as e:
        raise AnnotationError(path, e.lineno, '<json>', e.msg) from e


def iter_objects(items: Any, path: str, field: str,
                 line: int = 1) -> Iterator[Tuple[int, dict]]:
    """Check that ``items`` (``(line, element)`` pairs from :func:`load_json_list` or
    :func:`load_json_object`, found at ``line``) is a list of JSON objects, and yield them."""
    if not isinstance(items, list):
        raise AnnotationError(path, line, field, 'expected a list')
    for line, item in items:
        if not isinstance(item, dict):
            raise AnnotationError(path, line, field, f'expected an object, got {item!r}')
        yield line, item


def _read(path: str) -> str:
    with open(path, encoding='utf-8-sig') as f:
        return f.read()


def _array_items(text: str, pos: int, path: str) -> Tuple[List[Tuple[int, Any]], int]:
    """Elements of the array starting at ``pos`` with their lines, and the position of ']'."""
    if text[pos:pos + 1] != '[':
        raise AnnotationError(path, _line(text, pos), '<root>', 'expected a JSON list')
    decoder = json.JSONDecoder()
    pos = _skip_space(text, pos + 1)
    items: List[Tuple[int, Any]] = []
    while text[pos:pos + 1] != ']':
        item, end = decoder.raw_decode(text, pos)
        items.append((_line(text, pos), item))
        pos = _separator(text, _skip_space(text, end), ']', path)
    return items, pos


def _separator(text: str, pos: int, close: str, path: str) -> int:
    """Skip a ',' between members (returning the next member's start) or stop at ``close``."""
    if text[pos:pos + 1] == ',':
        pos = _skip_space(text, pos + 1)
        if text[pos:pos + 1] == close:
            raise AnnotationError(path, _line(text, pos), '<root>', "trailing ','")
    elif text[pos:pos + 1] != close:
        raise AnnotationError(path, _line(text, pos), '<root>', f"expected ',' or '{close}'")
    return pos


def _expect_end(text: str, pos: int, path: str) -> None:
    """``pos`` is the closing bracket of the root value: only white space may follow."""
    if _skip_space(text, pos + 1) != len(text):
        raise AnnotationError(path, _line(text, pos + 1), '<root>',
                              f"text after the root's '{text[pos]}'")


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in ' \t\r\n':
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count('\n', 0, pos) + 1


def iter_lines(path: str) -> Iterator[Tuple[int, str]]:
    """``(line number, stripped line)`` for the non-empty lines of a text file."""
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                yield number, line.rstrip('\n')
