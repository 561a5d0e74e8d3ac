"""MSR-VTT retrieval splits in the CLIP4Clip layout (9k / 7k training, 1k-A test)."""

import os.path as osp
from typing import Any, Dict, Iterator, List

from vtp.datasets.annotation import (
    AnnotationError,
    check_unique,
    iter_objects,
    load_json_object,
    require,
)
from vtp.datasets.annotation_table import iter_table, table_columns
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


@DATASETS.register_module()
class MSRVTTDataset(BaseVideoTextDataset):
    """MSR-VTT (https://www.microsoft.com/en-us/research/publication/msr-vtt/) as CLIP4Clip
    ships it.

    ``MSRVTT_data.json`` holds ``videos[{video_id, split, ...}]`` and ``sentences[{video_id,
    caption, sen_id}]`` (20 captions per video). ``split_file`` picks the videos:

    - ``MSRVTT_train.9k.csv`` or ``MSRVTT_train.7k.csv`` (a ``video_id`` column): those videos
      with all their captions (training draws one per visit). 9k (CLIP4Clip, UMT) and 7k
      (VindLU, Singularity) differ by about 2 R@1: state which.
    - ``MSRVTT_JSFUSION_test.csv`` (``key, vid_key, video_id, sentence``): the 1k-A test, 1,000
      videos with the one caption each that the CSV gives; ``MSRVTT_data.json`` is not read.

    Videos are read from ``{data_prefix['video']}/{video_id}.mp4``.

    Args:
        split_file: the split CSV, relative to ``data_root``.
        **kwargs: :class:`BaseVideoTextDataset` arguments (``ann_file`` is MSRVTT_data.json).
    """

    extra_files = ('split_file',)

    @classmethod
    def reading(cls, cfg: Dict[str, Any], path: str) -> Dict[str, Any]:
        """The samples of ``path`` as ``split_file``: a JSFusion-style CSV (``video_id,
        sentence``) is a test set of its own, a list of ids takes captions from ``ann_file``."""
        return dict(cfg, split_file=path)

    def __init__(self, *args: Any, split_file: str, **kwargs: Any) -> None:
        self.split_file = split_file
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        if 'sentence' in table_columns(self.split_file):
            return self._test_pairs()
        return self._videos_with_captions()

    def _video(self, video_id: str) -> str:
        return osp.join(self.data_prefix['video'], f'{video_id}.mp4')

    def _video_id(self, line: int, video_id: str) -> str:
        video_id = video_id.strip()
        if not video_id:
            raise AnnotationError(self.split_file, line, 'video_id', 'empty')
        return video_id

    def _test_pairs(self) -> Iterator[dict[str, Any]]:
        lines: Dict[str, int] = {}
        for line, (video_id, caption) in iter_table(self.split_file, ('video_id', 'sentence')):
            video_id = self._video_id(line, video_id)
            check_unique(lines, video_id, self.split_file, line, 'video_id', 'video')
            yield dict(filename=self._video(video_id), text=[caption.strip()], video_id=video_id)

    def _videos_with_captions(self) -> Iterator[dict[str, Any]]:
        rows = list(iter_table(self.split_file, ('video_id',)))  # its errors first
        path = self.ann_file
        members = {
            key: (line, value)
            for line, key, value in load_json_object(path, item_lines=('sentences',))
        }
        if 'sentences' not in members:
            raise AnnotationError(path, 1, 'sentences', 'missing')
        captions: Dict[str, List[str]] = {}
        for line, sentence in iter_objects(
            members['sentences'][1], path, 'sentences', members['sentences'][0]
        ):
            video_id = require(sentence, 'video_id', str, path, line)
            caption = require(sentence, 'caption', str, path, line, allow_empty=True)
            captions.setdefault(video_id, []).append(caption.strip())
        for line, (video_id,) in rows:
            video_id = self._video_id(line, video_id)
            if video_id not in captions:
                raise AnnotationError(
                    self.split_file, line, 'video_id', f'{video_id!r} has no sentence in {path}'
                )
            yield dict(filename=self._video(video_id), text=captions[video_id], video_id=video_id)
