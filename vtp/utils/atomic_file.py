"""Files written whole or not at all: a reader, or a rerun after a kill, never meets half a
file."""

import os
import secrets
import stat
from typing import Any, Callable


def write_atomically(path: str, write: Callable[[Any], None], binary: bool = False) -> None:
    """``write(file)`` into a new temporary file beside ``path``, synced to disk and renamed to
    ``path`` when ``write`` returns; removed if it raises (or is interrupted), so ``path`` keeps
    its old content or is absent, even across a crash of the machine.

    A ``path`` that is a symbolic link is followed: the file it points to is replaced and the
    link kept. An existing file keeps its permission bits; a new one gets those of a plain
    ``open`` (0o666 less the umask). Other hard links to the old file keep the old content.
    Text is UTF-8 with newlines as written.
    """
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    partial = os.path.join(folder, f'.{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp')
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # unique, never shared
    try:
        with open(fd, 'wb') if binary else open(fd, 'w', newline='', encoding='utf-8') as f:
            try:
                os.fchmod(f.fileno(), stat.S_IMODE(os.stat(target).st_mode))
            except FileNotFoundError:
                pass  # a new file: the mode open() gave it
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
