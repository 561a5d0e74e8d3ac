"""HowTo100M: clips cut from narrated videos at windows of consecutive ASR segments."""

import math
import os.path as osp
from typing import Any, Iterator, List, Optional, Tuple

from mmengine.logging import MMLogger

from vtp.datasets.annotation import (
    AnnotationError,
    brief,
    iter_json_lines,
    load_json_object,
    require,
)
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS
from vtp.utils.checks import require_number


@DATASETS.register_module()
class HowTo100MDataset(BaseVideoTextDataset):
    """HowTo100M (https://arxiv.org/abs/1906.03327) ASR captions as released.

    ``caption.json`` maps each video id to its ASR segments, ``{video_id: {"start": [s, ...],
    "end": [s, ...], "text": [...]}}``. A sample is a window of consecutive segments merged
    until it spans at least ``min_duration`` seconds (the last, shorter remainder of a video
    joins the window before it); its caption is the segments' text joined with
    ``text_separator``, and its clip is the window's time span (``start``/``end``, which
    ``SampleFrames`` honours). Videos are read from ``{data_prefix['video']}/{video_id}{ext}``.

    The released ``caption.json`` is about 2 GB, which ``json`` parses into far more memory;
    ``tools/data/howto100m/split_captions.py`` turns it into JSON lines
    (``{"video_id": ..., "start": [...], "end": [...], "text": [...]}`` per line), read here
    one line at a time. A file ending in ``.jsonl`` is read that way.

    Segments whose end is not after their start are dropped (ASR output has some); one line
    says how many. Malformed entries stop the run at start-up with the file, line and field.

    Args:
        min_duration: shortest window in seconds.
        video_ext: extension of the video files (``.mp4``, ``.webm``, ...).
        text_separator: joins the text of a window's segments.
        **kwargs: :class:`BaseVideoTextDataset` arguments.
    """

    def __init__(
        self,
        *args: Any,
        min_duration: float = 4.0,
        video_ext: str = '.mp4',
        text_separator: str = ' ',
        **kwargs: Any,
    ) -> None:
        self.min_duration = require_number(
            'HowTo100MDataset: min_duration (s)', min_duration, minimum=0
        )
        self.video_ext = video_ext
        self.text_separator = text_separator
        super().__init__(*args, **kwargs)

    def _videos(self) -> Iterator[Tuple[int, str, dict[str, Any]]]:
        """``(line, video_id, segments)`` of the annotation file, in either layout."""
        path = self.ann_file
        if not path.endswith('.jsonl'):
            for line, video_id, entry in load_json_object(path):
                yield line, video_id, entry
            return
        for line, entry in iter_json_lines(path):
            if not isinstance(entry, dict):
                raise AnnotationError(
                    path, line, '<entry>', f'expected an object, got {brief(entry)}'
                )
            yield line, require(entry, 'video_id', str, path, line), entry

    def _segments(self, line: int, entry: dict[str, Any]) -> List[Tuple[float, float, str]]:
        path = self.ann_file
        if not isinstance(entry, dict):
            raise AnnotationError(path, line, '<entry>', f'expected an object, got {brief(entry)}')
        starts = require(entry, 'start', list, path, line, allow_empty=True)
        ends = require(entry, 'end', list, path, line, allow_empty=True)
        texts = require(entry, 'text', list, path, line, allow_empty=True)
        if not len(starts) == len(ends) == len(texts):
            raise AnnotationError(
                path,
                line,
                'start/end/text',
                f'lengths differ: {len(starts)}, {len(ends)}, {len(texts)}',
            )
        segments = []
        for i, (start, end, text) in enumerate(zip(starts, ends, texts)):
            times = []
            for field, value in (('start', start), ('end', end)):
                seconds = _seconds(value)
                if seconds is None:
                    raise AnnotationError(
                        path, line, f'{field}[{i}]', f'expected a finite number, got {brief(value)}'
                    )
                times.append(seconds)
            if not isinstance(text, str):
                raise AnnotationError(
                    path, line, f'text[{i}]', f'expected a string, got {brief(text)}'
                )
            segments.append((times[0], times[1], text.strip()))
        return sorted(segments)

    def _windows(
        self, segments: List[Tuple[float, float, str]]
    ) -> List[List[Tuple[float, float, str]]]:
        """Merge consecutive segments into windows of at least ``min_duration`` seconds."""
        windows: List[List[Tuple[float, float, str]]] = []
        current: List[Tuple[float, float, str]] = []
        for segment in segments:
            current.append(segment)
            if current[-1][1] - current[0][0] >= self.min_duration:
                windows.append(current)
                current = []
        if current:
            if windows:
                windows[-1].extend(current)
            else:
                windows.append(current)
        return windows

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        dropped = 0
        for line, video_id, entry in self._videos():
            segments = self._segments(line, entry)
            valid = [s for s in segments if s[1] > s[0]]
            dropped += len(segments) - len(valid)
            filename = osp.join(self.data_prefix['video'], video_id + self.video_ext)
            for window in self._windows(valid):
                text = self.text_separator.join(t for _, _, t in window if t)
                yield dict(
                    filename=filename,
                    video_id=video_id,
                    start=window[0][0],
                    end=max(end for _, end, _ in window),
                    text=text,
                )
        if dropped:
            MMLogger.get_current_instance().info(
                f'{type(self).__name__}: dropped {dropped} ASR segments of {self.ann_file} '
                'whose end is not after their start'
            )


def _seconds(value: Any) -> Optional[float]:
    """``value`` (a JSON number) in seconds, or None if it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond the float range
        return None
    return seconds if math.isfinite(seconds) else None
