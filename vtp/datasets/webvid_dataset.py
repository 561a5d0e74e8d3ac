"""WebVid-2M / 10M video-text pairs from the released CSV (https://arxiv.org/abs/2104.00650)."""

import os.path as osp
import re
from typing import Any, Iterator, Optional

from vtp.datasets.annotation import AnnotationError
from vtp.datasets.annotation_table import iter_table
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS

COLUMNS = ('videoid', 'duration', 'page_dir', 'name')  # of the header; name: the caption
DURATION = re.compile(r'^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$')


def parse_duration(text: str) -> float:
    """ISO-8601 ``PT00H00M21S`` -> seconds; ValueError if malformed."""
    match = DURATION.match(text.strip())
    if not match or not any(match.groups()):
        raise ValueError(f'not an ISO-8601 duration like PT00H00M21S: {text!r}')
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@DATASETS.register_module()
class WebVidDataset(BaseVideoTextDataset):
    """WebVid CSV: ``videoid, contentUrl, duration, page_dir, name`` (name is the caption).

    Videos are read from ``{data_prefix['video']}/{page_dir}/{videoid}.mp4``. A malformed row
    stops the run at start-up with the file, line and field; an empty caption is replaced
    when read, like a missing video.

    Args:
        identity_column: a further column whose value says what a clip shows, for a corpus
            whose clips repeat one another (the moving-shapes world: 2,000 clips of 100
            meanings). Samples with equal values are positives of one another in the losses
            and never each other's matching negatives (``identity`` in the sample, see
            :func:`~vtp.datasets.transforms.pack_video_text_inputs.clip_identity`). None: each
            video file is its own clip.
        **kwargs: :class:`BaseVideoTextDataset` arguments.
    """

    def __init__(self, *args: Any, identity_column: Optional[str] = None, **kwargs: Any) -> None:
        if identity_column is not None and not (
            isinstance(identity_column, str) and identity_column.strip()
        ):
            raise ValueError(
                f'WebVidDataset.identity_column must be a column name or None, '
                f'got {identity_column!r}'
            )
        self.identity_column = identity_column
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path, prefix = self.ann_file, self.data_prefix['video']
        extra = (self.identity_column,) if self.identity_column else ()
        for line, (videoid, duration_text, page_dir, caption, *identity) in iter_table(
            path, COLUMNS + extra
        ):
            videoid, page_dir = videoid.strip(), page_dir.strip()
            fields = [('videoid', videoid), ('page_dir', page_dir)]
            fields += [(name, value.strip()) for name, value in zip(extra, identity)]
            for field, value in fields:
                if not value:
                    raise AnnotationError(path, line, field, 'empty')
            try:
                duration = parse_duration(duration_text)
            except ValueError as e:
                raise AnnotationError(path, line, 'duration', str(e)) from e
            record = dict(
                filename=osp.join(prefix, page_dir, f'{videoid}.mp4'),
                text=caption.strip(),
                video_id=videoid,
                duration=duration,
            )
            if extra:
                record['identity'] = fields[-1][1]
            yield record
