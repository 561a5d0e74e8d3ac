"""The error a transform raises for one unusable sample (missing, corrupt or too-short media)."""


class SampleError(Exception):
    """One sample cannot be used: the dataset replaces it by another and reports it.

    Transforms raise it for problems of the data (a missing, empty, truncated or undecodable
    file, a clip shorter than the frames asked for, an empty caption), never for bugs.

    Args:
        path: the file (or annotation) the problem is about.
        reason: a short, stable description (``'missing file'``, ``'empty file'``,
            ``'undecodable video'``, ...); summaries count samples by it.
        detail: the underlying error message, if any.
    """

    def __init__(self, path: str, reason: str, detail: str = '') -> None:
        super().__init__(f'{path}: {reason}' + (f' ({detail})' if detail else ''))
        self.path, self.reason = str(path), reason
