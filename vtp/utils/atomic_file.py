"""Files written whole or not at all: a reader, or a rerun after a kill, never meets half a
file."""

import os
from typing import Any, Callable


def write_atomically(path: str, write: Callable[[Any], None], binary: bool = False) -> None:
    """``write(file)`` into a temporary file beside ``path`` (named with this process's id),
    renamed to ``path`` when ``write`` returns; removed if it raises (or is interrupted), so
    ``path`` keeps its old content or is absent. Text is UTF-8 with newlines as written."""
    partial = f'{path}.tmp{os.getpid()}'
    try:
        if binary:
            with open(partial, 'wb') as f:
                write(f)
        else:
            with open(partial, 'w', newline='', encoding='utf-8') as text:
                write(text)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
