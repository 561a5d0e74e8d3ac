"""Evaluation metrics for video-text retrieval and probes."""

from .base_question_metric import BaseQuestionMetric
from .multiple_choice_metric import MultipleChoiceMetric
from .retrieval_metric import (
    RetrievalMetric,
    dual_softmax,
    exclude_missing,
    rank_summary,
    retrieval_summary,
    t2v_ranks,
    v2t_ranks,
)
from .temporal_order_metric import TemporalOrderMetric
from .video_qa_metric import VideoQAMetric

__all__ = [
    'BaseQuestionMetric',
    'MultipleChoiceMetric',
    'RetrievalMetric',
    'TemporalOrderMetric',
    'VideoQAMetric',
    'dual_softmax',
    'exclude_missing',
    'rank_summary',
    'retrieval_summary',
    't2v_ranks',
    'v2t_ranks',
]
