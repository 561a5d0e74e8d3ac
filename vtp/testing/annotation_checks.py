"""Shared assertion for annotation errors: the file, the line and the field are named."""

from pathlib import Path


def check_error(excinfo, path: Path, line: int, field: str) -> None:
    err = excinfo.value
    assert isinstance(err, ValueError)
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    message = str(err)
    assert f'{path}:{line}:' in message
    assert repr(field) in message
