"""COCO Captions image-text pairs, from the 2017 json or the Karpathy split json."""

import os.path as osp
from typing import Any, Dict, Iterator, List, Sequence, Tuple

from vtp.datasets.annotation import (
    AnnotationError,
    brief,
    check_unique,
    iter_objects,
    load_json_object,
    require,
)
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


@DATASETS.register_module()
class CocoCaptionDataset(BaseVideoTextDataset):
    """COCO Captions (https://arxiv.org/abs/1504.00325) as released, one sample per image.

    Two layouts are read, told apart by their keys:

    - ``annotations/captions_{train,val}2017.json``: ``images[{id, file_name}]`` and
      ``annotations[{image_id, caption}]``; images at ``{data_prefix['img']}/{file_name}``.
    - Karpathy's ``dataset_coco.json``: ``images[{filepath, filename, split, cocoid,
      sentences[{raw}]}]``; images at ``{data_prefix['img']}/{filepath}/{filename}``, only
      those whose ``split`` is in ``splits``.

    A sample holds all captions of its image (training draws one per visit). Pair it with an
    image pipeline (``LoadImage``): the image enters the video encoder as a static clip.
    Several ``annotations`` of one ``image_id`` are its captions; two ``images`` with one
    ``id`` (two kept Karpathy images with one ``cocoid``) are an error, since the captions of
    one would be paired with the file of the other.

    Args:
        splits: Karpathy splits to keep (``train``, ``restval``, ``val``, ``test``).
        **kwargs: :class:`BaseVideoTextDataset` arguments.
    """

    def __init__(
        self,
        *args: Any,
        splits: Sequence[str] = ('train', 'restval'),
        data_prefix: dict[str, str] = dict(img=''),
        **kwargs: Any,
    ) -> None:
        self.splits = tuple(splits)
        super().__init__(*args, data_prefix=data_prefix, **kwargs)

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path = self.ann_file
        members = {
            key: (line, value)
            for line, key, value in load_json_object(path, item_lines=('images', 'annotations'))
        }
        if 'images' not in members:
            raise AnnotationError(path, 1, 'images', 'missing')
        if 'annotations' in members:
            return self._parse_2017(members)
        return self._parse_karpathy(members['images'])

    def _parse_2017(self, members: Dict[str, Any]) -> Iterator[dict[str, Any]]:
        path, prefix = self.ann_file, self.data_prefix['img']
        files: Dict[int, str] = {}
        lines: Dict[int, int] = {}
        for line, image in iter_objects(members['images'][1], path, 'images', members['images'][0]):
            image_id = require(image, 'id', int, path, line)
            check_unique(lines, image_id, path, line, 'id')
            files[image_id] = require(image, 'file_name', str, path, line)
        captions: Dict[int, List[str]] = {}
        for line, ann in iter_objects(
            members['annotations'][1], path, 'annotations', members['annotations'][0]
        ):
            image_id = require(ann, 'image_id', int, path, line)
            caption = require(ann, 'caption', str, path, line, allow_empty=True)
            if image_id not in files:
                raise AnnotationError(path, line, 'image_id', f'{image_id} is not in images')
            captions.setdefault(image_id, []).append(caption.strip())
        for image_id, texts in captions.items():
            yield dict(filename=osp.join(prefix, files[image_id]), text=texts, image_id=image_id)

    def _parse_karpathy(self, images: Tuple[int, List[Any]]) -> Iterator[dict[str, Any]]:
        path, prefix = self.ann_file, self.data_prefix['img']
        lines: Dict[int, int] = {}
        for line, image in iter_objects(images[1], path, 'images', images[0]):
            if require(image, 'split', str, path, line) not in self.splits:
                continue
            image_id = require(image, 'cocoid', int, path, line)
            check_unique(lines, image_id, path, line, 'cocoid')
            sentences = require(image, 'sentences', list, path, line)
            texts = []
            for i, sentence in enumerate(sentences):
                if not isinstance(sentence, dict) or not isinstance(sentence.get('raw'), str):
                    raise AnnotationError(
                        path,
                        line,
                        f'sentences[{i}].raw',
                        f'missing or not a string: {brief(sentence)}',
                    )
                texts.append(sentence['raw'].strip())
            yield dict(
                filename=osp.join(
                    prefix,
                    require(image, 'filepath', str, path, line),
                    require(image, 'filename', str, path, line),
                ),
                text=texts,
                image_id=image_id,
            )
