"""Capture what a logger logs inside a block, as lines, for tests of log output."""

import logging
from contextlib import contextmanager
from typing import Iterator, List, Optional

from mmengine.logging import MMLogger


class _Lines(logging.Handler):
    def __init__(self, lines: List[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(record.getMessage().splitlines() or [''])


@contextmanager
def logged_lines(
    logger: Optional[logging.Logger] = None, level: int = logging.INFO
) -> Iterator[List[str]]:
    """The lines ``logger`` (mmengine's current logger by default) logs at ``level`` or above
    inside the block, a message of several lines as several; the logger's level is restored
    after."""
    logger = logger or MMLogger.get_current_instance()
    lines: List[str] = []
    handler, before = _Lines(lines), logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
