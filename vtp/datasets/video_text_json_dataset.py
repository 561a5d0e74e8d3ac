"""Video-text pairs in the mmaction2 / VindLU JSON layout (MSRVTT, and others)."""

import os.path as osp
from typing import Any, Dict, List

from vtp.datasets.annotation import AnnotationError, brief, check_unique, load_json_list, require
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


@DATASETS.register_module()
class VideoTextJsonDataset(BaseVideoTextDataset):
    """``[{"video": "video7.mp4", "caption": "..." or ["...", ...]}, ...]``.

    Videos are read from ``{data_prefix['video']}/{video}``. In test mode every caption of a
    video is kept (retrieval queries), and a video given twice is an error (twice in the
    gallery, it ties with itself and puts its captions' match at rank 2 or 1 by rounding); in
    training one caption is drawn per visit by the text pipeline, and one entry per caption is
    the usual layout. A malformed entry stops the run at start-up with the file, line and field.
    """

    def parse_annotations(self) -> List[dict[str, Any]]:
        path = self.ann_file
        data_list = []
        lines: Dict[str, int] = {}  # test mode: video -> its line
        for line, item in load_json_list(path):
            if not isinstance(item, dict):
                raise AnnotationError(
                    path, line, '<entry>', f'expected an object, got {brief(item)}'
                )
            video = require(item, 'video', str, path, line)
            if self.test_mode:
                check_unique(lines, osp.normpath(video), path, line, 'video', 'video', video)
            caption = require(item, 'caption', (str, list), path, line)
            captions = [caption] if isinstance(caption, str) else caption
            for i, text in enumerate(captions):
                if not isinstance(text, str) or not text.strip():
                    raise AnnotationError(
                        path,
                        line,
                        f'caption[{i}]',
                        f'expected a non-empty string, got {brief(text)}',
                    )
            data_list.append(
                dict(
                    filename=osp.join(self.data_prefix['video'], video),
                    text=[t.strip() for t in captions],
                    video_id=osp.splitext(video)[0],
                )
            )
        return data_list
