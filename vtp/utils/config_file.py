"""Read a Python config with ``_base_`` inheritance, with one clear error for a broken file."""

import ast

from mmengine.config import Config


class ConfigError(ValueError):
    """A config file that cannot be read; the message names the file (and line)."""


def read_config(path: str) -> Config:
    """mmengine's ``Config.fromfile(path)``; a missing file (``path`` or one of its
    ``_base_``), a syntax error or ``_base_`` files that include each other raise
    :class:`ConfigError` naming the file, instead of a traceback from inside mmengine (a
    cycle was a ``RecursionError`` naming nothing)."""
    try:
        return Config.fromfile(path)
    except FileNotFoundError as e:
        missing = e.filename or str(e)
        raise ConfigError(f'{path}: config file not found: {missing}') from None
    except SyntaxError as e:  # mmengine parses without the file's name: find it if it is ours
        where = 'one of its _base_ files'
        try:
            with open(path, encoding='utf-8') as f:
                ast.parse(f.read(), filename=path)
        except SyntaxError:
            where = 'it'
        line = (e.text or '').strip()
        raise ConfigError(
            f'{path}: syntax error at line {e.lineno} of {where}: {e.msg} ({line!r})'
        ) from None
    except RecursionError:
        raise ConfigError(
            f'{path}: its _base_ files include each other (a cycle), or nest too deep'
        ) from None
