"""Answer open-ended questions about a video: ``VideoQAInferencer(...)(video, question)``."""

import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

from mmengine.config import Config
from torch import nn

from vtp.apis.video_items import Item
from vtp.apis.video_question_inferencer import Texts, VideoQuestionInferencer
from vtp.datasets.video_qa_dataset import load_answer_list
from vtp.structures import VideoTextDataSample
from vtp.utils.checks import require_int


class VideoQAInferencer(VideoQuestionInferencer):
    """Answer questions about videos with a QA model (``test_cfg.task='qa'``), from the answer
    vocabulary it was trained on.

    Example::

        qa = VideoQAInferencer('configs/videoqa/moving_shapes.py',
                               'work_dirs/moving_shapes_qa/iter_300.pth')
        qa('data/moving_shapes/videos/test/00003.mp4',
           ['what colour is the shape?', 'which way does it move?'], topk=3)
        # [{'filename': ..., 'question': 'what colour is the shape?', 'answer': 'red',
        #   'score': 0.97, 'topk': [{'answer': 'red', 'score': 0.97}, ...]}, ...]

    Args:
        model: config file or ``Config``, or a built model (see :class:`VideoTextInferencer`).
        weights: the checkpoint.
        answers: the answer vocabulary, in the answer head's class order: a list, or a JSON
            list file; the config's test dataset's ``answer_list`` (under its ``data_root``)
            when None.
        **kwargs: :class:`VideoTextInferencer` arguments.

    Call arguments: ``inputs`` and ``texts`` (the questions: one string or a list) as in
    :meth:`~VideoQuestionInferencer.queries`, ``topk`` (answers listed per question, default
    5), ``batch_size``, ``return_datasamples``.
    """

    task = 'qa'
    text_name = 'question'
    postprocess_kwargs = {'topk'}

    def __init__(
        self,
        model: Union[str, Config, nn.Module],
        weights: Optional[str] = None,
        answers: Optional[Union[str, Sequence[str]]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, weights, **kwargs)
        if answers is None:
            dataset = self.cfg.test_dataloader.dataset
            if not dataset.get('answer_list'):
                raise ValueError(
                    f'{self.cfg.filename}: its test dataset has no answer_list: give `answers`'
                )
            answers = osp.join(dataset.get('data_root') or '', dataset.answer_list)
        self.answers_source = answers if isinstance(answers, str) else 'the given answers'
        self.answers = list(load_answer_list(answers) if isinstance(answers, str) else answers)
        if not self.answers:
            raise ValueError(f'{self.answers_source}: the answer vocabulary is empty')

    def split_texts(self, texts: Texts) -> List[Any]:
        """One question or a list of them, each a query."""
        return [texts] if isinstance(texts, str) else list(texts)

    def check_text(self, text: Any) -> Optional[str]:
        if not isinstance(text, str):
            return f'a question must be a string, got {text!r}'
        return None if text.strip() else 'the question is empty'

    def result(
        self, query: Item, sample: VideoTextDataSample, topk: int = 5, **kwargs: Any
    ) -> Dict[str, Any]:
        """``{'filename', 'question', 'answer', 'score', 'topk'}``: the predicted answer, its
        probability, and the ``topk`` most probable answers ``{'answer', 'score'}``, best
        first (``question_id`` too when the question comes from an annotation file)."""
        require_int('topk', topk, 1)
        scores = sample.answer_scores  # (K,) every answer's probability
        if len(scores) != len(self.answers):
            raise ValueError(
                f'the answer head scores {len(scores)} answers but {self.answers_source} lists '
                f'{len(self.answers)}: give the answer list the model was trained with'
            )
        best = scores.topk(min(topk, len(scores)))
        return dict(
            filename=query['filename'],
            **({'question_id': query['question_id']} if 'question_id' in query else {}),
            question=query['text'],
            answer=self.answers[int(sample.pred_label)],
            score=float(sample.pred_score),
            topk=[
                dict(answer=self.answers[i], score=s)
                for s, i in zip(best.values.tolist(), best.indices.tolist())
            ],
        )
