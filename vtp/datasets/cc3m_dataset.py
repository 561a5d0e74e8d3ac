"""Conceptual Captions 3M image-text pairs, as released and as downloaded by img2dataset."""

import itertools
import math
import os
import os.path as osp
from typing import Any, Dict, Iterator, Optional

from mmengine.logging import MMLogger

from vtp.datasets.annotation import AnnotationError, brief, is_digits, read_text
from vtp.datasets.annotation_table import iter_table
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS
from vtp.utils.checks import require_int

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.webp')
CHECKED_SHARDS, CHECKED_PER_SHARD = 16, 3  # img2dataset captions compared with the TSV's


@DATASETS.register_module()
class CC3MDataset(BaseVideoTextDataset):
    """CC3M (https://aclanthology.org/P18-1238/) in the form users end up with.

    The release is a TSV without header, ``caption<TAB>url`` per line
    (``Train_GCC-training.tsv``; a first line ``caption<TAB>url`` is taken as a header; quotes
    are text: a row is one line), and users download the images with img2dataset
    (``output_format=files``), which writes ``{shard}/{key}.jpg`` with ``{key}.txt`` (the
    caption) beside it, where ``key`` is the image's row number in the TSV, zero-padded.

    - With ``ann_file`` (the TSV), the download folder ``data_prefix['img']`` is listed once
      and each downloaded key is joined with its TSV row (the caption comes from the TSV).
      Rows whose image was never downloaded (dead links) are left out, and one line says how
      many.
    - Without ``ann_file``, the img2dataset folder alone is read: every image with the
      caption in its ``.txt`` file.

    The join holds only if ``samples_per_shard`` is the download's: a key whose index in its
    shard is ``samples_per_shard`` or more, or two images of one row (``x.jpg`` beside
    ``x.png``), stop with an error; so does a ``.txt`` caption that differs from the TSV's,
    compared for the first images of the first shards (quotes and runs of white space aside).

    Tar shards (``output_format=webdataset``) must be extracted first.

    Args:
        samples_per_shard: img2dataset's ``number_sample_per_shard`` of the download (its
            default, 10000, makes keys equal to row numbers).
        **kwargs: :class:`BaseVideoTextDataset` arguments (``data_prefix=dict(img=...)``).
    """

    def __init__(
        self,
        *args: Any,
        ann_file: str = '',
        data_prefix: dict[str, str] = dict(img=''),
        samples_per_shard: int = 10000,
        **kwargs: Any,
    ) -> None:
        self.samples_per_shard = require_int('CC3MDataset: samples_per_shard', samples_per_shard, 1)
        super().__init__(*args, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def row_of(self, key: int) -> int:
        """TSV data row of img2dataset key ``key``: img2dataset numbers the images of shard
        ``s`` from ``s * 10**ceil(log10(samples_per_shard))``, so keys and rows differ when
        ``samples_per_shard`` is not a power of ten."""
        stride: int = 10 ** math.ceil(math.log10(self.samples_per_shard))
        shard, index = divmod(key, stride)
        return shard * self.samples_per_shard + index

    def _downloaded(self) -> Dict[int, str]:
        """TSV data row -> image path, from a listing of the download folder."""
        root = self.data_prefix['img']
        if not osp.isdir(root):
            raise FileNotFoundError(f'CC3MDataset: image folder {root!r} does not exist')
        images: Dict[int, str] = {}
        stride = 10 ** math.ceil(math.log10(self.samples_per_shard))
        setting = (
            f'samples_per_shard={self.samples_per_shard}: set it to the number_sample_per_shard '
            'the images were downloaded with'
        )
        folders = [root] + sorted(e.path for e in os.scandir(root) if e.is_dir())
        for folder in folders:
            for entry in os.scandir(folder):
                stem, ext = osp.splitext(entry.name)
                if ext.lower() not in IMAGE_EXTENSIONS or not is_digits(stem):
                    continue
                index = int(stem) % stride
                if index >= self.samples_per_shard:
                    raise ValueError(
                        f'CC3MDataset: {entry.path} is image {index} of its shard, '
                        f'past the shard size {setting}'
                    )
                row = self.row_of(int(stem))
                if row in images:
                    raise ValueError(
                        f'CC3MDataset: {images[row]} and {entry.path} are both TSV row {row} '
                        f'(with {setting}; or remove one)'
                    )
                images[row] = entry.path
        return images

    def _captions_to_check(self, images: Dict[int, str]) -> Dict[int, str]:
        """TSV row -> img2dataset caption file, for the first ``CHECKED_PER_SHARD`` images of
        each of the first ``CHECKED_SHARDS`` shards that have one: with a wrong
        ``samples_per_shard`` the second shard on is joined to other rows."""
        checks: Dict[int, str] = {}
        for shard in sorted({row // self.samples_per_shard for row in images})[:CHECKED_SHARDS]:
            start = shard * self.samples_per_shard
            rows = (r for r in range(start, start + self.samples_per_shard) if r in images)
            for row in itertools.islice(rows, CHECKED_PER_SHARD):
                caption_file = _caption_file(images[row])
                if caption_file is not None:
                    checks[row] = caption_file
        return checks

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        images = self._downloaded()
        if not self.ann_file:
            for row, image in sorted(images.items()):
                yield dict(filename=image, text=_read_caption(image), image_id=row)
            return
        path, rows, joined = self.ann_file, 0, 0
        checks = self._captions_to_check(images)
        for line, (caption, _url) in iter_table(
            path, ('caption', 'url'), delimiter='\t', header=False, quotes=False
        ):
            row, rows = rows, rows + 1  # data rows from 0, as img2dataset counts them
            if row in checks:
                downloaded = read_text(checks[row])
                if _comparable(downloaded) != _comparable(caption):
                    raise AnnotationError(
                        path,
                        line,
                        'caption',
                        f'row {row} is {brief(caption)}, but img2dataset wrote '
                        f'{brief(downloaded)} in {checks[row]}: the images were downloaded '
                        f'with another number_sample_per_shard than samples_per_shard='
                        f'{self.samples_per_shard}, or from another TSV',
                    )
            if row in images:
                joined += 1
                yield dict(filename=images[row], text=caption.strip(), image_id=row)
        MMLogger.get_current_instance().info(
            f'CC3MDataset: {joined} of {rows} rows of {path} have a downloaded image'
        )


def _comparable(caption: str) -> str:
    """``caption`` without quotes (img2dataset parses the TSV with quoting, vtp reads quotes
    as text) and with runs of white space as one space."""
    return ' '.join(caption.replace('"', ' ').split())


def _caption_file(image: str) -> Optional[str]:
    """The caption file img2dataset wrote beside ``image``; None if there is none."""
    caption_file = osp.splitext(image)[0] + '.txt'
    return caption_file if osp.isfile(caption_file) else None


def _read_caption(image: str) -> str:
    """The caption img2dataset wrote beside ``image`` (empty if none: replaced when read)."""
    caption_file = _caption_file(image)
    return read_text(caption_file).strip() if caption_file is not None else ''
