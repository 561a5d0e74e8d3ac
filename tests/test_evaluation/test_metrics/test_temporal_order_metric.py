"""Tests for ``TemporalOrderMetric``."""

import pytest
import torch

from vtp.evaluation import TemporalOrderMetric
from vtp.registry import METRICS


def sample(idx: int, video, reversed_video, texts) -> dict:
    """A data sample dict as produced by the model's ``to_dict()``."""
    return dict(
        sample_idx=idx,
        video_embed=torch.tensor(video),
        video_embed_reversed=torch.tensor(reversed_video),
        text_embeds=torch.tensor(texts),
    )


def test_known_answer():
    samples = [
        # forward wins
        sample(0, [1.0, 0.0], [0.0, 1.0], [[1.0, 0.0]]),
        # backward wins
        sample(1, [0.0, 1.0], [1.0, 0.0], [[1.0, 0.0]]),
        # two captions: mean forward 0.5 > mean backward 0.3, although one caption prefers
        # the reversed clip
        sample(2, [1.0, 0.0], [0.0, 1.0], [[0.8, 0.6], [0.2, 0.0]]),
        # forward wins
        sample(3, [0.6, 0.8], [0.8, -0.6], [[0.0, 1.0]]),
    ]
    metric = METRICS.build(dict(type='TemporalOrderMetric'))
    metric.process([], samples[:2])
    metric.process([], samples[2:])
    assert metric.evaluate(4) == {'probe/temporal_order_acc': 75.0}


def test_ties_count_as_wrong():
    gen = torch.Generator().manual_seed(0)
    samples = []
    for i in range(5):
        video = torch.randn(8, generator=gen)
        texts = torch.randn(3, 8, generator=gen)
        samples.append(
            dict(
                sample_idx=i,
                video_embed=video,
                video_embed_reversed=video.clone(),
                text_embeds=texts,
            )
        )
    metric = TemporalOrderMetric(prefix='order')
    metric.process([], samples)
    assert metric.evaluate(5) == {'order/temporal_order_acc': 0.0}


def test_missing_reversed_embedding_raises():
    metric = TemporalOrderMetric()
    data_sample = dict(sample_idx=0, video_embed=torch.ones(4), text_embeds=torch.ones(2, 4))
    with pytest.raises(KeyError, match=r'reverse_probe=True'):
        metric.process([], [data_sample])


@pytest.mark.parametrize(
    'video, reversed_video',
    [
        ([0.1, 0.0], [float('-inf'), 0.0]),  # the reversed score is -inf: would count as right
        ([float('inf'), 0.0], [0.1, 0.0]),
        ([float('nan'), 0.0], [0.1, 0.0]),  # would count as wrong, silently
        ([float('inf'), 0.0], [float('inf'), 0.0]),  # inf - inf
    ],
)
def test_a_non_finite_score_stops_evaluation_with_the_count(video, reversed_video):
    metric = TemporalOrderMetric()
    metric.process([], [sample(0, [1.0, 0.0], [0.0, 1.0], [[1.0, 0.0]])])
    metric.process([], [sample(1, video, reversed_video, [[1.0, 0.0]])])
    with pytest.raises(ValueError, match='^1 of 2 clips have NaN or infinite temporal-order'):
        metric.evaluate(2)


def test_a_missing_clip_is_wrong_whatever_its_placeholder_scores():
    metric = TemporalOrderMetric()
    broken = dict(sample(1, [float('nan'), 0.0], [0.0, 1.0], [[1.0, 0.0]]), missing=True)
    metric.process([], [sample(0, [1.0, 0.0], [0.0, 1.0], [[1.0, 0.0]]), broken])
    assert metric.evaluate(2) == {'probe/temporal_order_acc': 50.0}
