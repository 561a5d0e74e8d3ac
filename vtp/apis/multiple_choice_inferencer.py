"""Pick the option that fits a video: ``MultipleChoiceInferencer(...)('a.mp4', [option, ...])``."""

from typing import Any, Dict, List, Optional

from vtp.apis.video_items import Item
from vtp.apis.video_question_inferencer import Texts, VideoQuestionInferencer
from vtp.structures import VideoTextDataSample


class MultipleChoiceInferencer(VideoQuestionInferencer):
    """Choose, for each video, the best of its candidate captions or answers with a
    multiple-choice model (``test_cfg.task='multiple_choice'``: each option scored by the
    weights of ``test_cfg.option_weights``).

    Example::

        mc = MultipleChoiceInferencer('configs/multiple_choice/moving_shapes.py',
                                      'work_dirs/moving_shapes/iter_1500.pth')
        mc('data/moving_shapes/videos/test/00003.mp4',
           ['a red circle moves left', 'a red circle moves right', 'a blue circle moves left'])
        # [{'filename': ..., 'options': [...], 'choice': 0,
        #   'answer': 'a red circle moves left', 'scores': [4.1, -2.3, 0.7]}]

    Args: those of :class:`~vtp.apis.video_question_inferencer.VideoQuestionInferencer`.

    Call arguments: ``inputs`` and ``texts`` (the options: a list of strings, asked of every
    video) as in :meth:`~VideoQuestionInferencer.queries` (pairs are ``(video, options)``),
    ``batch_size``, ``return_datasamples``.
    """

    task = 'multiple_choice'
    text_name = 'options'

    def split_texts(self, texts: Texts) -> List[Any]:
        """A list of options: one query."""
        if isinstance(texts, str):
            raise ValueError(f'options must be a list of strings, got the string {texts!r}')
        return [list(texts)]

    def check_text(self, text: Any) -> Optional[str]:
        if not isinstance(text, (list, tuple)) or not text:
            return f'the option list is empty or not a list: {text!r}'
        wrong = [option for option in text if not isinstance(option, str) or not option.strip()]
        return f'options must be non-empty strings, got {wrong[0]!r}' if wrong else None

    def result(self, query: Item, sample: VideoTextDataSample, **kwargs: Any) -> Dict[str, Any]:
        """``{'filename', 'options', 'choice', 'answer', 'scores'}``: the index of the chosen
        option, its text, and every option's score in order (``question_id`` too when the
        options come from an annotation file)."""
        options = list(query['text'])
        return dict(
            filename=query['filename'],
            **({'question_id': query['question_id']} if 'question_id' in query else {}),
            options=options,
            choice=int(sample.pred_label),
            answer=options[int(sample.pred_label)],
            scores=sample.option_scores.tolist(),
        )
