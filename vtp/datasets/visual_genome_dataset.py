"""Visual Genome region descriptions as image-text pairs."""

import os
import os.path as osp
from typing import Any, Dict, Iterator, Sequence

from vtp.datasets.annotation import AnnotationError, brief, iter_objects, load_json_list, require
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


@DATASETS.register_module()
class VisualGenomeDataset(BaseVideoTextDataset):
    """Visual Genome (https://arxiv.org/abs/1602.07332) ``region_descriptions.json``.

    The file is ``[{id, regions: [{region_id, image_id, phrase, x, y, width, height}]}]``. A
    sample is one image with its region phrases as captions (training draws one per visit,
    with the whole image, as ALBEF and Base-VTP do). The release splits the images over
    ``VG_100K/`` and ``VG_100K_2/``: the folders in ``image_dirs`` are listed once at start-up
    to find each ``{id}.jpg``; an image found in none is read from the first folder, so it is
    reported as missing (and replaced) like any broken file. Images without regions are
    skipped.

    Args:
        image_dirs: sub-folders of ``data_prefix['img']`` holding the images.
        **kwargs: :class:`BaseVideoTextDataset` arguments.
    """

    def __init__(
        self,
        *args: Any,
        image_dirs: Sequence[str] = ('VG_100K', 'VG_100K_2'),
        data_prefix: dict[str, str] = dict(img=''),
        **kwargs: Any,
    ) -> None:
        self.image_dirs = tuple(image_dirs)
        super().__init__(*args, data_prefix=data_prefix, **kwargs)

    def _image_folders(self) -> Dict[str, str]:
        """File name -> the folder (of ``image_dirs``) holding it."""
        folders: Dict[str, str] = {}
        for name in reversed(self.image_dirs):
            folder = osp.join(self.data_prefix['img'], name)
            if osp.isdir(folder):
                folders.update((entry.name, folder) for entry in os.scandir(folder))
        return folders

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path = self.ann_file
        folders = self._image_folders()
        default = osp.join(self.data_prefix['img'], self.image_dirs[0])
        for line, image in iter_objects(load_json_list(path), path, '<entry>'):
            image_id = require(image, 'id', int, path, line)
            regions = image.get('regions')
            if not isinstance(regions, list):
                raise AnnotationError(
                    path, line, 'regions', f'expected a list, got {brief(regions)}'
                )
            phrases = []
            for i, region in enumerate(regions):
                phrase = region.get('phrase') if isinstance(region, dict) else None
                if not isinstance(phrase, str):
                    raise AnnotationError(
                        path,
                        line,
                        f'regions[{i}].phrase',
                        f'missing or not a string: {brief(region)}',
                    )
                phrases.append(phrase.strip())
            if phrases:
                name = f'{image_id}.jpg'
                yield dict(
                    filename=osp.join(folders.get(name, default), name),
                    text=phrases,
                    image_id=image_id,
                )
