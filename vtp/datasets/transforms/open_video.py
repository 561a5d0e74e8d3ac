"""Open a video file with decord."""
import os
from contextlib import contextmanager
from typing import Dict, Iterator

from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.registry import TRANSFORMS


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: FFmpeg inside decord prints its own lines for every
    broken file, and vtp reports each broken sample once, in one line, instead."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def check_file(path: str) -> None:
    """Raise :class:`SampleError` if ``path`` is missing or empty."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise SampleError(path, 'missing file') from None
    if size == 0:
        raise SampleError(path, 'empty file')


@TRANSFORMS.register_module()
class OpenVideo(BaseTransform):
    """Open ``filename`` with ``decord.VideoReader`` (inside the dataloader worker).

    A missing, empty or undecodable file raises :class:`SampleError`, so the dataset replaces
    the sample and reports it.

    **Required Keys:** ``filename``

    **Added Keys:** ``video_reader``, ``total_frames``, ``avg_fps``

    Args:
        num_threads: decoder threads per reader.
    """

    def __init__(self, num_threads: int = 1) -> None:
        self.num_threads = num_threads

    def transform(self, results: Dict) -> Dict:
        import decord
        path = results['filename']
        check_file(path)
        try:
            with native_stderr_silenced():
                reader = decord.VideoReader(path, num_threads=self.num_threads)
        except RuntimeError as e:
            raise SampleError(path, 'undecodable video', str(e).splitlines()[0]) from None
        if len(reader) == 0:
            raise SampleError(path, 'video without frames')
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = reader.get_avg_fps()
        return results
