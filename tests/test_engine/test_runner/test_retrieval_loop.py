"""``rerank``: top-k cross-encoder re-scoring, against scoring every pair."""

import pytest
import torch

from vtp.engine.runner.retrieval_loop import rerank
from vtp.evaluation.metrics.retrieval_metric import retrieval_summary, t2v_ranks, v2t_ranks


def problem(num_texts: int = 7, num_videos: int = 5, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    sim = torch.randn(num_texts, num_videos, generator=generator)
    cross = torch.randn(num_texts, num_videos, generator=generator)  # the cross-encoder
    calls = []

    def score_t2v(text, videos):
        calls.append(('t2v', text, len(videos)))
        return cross[text, videos]

    def score_v2t(video, texts):
        calls.append(('v2t', video, len(texts)))
        return cross[texts, video]

    return sim, cross, score_t2v, score_v2t, calls


@pytest.mark.parametrize('topk', [5, 7, 100])
def test_k_at_least_the_gallery_equals_scoring_every_pair(topk):
    sim, cross, score_t2v, score_v2t, calls = problem()
    t2v, v2t = rerank(sim, topk, score_t2v, score_v2t)
    expected = (cross + sim).double()
    if topk >= 7:  # both galleries fully re-scored
        torch.testing.assert_close(t2v, expected)
        torch.testing.assert_close(v2t, expected)
    else:  # 5 of 5 videos per text, 5 of 7 texts per video
        torch.testing.assert_close(t2v, expected)
        kept = torch.zeros_like(sim, dtype=torch.bool).scatter_(0, sim.topk(5, dim=0).indices, True)
        assert (v2t[kept].view(5, 5).min(0).values > v2t[~kept].view(2, 5).max(0).values).all()
        torch.testing.assert_close(v2t[kept], expected[kept])
    assert len(calls) == 7 + 5  # one cross-encoder call per query


@pytest.mark.parametrize('topk', [1, 2, 3])
def test_only_the_top_k_are_rescored_and_the_rest_keep_their_order(topk):
    sim, cross, score_t2v, score_v2t, calls = problem()
    t2v, _ = rerank(sim, topk, score_t2v, score_v2t)
    assert all(n == topk for _, _, n in calls)  # work grows as queries x k
    for text in range(7):
        top = sim[text].topk(topk).indices
        rest = [v for v in range(5) if v not in top.tolist()]
        torch.testing.assert_close(t2v[text, top], (cross[text, top] + sim[text, top]).double())
        assert t2v[text, top].min() > t2v[text, rest].max()  # re-scored first
        assert t2v[text, rest].argsort().tolist() == sim[text, rest].argsort().tolist()


def test_rescoring_can_fix_the_dual_encoder():
    """The dual encoder ranks text 0's video 2nd (t2v) and video 0's text 2nd (v2t); the
    cross-encoder knows better."""
    text_to_video = torch.tensor([0, 1, 2])
    cross = torch.full((3, 3), -5.0)
    cross[torch.arange(3), text_to_video] = 5.0
    t2v_sim = torch.tensor([[0.8, 0.9, 0.1], [0.2, 0.9, 0.8], [0.1, 0.2, 0.3]])
    v2t_sim = torch.tensor([[0.8, 0.1, 0.1], [0.85, 0.9, 0.2], [0.1, 0.2, 0.3]])
    assert t2v_ranks(t2v_sim, text_to_video).tolist() == [2, 1, 1]
    assert v2t_ranks(v2t_sim, text_to_video).tolist() == [2, 1, 1]
    t2v, _ = rerank(t2v_sim, 2, lambda t, v: cross[t, v], lambda v, t: cross[t, v])
    _, v2t = rerank(v2t_sim, 2, lambda t, v: cross[t, v], lambda v, t: cross[t, v])
    assert t2v_ranks(t2v, text_to_video).tolist() == [1, 1, 1]
    assert v2t_ranks(v2t, text_to_video).tolist() == [1, 1, 1]


def test_processes_split_the_queries_and_agree(monkeypatch):
    """Two ranks score disjoint queries; gathered, they give the one-process matrices."""
    sim, _, score_t2v, score_v2t, calls = problem()
    single = rerank(sim, 3, score_t2v, score_v2t)
    parts = []
    for rank in range(2):
        calls.clear()
        monkeypatch.setattr(
            'vtp.engine.runner.retrieval_loop.all_gather_object',
            lambda rows: parts.append(dict(rows)) or [dict(rows)],
        )
        rerank(sim, 3, score_t2v, score_v2t, rank=rank, world_size=2)
        assert [q for d, q, _ in calls if d == 't2v'] == list(range(rank, 7, 2))
    merged = {**parts[0], **parts[1]}
    monkeypatch.setattr('vtp.engine.runner.retrieval_loop.all_gather_object', lambda rows: [merged])
    both = rerank(sim, 3, score_t2v, score_v2t, rank=0, world_size=2)
    for a, b in zip(single, both):
        torch.testing.assert_close(a, b)


def test_close_similarities_outside_the_top_k_keep_their_order():
    """Cosine similarities 1e-4 apart stay distinct below the re-scored candidates."""
    sim = torch.linspace(0.5, 0.5001, 12).reshape(1, 12)
    t2v, v2t = rerank(sim, 2, lambda t, v: torch.zeros(len(v)), lambda v, t: torch.zeros(1))
    rest = t2v[0, :10]
    assert len(set(rest.tolist())) == 10 and rest.argsort().tolist() == list(range(10))
    assert t2v_ranks(t2v, torch.tensor([3])).tolist() == [9]  # as the dual encoder ranks it


def test_k_below_one_is_an_error():
    sim, _, score_t2v, score_v2t, _ = problem()
    with pytest.raises(ValueError, match='topk must be an int >= 1'):
        rerank(sim, 0, score_t2v, score_v2t)


@pytest.mark.parametrize('topk', [1, 2, 10])
def test_a_model_that_scores_everything_alike_ranks_last_whatever_k(topk):
    """Candidates tied with the k-th are all re-scored: torch's topk would pick some of them by
    gallery order and lift them above the rest (R@1 25 for a constant model at k = 1)."""
    sim = torch.full((4, 4), 0.3)
    calls = []

    def constant(query, candidates):
        calls.append(len(candidates))
        return torch.zeros(len(candidates))

    t2v, v2t = rerank(sim, topk, constant, constant)
    metrics = retrieval_summary(t2v, v2t, torch.arange(4))
    assert metrics['t2v_R1'] == metrics['v2t_R1'] == 0
    assert metrics['t2v_MnR'] == metrics['v2t_MnR'] == 4
    assert calls == [4] * 8


def test_two_identical_clips_rank_alike_whatever_k():
    """Clips 0 and 1 are identical to both encoders: caption 0's clip ranks 2nd (pessimistic
    tie) with the dual encoder, and with re-ranking at k = 1 as at k = 3."""
    sim = torch.tensor([[0.9, 0.9, 0.1], [0.9, 0.9, 0.1], [0.1, 0.1, 0.9]])
    cross = sim.clone()
    ranks = [
        t2v_ranks(
            rerank(sim, k, lambda t, v: cross[t, v], lambda v, t: cross[t, v])[0], torch.arange(3)
        ).tolist()
        for k in (1, 3)
    ]
    assert ranks == [[2, 2, 1]] * 2 == [t2v_ranks(sim, torch.arange(3)).tolist()] * 2


def test_candidates_at_minus_inf_are_never_rescored():
    """Missing samples are set to -inf before re-ranking: they take no top-k place and cost no
    cross-encoder call; a query with no real candidate makes no call at all."""
    sim = torch.tensor([[0.5, float('-inf'), 0.1], [float('-inf')] * 3])  # text 1 missing
    seen = {'t2v': [], 'v2t': []}

    def recorder(direction):
        def score(query, candidates):
            seen[direction].append((query, candidates.tolist()))
            return torch.zeros(len(candidates))

        return score

    t2v, v2t = rerank(sim, 2, recorder('t2v'), recorder('v2t'))
    assert seen == {'t2v': [(0, [0, 2])], 'v2t': [(0, [0]), (2, [0])]}
    assert (t2v[1] == float('-inf')).all() and (v2t[:, 1] == float('-inf')).all()


@pytest.mark.parametrize('cross_value', [-50.0, -2e4, 3e6])
def test_rescored_candidates_rank_first_on_any_cross_encoder_scale(cross_value):
    """Those outside the top k once sat at similarity - 1e4: a cross-encoder scoring below
    -1e4 sank the re-scored ones under them."""
    sim = torch.tensor([[0.9, 0.8, 0.5, 0.4, 0.3]])
    t2v, _ = rerank(sim, 2, lambda t, v: torch.full((len(v),), cross_value), lambda v, t: t * 0.0)
    assert t2v[0, :2].min() > t2v[0, 2:].max()
    assert t2v[0, 2:].argsort().tolist() == sim[0, 2:].argsort().tolist()
