"""TextToVideoRetrievalInferencer: the ranking tools/test.py evaluates, with and without
re-ranking; a gallery cache reused, and recomputed when stale; unreadable videos left out."""

import os.path as osp
import shutil

import pytest
import torch

from vtp.apis import TextToVideoRetrievalInferencer
from vtp.evaluation.metrics.retrieval_metric import rank_summary, t2v_ranks
from vtp.testing import TOY_RERANK_TOPK


def full_scores(results, video_ids):
    """(Q, V) scores from results that rank the whole gallery."""
    scores = torch.full((len(results), len(video_ids)), float('nan'), dtype=torch.float64)
    for q, result in enumerate(results):
        for match in result['matches']:
            scores[q, video_ids.index(match['video_id'])] = match['score']
    assert not scores.isnan().any()
    return scores


@pytest.fixture
def inferencer(toy_retrieval, monkeypatch):
    monkeypatch.chdir(toy_retrieval['root'])
    return TextToVideoRetrievalInferencer(
        toy_retrieval['config'],
        toy_retrieval['ann_file'],
        weights=toy_retrieval['checkpoint'],
        batch_size=1,
        show_progress=False,
    )


@pytest.mark.parametrize('rerank_topk', [0, TOY_RERANK_TOPK])
def test_ranks_every_test_caption_as_tools_test_does(inferencer, toy_retrieval, rerank_topk):
    """Every caption of the test split as a query over its clips: the same recall and mean
    rank as tools/test.py, plain and re-ranked, and (re-ranked) the same top 10 per query."""
    items = inferencer.gallery.items
    video_ids = [item['video_id'] for item in items]
    captions = [(text, i) for i, item in enumerate(items) for text in item['text']]
    results = inferencer([c for c, _ in captions], topk=len(items), rerank_topk=rerank_topk)
    ranks = t2v_ranks(full_scores(results, video_ids), torch.tensor([i for _, i in captions]))
    mine = rank_summary(ranks, (1, 5, 10), 't2v')
    reference = toy_retrieval['result']
    prefix = 'retrieval/rerank_' if rerank_topk else 'retrieval/'
    assert mine == {key: reference['metrics'][prefix + key] for key in mine}
    if rerank_topk:  # tools/test.py keeps the re-ranked top 10 of each query
        tops = [[m['video_id'] for m in r['matches'][:10]] for r in results]
        assert tops == [p['top10'] for p in reference['predictions']]
        assert any(m['score'] != m['similarity'] for r in results for m in r['matches'])
        # the re-scored top k come first, marked; the others keep their similarity order
        assert all(
            [m['reranked'] for m in r['matches']]
            == [True] * rerank_topk + [False] * (len(items) - rerank_topk)
            for r in results
        )
    else:
        assert all(m['score'] == m['similarity'] for r in results for m in r['matches'])
        assert not any(m['reranked'] for r in results for m in r['matches'])


def test_one_text_or_many_and_topk(inferencer):
    one = inferencer('a test clip number 3', topk=2, rerank_topk=0)
    many = inferencer(['a test clip number 3', 'another'], topk=2, rerank_topk=0)
    assert len(one) == 1 and len(many) == 2
    # the same matches; scores equal up to float rounding (a batch of two texts may run other
    # matrix kernels: 6e-8 apart on an AVX2 CPU)
    numbers = ('score', 'similarity')

    def without_numbers(result):
        return {
            **result,
            'matches': [
                {k: v for k, v in m.items() if k not in numbers} for m in result['matches']
            ],
        }

    assert without_numbers(one[0]) == without_numbers(many[0])
    for alone, batched in zip(one[0]['matches'], many[0]['matches']):
        for key in numbers:
            assert alone[key] == pytest.approx(batched[key], rel=1e-5, abs=1e-6), key
    assert [m['rank'] for m in one[0]['matches']] == [1, 2]
    scores = [m['score'] for m in one[0]['matches']]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(ValueError, match='topk must be an int >= 1'):
        inferencer('x', topk=0)


def test_gallery_cache_is_reused_and_a_stale_one_recomputed(toy_retrieval, tmp_path, monkeypatch):
    monkeypatch.chdir(toy_retrieval['root'])
    videos = tmp_path / 'videos'
    shutil.copytree(osp.join(toy_retrieval['root'], 'data/msrvtt/videos'), videos)
    cache = str(tmp_path / 'cache.pth')
    args = (toy_retrieval['config'], str(videos))
    kwargs = dict(weights=toy_retrieval['checkpoint'], gallery_cache=cache, show_progress=False)
    first = TextToVideoRetrievalInferencer(*args, **kwargs)
    assert osp.isfile(cache) and len(first.gallery.items) == 11

    computed = []
    original = TextToVideoRetrievalInferencer.embed_videos

    def counting(self, items, batch_size=None):
        computed.append(len(items))
        return original(self, items, batch_size)

    monkeypatch.setattr(TextToVideoRetrievalInferencer, 'embed_videos', counting)
    again = TextToVideoRetrievalInferencer(*args, **kwargs)
    assert computed == []  # reused
    torch.testing.assert_close(again.gallery.embeds, first.gallery.embeds)

    (videos / 'video7000.mp4').unlink()  # another file list
    TextToVideoRetrievalInferencer(*args, **kwargs)
    assert computed == [10]

    model = first.model  # other weights, given as a model object
    with torch.no_grad():
        model.video_proj.weight.mul_(2)
    TextToVideoRetrievalInferencer(
        model, str(videos), config=toy_retrieval['config'], gallery_cache=cache, show_progress=False
    )
    assert computed == [10, 10]


def test_an_unreadable_video_is_reported_not_fatal(toy_retrieval, tmp_path, monkeypatch):
    monkeypatch.chdir(toy_retrieval['root'])
    good = osp.join(toy_retrieval['root'], 'data/msrvtt/videos/video7001.mp4')
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video at all' * 100)
    inferencer = TextToVideoRetrievalInferencer(
        toy_retrieval['config'],
        [good, str(broken)],
        weights=toy_retrieval['checkpoint'],
        show_progress=False,
    )
    assert [f['filename'] for f in inferencer.gallery.failures] == [str(broken)]
    assert str(broken) in inferencer.gallery.failures[0]['error']
    (result,) = inferencer('anything', topk=5, rerank_topk=0)
    assert [m['filename'] for m in result['matches']] == [good]
