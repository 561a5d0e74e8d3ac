"""VATEX retrieval with English or Chinese captions."""

import os.path as osp
from typing import Any, Dict, Iterator, Optional

from vtp.datasets.annotation import (
    AnnotationError,
    brief,
    check_unique,
    iter_lines,
    iter_objects,
    load_json_list,
    require,
)
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS

CAPTION_KEYS = {'en': 'enCap', 'zh': 'chCap'}


@DATASETS.register_module()
class VATEXDataset(BaseVideoTextDataset):
    """VATEX (https://arxiv.org/abs/1904.03493) ``vatex_{training,validation}_v1.0.json``.

    Entries are ``[{videoID: "<youtube id>_<start 6 digits>_<end 6 digits>", enCap: [10],
    chCap: [10]}]``; ``language`` picks the English or the Chinese captions. The public test
    set has no captions, so papers split the validation file (for example 1,500 / 1,500 as in
    HGR): ``split_file`` (ids one per line) keeps only the listed videos, each of which must be
    in the annotation. Every caption is a query at test time. A ``videoID`` given twice in the
    annotation, or an id listed twice in ``split_file``, is an error (a video twice in the
    retrieval gallery ties with itself, which puts its captions' match at rank 2).

    Videos are read from ``{data_prefix['video']}/{videoID}{video_ext}``.

    Args:
        language: ``'en'`` or ``'zh'``.
        split_file: optional id list, relative to ``data_root``.
        video_ext: extension of the video files.
        **kwargs: :class:`BaseVideoTextDataset` arguments.
    """

    extra_files = ('split_file',)

    @classmethod
    def reading(cls, cfg: Dict[str, Any], path: str) -> Dict[str, Any]:
        """Every video of ``path`` (a VATEX JSON), not only those of the config's id list."""
        return dict(cfg, ann_file=path, split_file=None)

    def __init__(
        self,
        *args: Any,
        language: str = 'en',
        split_file: Optional[str] = None,
        video_ext: str = '.mp4',
        **kwargs: Any,
    ) -> None:
        if language not in CAPTION_KEYS:
            raise ValueError(f'language must be one of {sorted(CAPTION_KEYS)}, got {language!r}')
        self.language = language
        self.split_file = split_file
        self.video_ext = video_ext
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path, key = self.ann_file, CAPTION_KEYS[self.language]
        keep: Optional[Dict[str, int]] = None  # listed ids not yet found -> their line
        if self.split_file:
            keep = {}
            for line, text in iter_lines(self.split_file):
                check_unique(keep, text.strip(), self.split_file, line, 'video_id')
        lines: Dict[str, int] = {}
        for line, entry in iter_objects(load_json_list(path), path, '<entry>'):
            video_id = require(entry, 'videoID', str, path, line)
            check_unique(lines, video_id, path, line, 'videoID')
            if keep is not None and keep.pop(video_id, None) is None:
                continue
            captions = require(entry, key, list, path, line)
            for i, caption in enumerate(captions):
                if not isinstance(caption, str):
                    raise AnnotationError(
                        path, line, f'{key}[{i}]', f'expected a string, got {brief(caption)}'
                    )
            yield dict(
                filename=osp.join(self.data_prefix['video'], video_id + self.video_ext),
                text=[c.strip() for c in captions],
                video_id=video_id,
            )
        if keep:  # listed ids the annotation lacks: a mismatched list would shrink the test set
            assert self.split_file is not None  # keep was read from it
            video_id, line = next(iter(keep.items()))
            raise AnnotationError(
                self.split_file,
                line,
                'video_id',
                f'{video_id!r} is not in {path} ({len(keep)} listed ids are not)',
            )
