"""What inference reads: galleries of videos (a folder, a list of paths, an annotation file),
the config's test pipeline split into its video and text parts, and a dataset that runs the
video part on each video and reports, rather than raises, the ones it cannot read."""

import os
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.config import Config, ConfigDict
from torch.utils.data import Dataset

from vtp.datasets.sample_error import SampleError
from vtp.registry import DATASETS, TRANSFORMS
from vtp.visualization.clip_frames import IMAGE_EXTENSIONS

VIDEO_EXTENSIONS = (
    '.mp4',
    '.avi',
    '.mkv',
    '.webm',
    '.mov',
    '.m4v',
    '.mpg',
    '.mpeg',
    '.flv',
    '.wmv',
)
TEXT_TRANSFORMS = ('TokenizeText', 'MaskTokens')
"""Transform types of a test pipeline that read text; the rest read the clip."""

UserPath = Union[str, bytes, 'os.PathLike[str]']
"""A file or folder given by the user."""

Item = Dict[str, Any]
"""One video to read: a data-info dict with ``filename`` (and, from an annotation file, the
dataset's other fields: ``video_id``, ``text``, ``start``/``end`` of a time window, ...)."""


def list_videos(folder: str) -> List[str]:
    """Every file under ``folder`` (recursively) with a video extension, sorted by path."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'video folder not found: {folder}')
    found = [
        osp.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.lower().endswith(VIDEO_EXTENSIONS)
    ]
    if not found:
        raise FileNotFoundError(f'no video files ({", ".join(VIDEO_EXTENSIONS)}) under {folder}')
    return sorted(found)


def annotation_items(cfg: Config, ann_file: str) -> List[Item]:
    """The samples of ``ann_file`` read by the config's test dataset type (its ``data_root``
    and ``data_prefix`` kept), in dataset order: the gallery ``tools/test.py`` evaluates when
    ``ann_file`` is the config's own. A dataset class with a ``reading`` method (every vtp
    dataset: :meth:`~vtp.datasets.BaseVideoTextDataset.reading`) says which of its files
    ``ann_file`` stands for (MSR-VTT's test set is its ``split_file``); others take it as
    ``ann_file``."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'annotation file not found: {ann_file} (a gallery of texts is a list of strings)'
        )
    dataset_cfg = dict(cfg.test_dataloader.dataset, pipeline=[], test_mode=True)
    kind = dataset_cfg['type']
    reading = getattr(kind if isinstance(kind, type) else DATASETS.get(kind), 'reading', None)
    path = osp.abspath(ann_file)
    dataset_cfg = reading(dataset_cfg, path) if reading else dict(dataset_cfg, ann_file=path)
    dataset = DATASETS.build(dataset_cfg)
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def gallery_items(gallery: Union[UserPath, Sequence[UserPath]], cfg: Config) -> List[Item]:
    """The videos of a gallery: a folder (:func:`list_videos`), a list of video paths, one
    video or picture file (named by its extension), or an annotation file in the format of the
    config's test dataset (:func:`annotation_items`); paths as ``str``, ``bytes`` or
    ``pathlib.Path``; a list, tuple, array or generator of them."""
    if isinstance(gallery, (str, bytes, os.PathLike)):
        path = os.fsdecode(gallery)
        if osp.isdir(path):
            return [dict(filename=video) for video in list_videos(path)]
        if not osp.isfile(path):
            raise FileNotFoundError(f'gallery not found: {path}')
        if path.lower().endswith(VIDEO_EXTENSIONS + IMAGE_EXTENSIONS):
            return [dict(filename=path)]  # one clip or picture, not an annotation file
        return annotation_items(cfg, path)
    videos = [dict(filename=os.fsdecode(video)) for video in gallery]  # arrays, generators too
    if not videos:
        raise ValueError('the gallery is empty')
    return videos


def item_identity(item: Item) -> str:
    """What makes a gallery video the same one: path, time window, size and modification time
    (a video rewritten in place is a different video)."""
    path = item['filename']
    try:
        stat = os.stat(path)
        state = f'{stat.st_size}|{stat.st_mtime_ns}'
    except OSError:
        state = 'unreadable'
    return f'{osp.abspath(path)}|{item.get("start")}|{item.get("end")}|{state}'


def split_pipeline(
    pipeline: Sequence[Union[Dict[str, Any], ConfigDict]],
) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """A test pipeline's transforms, split into those that read the clip and those that read
    text (types in :data:`TEXT_TRANSFORMS`), each list in the pipeline's order."""
    video = [dict(t) for t in pipeline if t['type'] not in TEXT_TRANSFORMS]
    text = [dict(t) for t in pipeline if t['type'] in TEXT_TRANSFORMS]
    if not any(t['type'] == 'TokenizeText' for t in text):
        raise ValueError(
            'the test pipeline has no TokenizeText transform: inference cannot tokenise text'
        )
    return video, text


class VideoItems(Dataset[Dict[str, Any]]):
    """Videos run through the video part of a test pipeline, one item at a time.

    ``items[i]`` gives ``index``, ``item`` and either ``packed`` (the pipeline's output) with
    ``duration`` (seconds) and ``frames`` (the frame indices used), or ``error`` (why the
    file cannot be read: the :class:`SampleError` message, which names the path).

    Args:
        items: the videos.
        pipeline: the video transforms (configs, built from vtp's registry, or callables).
    """

    def __init__(
        self,
        items: Sequence[Item],
        pipeline: Sequence[Union[Dict[str, Any], Callable[[Dict[str, Any]], Any]]],
    ) -> None:
        self.items = list(items)
        self.transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        item = self.items[index]
        results: Dict[str, Any] = {k: v for k, v in item.items() if k != 'text'}
        duration, frames = float('nan'), []
        try:
            for transform in self.transforms:
                output: Optional[Dict[str, Any]] = transform(results)
                if output is None:
                    raise SampleError(item['filename'], 'dropped by the pipeline')
                results = output
                if 'frame_inds' in results:
                    duration = results['total_frames'] / results['avg_fps']
                    frames = np.asarray(results['frame_inds']).tolist()
        except SampleError as e:
            return dict(index=index, item=item, error=str(e))
        return dict(index=index, item=item, packed=results, duration=duration, frames=frames)


def collate_video_items(batch: List[Dict[str, Any]]) -> Dict[str, Any]:
    """A batch of :class:`VideoItems` outputs -> ``{'read': [...], 'failed': [...]}``: the
    readable ones with their packed samples, and the unreadable ones."""
    return dict(read=[b for b in batch if 'packed' in b], failed=[b for b in batch if 'error' in b])
