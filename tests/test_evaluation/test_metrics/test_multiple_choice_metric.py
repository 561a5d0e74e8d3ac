"""Tests for ``MultipleChoiceMetric``: accuracy of the argmax option."""

import pytest
import torch

from vtp.registry import METRICS


def test_accuracy_and_predictions():
    metric = METRICS.build(dict(type='MultipleChoiceMetric'))
    samples = [
        dict(question_id=q, label=a, pred_label=p, option_scores=torch.tensor(s))
        for q, a, p, s in ((1, 0, 0, [0.9, 0.1]), (0, 1, 0, [0.6, 0.4]), (2, 1, 1, [0.2, 0.7]))
    ]
    metric.process([], samples)
    assert metric.evaluate(3) == {'mc/acc': pytest.approx(200 / 3)}
    assert [p['question_id'] for p in metric.predictions] == [0, 1, 2]
    assert metric.predictions[0] == dict(
        question_id=0, answer=1, prediction=0, correct=False, missing=False, scores=[0.6, 0.4]
    )


def test_a_clip_that_could_not_be_read_is_wrong():
    metric = METRICS.build(dict(type='MultipleChoiceMetric'))
    metric.process(
        [],
        [
            dict(
                question_id=0,
                label=1,
                pred_label=1,
                missing=True,
                option_scores=torch.tensor([0.1, 0.9]),
            )
        ],
    )
    assert metric.evaluate(1) == {'mc/acc': 0.0}
