"""Open-ended video question answering (MSRVTT-QA, MSVD-QA) with a fixed answer vocabulary."""

import os.path as osp
from typing import Any, Dict, Iterator, Optional, Union

from vtp.datasets.annotation import (
    AnnotationError,
    brief,
    check_unique,
    is_digits,
    iter_lines,
    iter_objects,
    load_json_list,
    require,
)
from vtp.datasets.base_video_text_dataset import BaseVideoTextDataset
from vtp.registry import DATASETS


def load_answer_list(path: str) -> Dict[str, int]:
    """Answer -> class index, from a JSON list of answers (``build_answer_vocab.py``)."""
    labels: Dict[str, int] = {}
    for line, answer in load_json_list(path):
        if not isinstance(answer, str):
            raise AnnotationError(path, line, '<answer>', f'expected a string, got {brief(answer)}')
        if answer in labels:
            raise AnnotationError(path, line, '<answer>', f'{brief(answer)} is listed twice')
        labels[answer] = len(labels)
    return labels


@DATASETS.register_module()
class VideoQADataset(BaseVideoTextDataset):
    """``[{question, answer, video_id, id}]`` as MSRVTT-QA and MSVD-QA release them.

    Answers are classes of the vocabulary in ``answer_list`` (the top K training answers,
    built by ``tools/data/videoqa/build_answer_vocab.py``), also given to metrics as
    ``metainfo['answers']``; a question whose answer is not in it keeps ``label = -1``:
    ignored by the training loss, and always wrong at test time, so accuracy is over *all*
    questions. ``question_type`` is the annotation's ``type`` when it
    has one, else the question's first word (what, who, how, when, where, ...), as papers
    break accuracy down.

    Videos are ``{data_prefix['video']}/{video_template.format(name)}`` where ``name`` is the
    ``video_id`` (MSRVTT-QA: 7 -> ``video7.mp4``), or, with ``mapping_file`` (MSVD-QA's
    ``youtube_mapping.txt``, lines ``<youtube id> vid<N>``), the YouTube id of ``vid<N>``.
    A question ``id`` given twice, and a ``vid<N>`` or a name given twice in ``mapping_file``,
    are errors (predictions are keyed by question id; a doubled mapping line is a wrong one).

    Args:
        answer_list: JSON list of answers, relative to ``data_root``.
        video_template: file name of a video from its name.
        mapping_file: optional ``<name> vid<N>`` lines, relative to ``data_root``.
        **kwargs: :class:`BaseVideoTextDataset` arguments.
    """

    extra_files = ('answer_list', 'mapping_file')

    def __init__(
        self,
        *args: Any,
        answer_list: str,
        video_template: str = 'video{}.mp4',
        mapping_file: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        self.answer_list = answer_list
        self.video_template = video_template
        self.mapping_file = mapping_file
        super().__init__(*args, **kwargs)

    def _names(self) -> Optional[Dict[int, str]]:
        if not self.mapping_file:
            return None
        path = self.mapping_file
        names: Dict[int, str] = {}
        lines: Dict[Union[int, str], int] = {}  # vid number and name -> line
        for line, text in iter_lines(path):
            fields = text.split()
            if len(fields) != 2 or not fields[1].startswith('vid') or not is_digits(fields[1][3:]):
                raise AnnotationError(
                    path, line, '<line>', f'expected "<youtube id> vid<N>", got {brief(text)}'
                )
            number, name = int(fields[1][3:]), fields[0]
            for key, field in ((number, 'vid<N>'), (name, '<youtube id>')):
                check_unique(lines, key, path, line, field)
            names[number] = name
        return names

    def parse_annotations(self) -> Iterator[dict[str, Any]]:
        path = self.ann_file
        labels = load_answer_list(self.answer_list)
        self._metainfo['answers'] = list(labels)
        names = self._names()
        question_lines: Dict[str, int] = {}  # 7 and '7' are one id
        for line, item in iter_objects(load_json_list(path), path, '<entry>'):
            question = require(item, 'question', str, path, line, allow_empty=True).strip()
            answer = require(item, 'answer', str, path, line, allow_empty=True).strip()
            video_id = require(item, 'video_id', (int, str), path, line)
            question_id = require(item, 'id', (int, str), path, line)
            check_unique(question_lines, str(question_id), path, line, 'id', shown=question_id)
            name = video_id
            if names is not None:
                if video_id not in names:
                    raise AnnotationError(
                        path, line, 'video_id', f'{video_id!r} is not in {self.mapping_file}'
                    )
                name = names[video_id]
            kind = item.get('type')
            if kind is not None and not isinstance(kind, str):
                raise AnnotationError(path, line, 'type', f'expected a string, got {brief(kind)}')
            kind = kind or (question.split()[0].lower() if question else '')
            yield dict(
                filename=osp.join(self.data_prefix['video'], self.video_template.format(name)),
                text=question,
                answer=answer,
                label=labels.get(answer, -1),
                question_id=question_id,
                question_type=kind,
                video_id=str(video_id),
            )
