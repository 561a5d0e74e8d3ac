"""Evaluation metrics for video-text retrieval and probes."""
from .retrieval_metric import RetrievalMetric, dual_softmax, rank_summary, t2v_ranks, v2t_ranks
from .temporal_order_metric import TemporalOrderMetric

__all__ = [
    'RetrievalMetric', 'TemporalOrderMetric', 'dual_softmax', 'rank_summary', 't2v_ranks',
    'v2t_ranks'
]
