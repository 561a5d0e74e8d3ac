"""Multiple-choice accuracy: the share of clips whose true option scores highest."""

from typing import Any, Dict, List, Optional

from vtp.evaluation.metrics.base_question_metric import BaseQuestionMetric, verdict
from vtp.registry import METRICS
from vtp.structures import VideoTextDataSample


@METRICS.register_module()
class MultipleChoiceMetric(BaseQuestionMetric):
    """Accuracy of the argmax over each clip's options (``pred_label`` vs ``label``, the true
    option); a clip that could not be read (``missing``) counts as wrong, and so does a true
    option tied with another for the best score (see :func:`verdict`). A NaN or infinite
    option score stops evaluation.

    Key: ``mc/acc`` (percent; chance is 100 / number of options). After evaluation,
    ``predictions`` lists ``{question_id, answer, prediction, missing, correct, scores}``
    (``answer``: the true option's index) for ``tools/test.py --out``.

    Arguments: those of :class:`BaseQuestionMetric`.
    """

    default_prefix: Optional[str] = 'mc'

    def result(self, sample: VideoTextDataSample) -> Dict[str, Any]:
        """The clip's question id, true option, chosen option and option scores."""
        right, finite = verdict(int(sample.label), int(sample.pred_label), sample.option_scores)
        return dict(
            question_id=sample.question_id,
            answer=int(sample.label),
            prediction=int(sample.pred_label),
            missing=sample.get('missing', False),
            scores=[round(float(s), 6) for s in sample.option_scores],
            right=right,
            finite=finite,
        )

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        if not results:
            raise ValueError(f'{type(self).__name__} got no results to evaluate')
        self.check_finite(results)
        for r in results:
            r['correct'] = r.pop('right') and not r['missing']
        self.predictions = sorted(results, key=lambda r: r['question_id'])
        return {'acc': 100.0 * sum(r['correct'] for r in results) / len(results)}
