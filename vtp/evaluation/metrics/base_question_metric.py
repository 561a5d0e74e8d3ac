"""Base of the question-answering metrics: one stored result per question, kept predictions."""

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from vtp.structures import VideoTextDataSample


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

    @abstractmethod
    def result(self, sample: VideoTextDataSample) -> Dict[str, Any]:
        """What ``compute_metrics`` needs of one question (plain values: results are gathered
        across ranks)."""
