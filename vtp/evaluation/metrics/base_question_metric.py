"""Base of the question-answering metrics: one stored result per question, kept predictions."""

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.evaluator import BaseMetric

from vtp.structures import VideoTextDataSample


def verdict(label: int, pred_label: int, scores: Optional[torch.Tensor]) -> Tuple[bool, bool]:
    """Whether one question is answered right, and whether its scores are all finite.

    Right means ``pred_label`` is ``label`` (>= 0) and, where the score of every choice is
    known, ``label``'s score is strictly above every other choice's: a tie is wrong, so a
    model that scores every choice alike answers nothing right (rather than every question
    whose answer happens to come first, where ``argmax`` lands).

    Args:
        label: the true choice; -1 when it is not among the choices (always wrong).
        pred_label: the chosen one.
        scores: (K,) every choice's score, or None when the model gives only its choice.

    Returns:
        ``(right, finite)``; a question with a NaN or infinite score is never right.
    """
    if scores is None:
        return label >= 0 and pred_label == label, True
    if scores.dim() != 1:  # a (1, K) row would compare the row with no other choice
        raise ValueError(f'choice scores must have shape (K,), got {tuple(scores.shape)}')
    scores = scores.detach().float().cpu()
    if not bool(torch.isfinite(scores).all()):
        return False, False
    if not 0 <= label < len(scores) or pred_label != label:
        return False, True
    others = torch.cat([scores[:label], scores[label + 1 :]])
    return bool((scores[label] > others).all()), True


class BaseQuestionMetric(BaseMetric):
    """A metric over test questions that keeps one prediction per question after evaluation.

    :meth:`process` stores :meth:`result` of every data sample; the subclass's
    ``compute_metrics`` scores the gathered results and fills ``predictions`` (one dict per
    question), which ``tools/test.py`` writes with ``--out`` and draws with ``--show-dir``.

    Args:
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: metric key prefix; ``default_prefix`` when None.
    """

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.predictions: List[Dict[str, Any]] = []

    def process(self, data_batch: object, data_samples: Sequence[Dict[str, Any]]) -> None:
        """Store :meth:`result` of each data sample."""
        for sample in map(VideoTextDataSample.from_dict, data_samples):
            self.results.append(self.result(sample))

    def check_finite(self, results: List[Dict[str, Any]]) -> None:
        """Drop each result's ``finite`` flag (from :func:`verdict`); stop when a question
        whose clip was read has a NaN or infinite score (``argmax`` would pick its first
        choice, counting as right wherever that is the answer)."""
        bad = [r['question_id'] for r in results if not r.pop('finite') and not r['missing']]
        if bad:
            raise ValueError(
                f'{type(self).__name__}: {len(bad)} of {len(results)} questions have NaN or '
                f'infinite scores (question ids {bad[:5]}{" ..." if len(bad) > 5 else ""}): '
                'the model or its weights are broken; refusing to score them'
            )

    @abstractmethod
    def result(self, sample: VideoTextDataSample) -> Dict[str, Any]:
        """What ``compute_metrics`` needs of one question (plain values: results are gathered
        across ranks)."""
