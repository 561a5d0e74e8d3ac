"""Tests for ``BaseQuestionMetric``: one stored result per data sample, predictions kept."""

from typing import Any, Dict, List

import pytest
import torch

from vtp.evaluation.metrics import BaseQuestionMetric, MultipleChoiceMetric, VideoQAMetric
from vtp.evaluation.metrics.base_question_metric import verdict
from vtp.structures import VideoTextDataSample


class _IdMetric(BaseQuestionMetric):
    default_prefix = 'ids'

    def result(self, sample: VideoTextDataSample) -> Dict[str, Any]:
        return dict(question_id=sample.question_id, missing=sample.get('missing', False))

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        self.predictions = results
        return {'read': float(sum(not r['missing'] for r in results))}


def test_process_stores_one_result_per_sample_across_batches():
    metric = _IdMetric()
    assert metric.predictions == []
    metric.process([], [dict(question_id=3), dict(question_id=1, missing=True)])
    metric.process([], [dict(question_id=2)])
    assert metric.results == [
        dict(question_id=3, missing=False),
        dict(question_id=1, missing=True),
        dict(question_id=2, missing=False),
    ]
    assert metric.evaluate(3) == {'ids/read': 2.0}
    assert [p['question_id'] for p in metric.predictions] == [3, 1, 2]


def test_prefix_overrides_the_default():
    metric = _IdMetric(prefix='mine')
    metric.process([], [dict(question_id=0)])
    assert metric.evaluate(1) == {'mine/read': 1.0}


def test_a_subclass_must_say_what_it_stores():
    class NoResult(BaseQuestionMetric):
        def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
            return {}

    with pytest.raises(TypeError, match='result'):
        NoResult()


def test_the_question_metrics_are_question_metrics():
    assert issubclass(MultipleChoiceMetric, BaseQuestionMetric)
    assert issubclass(VideoQAMetric, BaseQuestionMetric)


def test_verdict_needs_one_score_per_choice():
    """All choices tied is wrong; as a (1, K) row it compared the row with no other choice."""
    assert verdict(0, 0, torch.zeros(4)) == (False, True)
    with pytest.raises(ValueError, match=r'choice scores must have shape \(K,\), got \(1, 4\)'):
        verdict(0, 0, torch.zeros(1, 4))
