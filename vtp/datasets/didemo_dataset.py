"""DiDeMo paragraph-to-video retrieval."""

import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Tuple

from vtp.datasets.annotation import AnnotationError, iter_objects, load_json_list, require
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


@DATASETS.register_module()
class DiDeMoDataset(BaseVideoTextDataset):
    """DiDeMo (https://arxiv.org/abs/1708.01641) for paragraph-to-video retrieval.

    ``{train,val,test}_data.json`` hold one entry per moment, ``[{annotation_id, video,
    description, times, num_segments}]``. As in CLIP4Clip, VindLU and UMT, a video's
    descriptions are joined in file order into one paragraph, its only query, and frames are
    sampled over the whole video (the moments' times are not used).

    Videos are read from ``{data_prefix['video']}/{video}``; ``video_ext`` replaces the
    extension the annotation gives (the release mixes ``.mov``, ``.mp4``, ...; re-encoded
    copies are usually all ``.mp4``). Two ``video`` names that differ only in their extension
    (``a.mov``, ``a.mp4``) are an error: they would be one file, or one ``video_id``, as two
    gallery videos.

    Args:
        video_ext: extension of the video files, or None to keep the annotation's.
        **kwargs: :class:`BaseVideoTextDataset` arguments.
    """

    def __init__(self, *args: Any, video_ext: Optional[str] = '.mp4', **kwargs: Any) -> None:
        self.video_ext = video_ext
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path = self.ann_file
        paragraphs: Dict[str, List[str]] = {}
        names: Dict[str, Tuple[str, int]] = {}  # video id -> the first video name and its line
        for line, moment in iter_objects(load_json_list(path), path, '<entry>'):
            video = require(moment, 'video', str, path, line)
            description = require(moment, 'description', str, path, line, allow_empty=True)
            video_id = osp.normpath(osp.splitext(video)[0])  # ./a.mp4 is a.mov's video
            first, first_line = names.setdefault(video_id, (video, line))
            if first != video:
                raise AnnotationError(
                    path,
                    line,
                    'video',
                    f'duplicate id: {video!r} and {first!r} (first at line {first_line}) '
                    f'are both video {video_id!r}',
                )
            paragraphs.setdefault(video, []).append(description.strip())
        for video, descriptions in paragraphs.items():
            name = video if self.video_ext is None else osp.splitext(video)[0] + self.video_ext
            yield dict(
                filename=osp.join(self.data_prefix['video'], name),
                text=[' '.join(d for d in descriptions if d)],
                video_id=osp.splitext(video)[0],
            )
