"""Open-ended video QA accuracy, over all questions and by question type."""

import math
from collections import defaultdict
from typing import Any, Dict, List, Optional

from vtp.evaluation.metrics.base_question_metric import BaseQuestionMetric, verdict
from vtp.registry import METRICS
from vtp.structures import VideoTextDataSample


@METRICS.register_module()
class VideoQAMetric(BaseQuestionMetric):
    """Top-1 accuracy over *all* test questions: a question whose answer is outside the answer
    vocabulary (``label = -1``) counts as wrong, as VindLU and mmaction2 count it (VIOLET
    dropped such questions, which inflates accuracy); so does a question whose clip could not be
    read (``missing``), and one whose answer ties another for the best score when the model
    gives every answer's score (``answer_scores``, see :func:`verdict`). A NaN or infinite
    score stops evaluation. Also the accuracy of each question type
    (``question_type``: what, who, how, ...; the first word unless the annotation names it).

    Keys: ``qa/acc`` and ``qa/acc_<type>`` (percent), ``qa/num_<type>`` (questions). After
    evaluation, ``predictions`` lists ``{question_id, question, answer, prediction, correct}``
    for ``tools/test.py --out``; answers are named from the dataset's ``metainfo['answers']``
    (``VideoQADataset``).

    Arguments: those of :class:`BaseQuestionMetric`.
    """

    default_prefix: Optional[str] = 'qa'

    def result(self, sample: VideoTextDataSample) -> Dict[str, Any]:
        """The question's id, type, text, answer, label and predicted label."""
        label, pred_label = int(sample.label), int(sample.pred_label)
        scores = sample.get('answer_scores')
        right, finite = verdict(label, pred_label, scores)
        if scores is None and 'pred_score' in sample:
            finite = math.isfinite(sample.pred_score)
        return dict(
            question_id=sample.question_id,
            question_type=sample.question_type,
            question=sample.text,
            answer=sample.answer,
            label=label,
            pred_label=pred_label,
            missing=sample.get('missing', False),
            right=right and finite,
            finite=finite,
        )

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        if not results:
            raise ValueError(f'{type(self).__name__} got no results to evaluate')
        answers = (self.dataset_meta or {}).get('answers')
        if answers is None:
            raise ValueError(
                f'{type(self).__name__} needs the answer vocabulary in the '
                "dataset's metainfo['answers'] (VideoQADataset provides it)"
            )
        largest = max(r['pred_label'] for r in results)
        if largest >= len(answers):
            raise ValueError(
                f'the model predicts class {largest} but the answer list has '
                f"{len(answers)} answers: set the answer head's num_answers "
                f'to {len(answers)}'
            )
        self.check_finite(results)
        by_type = defaultdict(list)
        for r in results:
            r['correct'] = r.pop('right') and not r['missing']
            by_type[r['question_type']].append(r['correct'])
        metrics = {'acc': 100.0 * sum(r['correct'] for r in results) / len(results)}
        for kind, correct in sorted(by_type.items()):
            metrics[f'acc_{kind}'] = 100.0 * sum(correct) / len(correct)
            metrics[f'num_{kind}'] = float(len(correct))
        self.predictions = [
            dict(
                question_id=r['question_id'],
                question=r['question'],
                answer=r['answer'],
                prediction=answers[r['pred_label']],
                correct=r['correct'],
                missing=r['missing'],
            )
            for r in results
        ]
        return metrics
