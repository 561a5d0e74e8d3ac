"""Reading annotation files with errors that name the file, the line and the field."""
import json
from typing import Any, Iterator, List, Tuple, Type, Union


class AnnotationError(ValueError):
    """A malformed annotation record: ``file:line: field: problem``."""

    def __init__(self, path: str, line: int, field: str, problem: str) -> None:
        super().__init__(f'{path}:{line}: field {field!r}: {problem}')
        self.path, self.line, self.field = path, line, field


def require(record: dict, field: str, types: Union[Type, Tuple[Type, ...]], path: str,
            line: int) -> Any:
    """``record[field]``, checked to be present, of ``types`` and non-empty if a string/list."""
    if field not in record or record[field] is None:
        raise AnnotationError(path, line, field, 'missing')
    value = record[field]
    if not isinstance(value, types) or isinstance(value, bool):
        names = types.__name__ if isinstance(types, type) else ' or '.join(
            t.__name__ for t in types)
        raise AnnotationError(path, line, field,
                              f'expected {names}, got {type(value).__name__} {value!r}')
    if isinstance(value, (str, list)) and len(value) == 0:
        raise AnnotationError(path, line, field, 'empty')
    return value


def load_json_list(path: str) -> List[Tuple[int, Any]]:
    """Parse a JSON file holding a list, returning ``(line number, element)`` pairs.

    The line is where the element starts, so errors about an element can point at it.
    """
    with open(path, encoding='utf-8-sig') as f:
        text = f.read()
    decoder = json.JSONDecoder()
    try:
        pos = _skip_space(text, 0)
        if text[pos:pos + 1] != '[':
            raise AnnotationError(path, _line(text, pos), '<root>', 'expected a JSON list')
        pos = _skip_space(text, pos + 1)
        items: List[Tuple[int, Any]] = []
        while text[pos:pos + 1] != ']':
            item, end = decoder.raw_decode(text, pos)
            items.append((_line(text, pos), item))
            pos = _skip_space(text, end)
            if text[pos:pos + 1] == ',':
                pos = _skip_space(text, pos + 1)
                if text[pos:pos + 1] == ']':
                    raise AnnotationError(path, _line(text, pos), '<root>', "trailing ','")
            elif text[pos:pos + 1] != ']':
                raise AnnotationError(path, _line(text, pos), '<root>', "expected ',' or ']'")
        if _skip_space(text, pos + 1) != len(text):
            raise AnnotationError(path, _line(text, pos + 1), '<root>', "text after the list's ']'")
    except json.JSONDecodeError as e:
        raise AnnotationError(path, e.lineno, '<json>', e.msg) from e
    return items


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
