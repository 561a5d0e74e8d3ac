"""Tests for the retrieval ranking functions and ``RetrievalMetric``."""

from typing import List

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vtp.evaluation import RetrievalMetric, dual_softmax, rank_summary, t2v_ranks, v2t_ranks
from vtp.registry import METRICS


def naive_t2v(sim: torch.Tensor, text_to_video: List[int]) -> List[int]:
    """Reference: loop over captions, count videos scoring >= the caption's own video."""
    ranks = []
    for t, v in enumerate(text_to_video):
        correct = sim[t, v].item()
        ranks.append(sum(1 for u in range(sim.shape[1]) if sim[t, u].item() >= correct))
    return ranks


def naive_v2t(sim: torch.Tensor, text_to_video: List[int]) -> List[int]:
    """Reference: per video, best rank over its captions, each vs. other videos' captions."""
    ranks = []
    for v in range(sim.shape[1]):
        own = [t for t, u in enumerate(text_to_video) if u == v]
        others = [t for t, u in enumerate(text_to_video) if u != v]
        caption_ranks = [
            1 + sum(1 for o in others if sim[o, v].item() >= sim[c, v].item()) for c in own
        ]
        ranks.append(min(caption_ranks))
    return ranks


def make_data(num_videos: int, dim: int = 8, seed: int = 0, noise: float = 1.0):
    """Random unit embeddings: 1-4 captions per video, captions near their video."""
    gen = torch.Generator().manual_seed(seed)
    counts = torch.randint(1, 5, (num_videos,), generator=gen)
    videos = F.normalize(torch.randn(num_videos, dim, generator=gen), dim=-1)
    text_to_video = torch.repeat_interleave(torch.arange(num_videos), counts)
    texts = videos[text_to_video] + noise * torch.randn(len(text_to_video), dim, generator=gen)
    return videos, F.normalize(texts, dim=-1), counts, text_to_video


def to_samples(videos: torch.Tensor, texts: torch.Tensor, counts: torch.Tensor) -> List[dict]:
    """Split embeddings into per-sample dicts like the model's ``to_dict()`` output."""
    chunks = torch.split(texts, counts.tolist())
    return [
        dict(video_embed=videos[i], text_embeds=chunks[i], sample_idx=i) for i in range(len(videos))
    ]


@pytest.mark.parametrize('num_videos,seed', [(37, 0), (53, 1), (101, 2)])
def test_ranks_match_naive_reference(num_videos, seed):
    videos, texts, _, text_to_video = make_data(num_videos, seed=seed)
    sim = texts @ videos.t()
    assert t2v_ranks(sim, text_to_video).tolist() == naive_t2v(sim, text_to_video.tolist())
    assert v2t_ranks(sim, text_to_video).tolist() == naive_v2t(sim, text_to_video.tolist())


def test_ranks_with_exact_ties():
    videos, texts, _, text_to_video = make_data(23, seed=3)
    videos[5] = videos[4]  # duplicated video embedding
    texts[7] = texts[6]  # duplicated caption embedding
    texts[10] = texts[text_to_video == 12][0]  # another video's caption
    sim = (texts @ videos.t()).round(decimals=1)  # many exact ties
    assert t2v_ranks(sim, text_to_video).tolist() == naive_t2v(sim, text_to_video.tolist())
    assert v2t_ranks(sim, text_to_video).tolist() == naive_v2t(sim, text_to_video.tolist())


def test_constant_scores_give_worst_rank():
    counts = torch.tensor([2, 1, 3, 1])
    text_to_video = torch.repeat_interleave(torch.arange(4), counts)
    sim = torch.zeros(len(text_to_video), 8) @ torch.zeros(4, 8).t()  # all-zero embeddings
    assert t2v_ranks(sim, text_to_video).tolist() == [4] * len(text_to_video)
    # Worst v2t rank: 1 + the number of other videos' captions.
    expected = (1 + len(text_to_video) - counts).tolist()
    assert v2t_ranks(sim, text_to_video).tolist() == expected
    summary = rank_summary(t2v_ranks(sim, text_to_video), (1,), 't2v')
    assert summary['t2v_R1'] == 0


def test_own_captions_do_not_push_video_down():
    # Video 0 has two captions; the weaker one must not count against it.
    sim = torch.tensor([[0.9, 0.1], [0.5, 0.2], [0.3, 0.8]])
    text_to_video = torch.tensor([0, 0, 1])
    assert v2t_ranks(sim, text_to_video).tolist() == [1, 1]
    assert t2v_ranks(sim, text_to_video).tolist() == [1, 1, 1]


def test_rank_functions_validate_inputs():
    sim = torch.zeros(3, 2)
    with pytest.raises(ValueError, match='at least one caption'):
        v2t_ranks(sim, torch.tensor([0, 0, 0]))
    with pytest.raises(ValueError, match='text_to_video'):
        t2v_ranks(sim, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='index videos'):
        t2v_ranks(sim, torch.tensor([0, 1, 2]))


def test_rank_summary():
    ranks = torch.tensor([1, 2, 6, 11])
    summary = rank_summary(ranks, (1, 5, 10), 'x')
    assert summary == {'x_R1': 25.0, 'x_R5': 50.0, 'x_R10': 75.0, 'x_MdR': 4.0, 'x_MnR': 5.0}


def test_large_similarity_matrix():
    gen = torch.Generator().manual_seed(0)
    sim = torch.randn(10_000, 1_000, generator=gen)
    text_to_video = torch.arange(10_000) % 1_000
    t2v = t2v_ranks(sim, text_to_video)
    v2t = v2t_ranks(sim, text_to_video)
    assert t2v.shape == (10_000,) and v2t.shape == (1_000,)
    assert int(t2v.min()) >= 1 and int(t2v.max()) <= 1_000
    assert int(v2t.min()) >= 1 and int(v2t.max()) <= 10_000 - 10 + 1


def test_perfect_model():
    videos = torch.eye(6)
    counts = torch.tensor([1, 3, 2, 1, 2, 1])
    texts = videos[torch.repeat_interleave(torch.arange(6), counts)]
    metric = RetrievalMetric()
    metric.process([], to_samples(videos, texts, counts))
    results = metric.evaluate(6)
    for direction in ('t2v', 'v2t'):
        assert results[f'retrieval/{direction}_R1'] == 100
        assert results[f'retrieval/{direction}_MdR'] == 1
        assert results[f'retrieval/{direction}_MnR'] == 1


def test_metric_full_flow():
    num_videos = 29
    videos, texts, counts, text_to_video = make_data(num_videos, seed=4)
    samples = to_samples(videos, texts, counts)
    metric = METRICS.build(dict(type='RetrievalMetric'))
    # Out-of-order batches: the metric must sort by sample_idx.
    metric.process([], samples[11:])
    metric.process([], samples[:11])
    results = metric.evaluate(num_videos)

    sim = texts @ videos.t()
    t2v = np.array(naive_t2v(sim, text_to_video.tolist()))
    v2t = np.array(naive_v2t(sim, text_to_video.tolist()))
    expected = {}
    for name, ranks in (('t2v', t2v), ('v2t', v2t)):
        for k in (1, 5, 10):
            expected[f'retrieval/{name}_R{k}'] = 100 * np.mean(ranks <= k)
        expected[f'retrieval/{name}_MdR'] = np.median(ranks)
        expected[f'retrieval/{name}_MnR'] = np.mean(ranks)
    expected['retrieval/missing'] = 0
    assert results.keys() == expected.keys()
    for key, value in expected.items():
        assert results[key] == pytest.approx(value), key
    assert metric.results == []  # evaluate() resets the stored results


def test_metric_custom_topk_and_prefix():
    videos, texts, counts, _ = make_data(12, seed=5)
    metric = RetrievalMetric(topk=[2, 3], prefix='msrvtt')
    metric.process([], to_samples(videos, texts, counts))
    keys = set(metric.evaluate(12))
    assert keys == {
        f'msrvtt/{d}_{m}' for d in ('t2v', 'v2t') for m in ('R2', 'R3', 'MdR', 'MnR')
    } | {'msrvtt/missing'}


@pytest.mark.parametrize('topk', [(), (0, 5), (1, -1), (1.5,), 5, '15', (True,)])
def test_bad_topk_raises(topk):
    with pytest.raises(ValueError, match='topk'):
        RetrievalMetric(topk=topk)


def test_dual_softmax_matches_naive_reference():
    sim = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
    t2v, v2t = dual_softmax(sim, 100.0)
    for i in range(6):
        for j in range(4):
            column = [float(sim[k, j]) * 100 for k in range(6)]
            row = [float(sim[i, k]) * 100 for k in range(4)]
            prior_t2v = np.exp(column[i]) / np.sum(np.exp(column))
            prior_v2t = np.exp(row[j]) / np.sum(np.exp(row))
            assert float(t2v[i, j]) == pytest.approx(float(sim[i, j]) * prior_t2v, abs=1e-6)
            assert float(v2t[i, j]) == pytest.approx(float(sim[i, j]) * prior_v2t, abs=1e-6)


def test_dsl_is_reported_beside_the_plain_numbers():
    videos, texts, counts, text_to_video = make_data(15, seed=6)
    plain = RetrievalMetric()
    with_dsl = RetrievalMetric(dsl_temperature=100.0)
    for metric in (plain, with_dsl):
        metric.process([], to_samples(videos, texts, counts))
    plain, with_dsl = plain.evaluate(15), with_dsl.evaluate(15)
    assert {k: v for k, v in with_dsl.items() if '/dsl_' not in k} == plain
    t2v, v2t = dual_softmax(texts @ videos.t(), 100.0)
    expected = rank_summary(t2v_ranks(t2v, text_to_video), (1, 5, 10), 'retrieval/dsl_t2v')
    expected.update(rank_summary(v2t_ranks(v2t, text_to_video), (1, 5, 10), 'retrieval/dsl_v2t'))
    assert {k: v for k, v in with_dsl.items() if '/dsl_' in k} == pytest.approx(expected)


def test_perfect_model_with_one_missing_clip_scores_75():
    """The issue's example: 4 clips, one unreadable. Substituting another clip for it would
    report R@1 50 (a query gone, a gallery item cloned); counted as a miss it is 75."""
    videos = torch.eye(4)
    counts = torch.ones(4, dtype=torch.long)
    samples = to_samples(videos, videos.clone(), counts)
    samples[1].update(missing=True, video_embed=torch.zeros(4))  # placeholder outputs
    metric = RetrievalMetric()
    metric.process([], samples)
    results = metric.evaluate(4)
    assert results['retrieval/t2v_R1'] == results['retrieval/v2t_R1'] == 75
    assert results['retrieval/t2v_R5'] == 75  # ranked last (4th of 4) and never recalled
    assert results['retrieval/t2v_MnR'] == (1 + 4 + 1 + 1) / 4
    assert results['retrieval/missing'] == 1


@pytest.mark.parametrize('missing', [[0], [3, 7], [12]])
def test_missing_samples_match_a_naive_reference(missing):
    num_videos = 13
    videos, texts, counts, text_to_video = make_data(num_videos, seed=8)
    samples = to_samples(videos, texts, counts)
    for i in missing:
        samples[i]['missing'] = True
    metric = RetrievalMetric(dsl_temperature=100.0)
    metric.process([], samples)
    results = metric.evaluate(num_videos)

    keep = [v for v in range(num_videos) if v not in missing]
    kept_texts = [t for t, v in enumerate(text_to_video.tolist()) if v not in missing]
    sub = (texts @ videos.t())[kept_texts][:, keep]
    sub_t2v = [keep.index(v) for v in text_to_video[kept_texts].tolist()]
    t2v = iter(naive_t2v(sub, sub_t2v))
    t2v_ranks_all = [num_videos if v in missing else next(t2v) for v in text_to_video.tolist()]
    v2t = iter(naive_v2t(sub, sub_t2v))
    v2t_ranks_all = [
        1 + len(texts) - int(counts[v]) if v in missing else next(v2t) for v in range(num_videos)
    ]
    for name, ranks in (('t2v', np.array(t2v_ranks_all)), ('v2t', np.array(v2t_ranks_all))):
        assert results[f'retrieval/{name}_R1'] == pytest.approx(100 * np.mean(ranks <= 1))
        assert results[f'retrieval/{name}_MnR'] == pytest.approx(np.mean(ranks))
    assert results['retrieval/missing'] == len(missing)
    assert all(np.isfinite(v) for v in results.values())  # DSL too


@pytest.mark.parametrize('where', ['all', 'video', 'caption'])
def test_nan_or_infinite_scores_stop_evaluation(where):
    """A NaN similarity would rank first (a hit): all-NaN embeddings once reported R@1 100."""
    videos, texts, counts, _ = make_data(6, seed=9)
    if where == 'all':
        videos, texts = torch.full_like(videos, float('nan')), torch.full_like(texts, float('nan'))
    elif where == 'video':
        videos[2] = float('nan')
    else:
        texts[0] = float('inf')
    metric = RetrievalMetric()
    metric.process([], to_samples(videos, texts, counts))
    expected = {'all': len(texts), 'video': len(texts), 'caption': 1}[where]
    with pytest.raises(
        ValueError, match=f'{expected} of {len(texts)} captions have NaN or infinite scores'
    ):
        metric.evaluate(6)


def test_a_missing_sample_may_have_non_finite_outputs():
    videos, texts, counts, _ = make_data(5, seed=10)
    samples = to_samples(videos, texts, counts)
    samples[3].update(missing=True, video_embed=torch.full((8,), float('nan')))
    metric = RetrievalMetric()
    metric.process([], samples)
    assert metric.evaluate(5)['retrieval/missing'] == 1


def test_a_missing_query_is_a_miss_even_when_the_gallery_fits_in_k():
    """Ranked last of 3, a missing clip's queries would count at R@5 (and one missing clip
    of one at R@1): a sample that could not be read is never recalled."""
    for num_videos, missing in ((3, [1]), (3, [0, 1, 2]), (1, [0])):
        videos = torch.eye(num_videos)
        samples = to_samples(videos, videos.clone(), torch.ones(num_videos, dtype=torch.long))
        for i in missing:
            samples[i]['missing'] = True
        metric = RetrievalMetric()
        metric.process([], samples)
        results = metric.evaluate(num_videos)
        expected = 100 * (num_videos - len(missing)) / num_videos
        for key in ('t2v_R1', 't2v_R5', 't2v_R10', 'v2t_R1', 'v2t_R5', 'v2t_R10'):
            assert results[f'retrieval/{key}'] == pytest.approx(expected), key
        assert results['retrieval/t2v_MnR'] == pytest.approx(
            (num_videos - len(missing) + num_videos * len(missing)) / num_videos
        )
