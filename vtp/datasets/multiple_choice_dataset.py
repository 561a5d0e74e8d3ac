"""Multiple-choice video QA (MSRVTT-MC): pick the caption of a clip among five options."""

import os.path as osp
from typing import Any, Iterator

from vtp.datasets.annotation import AnnotationError, brief, iter_objects, load_json_list, require
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


@DATASETS.register_module()
class MultipleChoiceDataset(BaseVideoTextDataset):
    """``[{video, caption: [option, ...], answer: index}]``, the VindLU / mmaction2 layout of
    MSRVTT-MC (``msrvtt_mc_test.json``: 2,990 clips, 5 options each).

    A sample is a clip with all its options as texts (``text``, in order) and the index of the
    true one (``label``, the annotation's ``answer``); ``question_id`` is the entry's position
    in the file. Videos are read from ``{data_prefix['video']}/{video}``. Every option must be
    a non-empty string, and an entry needs at least two different options.
    """

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path = self.ann_file
        for index, (line, item) in enumerate(iter_objects(load_json_list(path), path, '<entry>')):
            video = require(item, 'video', str, path, line)
            options = require(item, 'caption', list, path, line)
            answer = require(item, 'answer', int, path, line)
            for i, option in enumerate(options):
                if not isinstance(option, str) or not option.strip():
                    raise AnnotationError(
                        path,
                        line,
                        f'caption[{i}]',
                        f'expected a non-empty string, got {brief(option)}',
                    )
            distinct = len({o.strip() for o in options})
            if distinct < 2:
                raise AnnotationError(
                    path,
                    line,
                    'caption',
                    f'{len(options)} options, {distinct} distinct: a '
                    'question needs at least 2 different options (one is always "right")',
                )
            if not 0 <= answer < len(options):
                raise AnnotationError(
                    path, line, 'answer', f'{answer} is not an index of the {len(options)} options'
                )
            yield dict(
                filename=osp.join(self.data_prefix['video'], video),
                text=[o.strip() for o in options],
                label=answer,
                question_id=index,
                video_id=osp.splitext(video)[0],
            )
