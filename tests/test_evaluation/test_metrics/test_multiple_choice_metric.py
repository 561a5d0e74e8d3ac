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


@pytest.mark.parametrize('answer', [0, 3])
def test_tied_options_are_wrong_wherever_the_answer_is(answer):
    """Constant option scores put argmax on option 0: counted as right, a collapsed model
    would score the share of questions whose answer comes first."""
    metric = METRICS.build(dict(type='MultipleChoiceMetric'))
    samples = [
        dict(question_id=0, label=answer, pred_label=0, option_scores=torch.zeros(5)),
        dict(
            question_id=1,
            label=answer,
            pred_label=answer,
            option_scores=torch.eye(5)[answer] + torch.eye(5)[(answer + 1) % 5],  # a tie
        ),
        dict(question_id=2, label=answer, pred_label=answer, option_scores=torch.eye(5)[answer]),
    ]
    metric.process([], samples)
    assert metric.evaluate(3) == {'mc/acc': pytest.approx(100 / 3)}
    assert [p['correct'] for p in metric.predictions] == [False, False, True]


def test_nan_option_scores_stop_evaluation_unless_the_clip_is_missing():
    metric = METRICS.build(dict(type='MultipleChoiceMetric'))
    nan = torch.tensor([float('nan'), 0.0])
    samples = [
        dict(question_id=q, label=0, pred_label=0, option_scores=nan, missing=q == 2)
        for q in range(3)
    ]
    metric.process([], samples)
    with pytest.raises(ValueError, match=r'2 of 3 questions have NaN or infinite scores'):
        metric.evaluate(3)
    metric = METRICS.build(dict(type='MultipleChoiceMetric'))
    metric.process([], samples[2:])
    assert metric.evaluate(1) == {'mc/acc': 0.0}
