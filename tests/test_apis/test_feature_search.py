"""FeatureSearch over extracted features: the exact index gives the brute-force ranking, and
with re-ranking the same clips and scores as TextToVideoRetrievalInferencer."""

import numpy as np
import pytest

from vtp.apis import TextToVideoRetrievalInferencer
from vtp.apis.feature_shards import read_features
from vtp.testing import TOY_RERANK_TOPK

pytest.importorskip('faiss')

QUERIES = ['a test clip number 3', 'a test clip number 0']


@pytest.fixture
def searcher(toy_searcher, toy_features, monkeypatch):
    monkeypatch.chdir(toy_features['root'])  # its tokenizer and clips lie there
    return toy_searcher


def test_exact_search_is_the_brute_force_ranking(searcher, toy_features):
    embeds, rows = read_features(toy_features['features'])
    texts = searcher.extractor.embed_texts(QUERIES).embeds.numpy()
    results = searcher(QUERIES, topk=4)
    for text, result in zip(texts, results):
        sim = embeds @ text  # (V,)
        order = np.argsort(-sim, kind='stable')[:4]
        assert [m['index'] for m in result['matches']] == order.tolist()
        assert [m['path'] for m in result['matches']] == [rows[i]['path'] for i in order]
        np.testing.assert_allclose([m['score'] for m in result['matches']], sim[order], 1e-5)
        assert [m['rank'] for m in result['matches']] == [1, 2, 3, 4]
    assert searcher.item(results[0]['matches'][0]['index'])['filename'] == rows[order[0]]['path']


def test_reranked_search_matches_the_inferencer(searcher, toy_features, monkeypatch):
    monkeypatch.chdir(toy_features['root'])
    inferencer = TextToVideoRetrievalInferencer(
        searcher.extractor.model,
        toy_features['ann_file'],
        config=searcher.extractor.cfg,
        batch_size=1,
        show_progress=False,
    )
    expected = inferencer(QUERIES, topk=5, rerank_topk=TOY_RERANK_TOPK)
    results = searcher(QUERIES, topk=5, rerank_topk=TOY_RERANK_TOPK)
    for want, got in zip(expected, results):
        assert [m['path'] for m in got['matches']] == [m['filename'] for m in want['matches']]
        k = TOY_RERANK_TOPK  # re-ranked scores in the top k; similarities below
        np.testing.assert_allclose(
            [m['score'] for m in got['matches'][:k]],
            [m['score'] for m in want['matches'][:k]],
            1e-4,
        )
        np.testing.assert_allclose(
            [m['score'] for m in got['matches'][k:]],
            [m['similarity'] for m in want['matches'][k:]],
            1e-5,
        )
        assert [m['reranked'] for m in got['matches']] == [r <= k for r in range(1, 6)]
