"""The assertion shared by the annotation tests: an error names the file, the line and the field."""

from pathlib import Path
from typing import TYPE_CHECKING

from vtp.datasets.annotation import AnnotationError

if TYPE_CHECKING:
    import pytest


def check_annotation_error(
    excinfo: 'pytest.ExceptionInfo[BaseException]', path: Path, line: int, field: str
) -> None:
    """Assert that the error caught in ``excinfo`` (from ``pytest.raises``) is an
    :class:`AnnotationError` (a ``ValueError``) naming ``path``, 1-based ``line`` and
    ``field``, as attributes and as ``path:line:`` and ``'field'`` in its message."""
    err = excinfo.value
    assert isinstance(err, AnnotationError)
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    message = str(err)
    assert f'{path}:{line}:' in message
    assert repr(field) in message
