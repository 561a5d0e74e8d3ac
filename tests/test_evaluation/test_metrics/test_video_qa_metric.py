"""Tests for ``VideoQAMetric``: accuracy over all questions and by type, vs a naive count."""

import pytest
import torch

from vtp.registry import METRICS

ANSWERS = ['red', 'blue', 'left', 'right']


def result(qid, kind, label, pred):
    return dict(
        question_id=qid,
        question_type=kind,
        text=f'question {qid}',
        answer=ANSWERS[label] if label >= 0 else 'purple',
        label=label,
        pred_label=pred,
    )


def evaluate(samples):
    metric = METRICS.build(dict(type='VideoQAMetric'))
    metric.dataset_meta = dict(answers=ANSWERS)
    metric.process([], samples)
    return metric.evaluate(len(samples)), metric


def test_accuracy_over_all_questions_and_by_type():
    samples = [
        result(0, 'what', 0, 0),
        result(1, 'what', 1, 0),
        result(2, 'which', 2, 2),
        result(3, 'which', -1, 3),  # answer outside the vocabulary: always wrong
        result(4, 'which', 3, 3),
    ]
    metrics, metric = evaluate(samples)
    naive = sum(s['label'] >= 0 and s['label'] == s['pred_label'] for s in samples) / 5 * 100
    assert metrics['qa/acc'] == pytest.approx(naive) == pytest.approx(60.0)
    assert metrics['qa/acc_what'] == pytest.approx(50.0)
    assert metrics['qa/acc_which'] == pytest.approx(200 / 3)
    assert metrics['qa/num_what'] == 2 and metrics['qa/num_which'] == 3
    assert metric.predictions[3] == dict(
        question_id=3,
        question='question 3',
        answer='purple',
        prediction='right',
        correct=False,
        missing=False,
    )


def test_a_question_whose_clip_could_not_be_read_is_wrong():
    samples = [result(0, 'what', 0, 0), result(1, 'what', 1, 1)]
    samples[1]['missing'] = True  # its prediction came from a placeholder clip
    metrics, metric = evaluate(samples)
    assert metrics['qa/acc'] == 50.0
    assert metric.predictions[1]['missing'] and not metric.predictions[1]['correct']


def test_needs_the_answer_vocabulary_and_a_matching_head():
    metric = METRICS.build(dict(type='VideoQAMetric'))
    metric.process([], [result(0, 'what', 0, 0)])
    with pytest.raises(ValueError, match="metainfo\\['answers'\\]"):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='predicts class 7 but the answer list has 4'):
        evaluate([result(0, 'what', 0, 7)])


def test_a_tie_for_the_best_answer_is_wrong_and_nan_scores_stop_evaluation():
    """A collapsed head scores every answer alike; argmax picks answer 0 (the most frequent
    training answer), which would count wherever it is the answer."""
    uniform = torch.full((4,), 0.25)
    samples = [result(q, 'what', 0, 0) for q in range(3)]
    samples[0]['answer_scores'] = uniform  # tied: wrong
    samples[1]['answer_scores'] = torch.tensor([0.4, 0.4, 0.1, 0.1])  # tied with answer 1
    samples[2]['answer_scores'] = torch.tensor([0.7, 0.1, 0.1, 0.1])  # strictly best
    metrics, metric = evaluate(samples)
    assert metrics['qa/acc'] == pytest.approx(100 / 3)
    assert [p['correct'] for p in metric.predictions] == [False, False, True]

    broken = [result(q, 'what', 0, 0) for q in range(4)]
    for sample in broken[:3]:
        sample.update(answer_scores=torch.full((4,), float('nan')), pred_score=float('nan'))
    broken[2]['missing'] = True  # a placeholder clip's scores may be anything
    with pytest.raises(ValueError, match=r'2 of 4 questions have NaN or infinite scores'):
        evaluate(broken)
    no_scores = [result(0, 'what', 0, 0)]
    no_scores[0]['pred_score'] = float('inf')  # a head that gives its choice's score only
    with pytest.raises(ValueError, match=r'1 of 1 questions'):
        evaluate(no_scores)
