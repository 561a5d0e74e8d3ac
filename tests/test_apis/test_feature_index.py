"""FAISS indexes: exact search is the brute-force ranking; IVF searching every list is exact;
a missing faiss is a clear error."""

import sys

import numpy as np
import pytest

from vtp.apis.feature_index import build_index, search

pytest.importorskip('faiss')


def unit_rows(num: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((num, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_force(gallery: np.ndarray, queries: np.ndarray, k: int):
    sim = queries @ gallery.T  # (Q, V)
    ids = np.argsort(-sim, axis=1, kind='stable')[:, :k]
    return np.take_along_axis(sim, ids, 1), ids


@pytest.mark.parametrize('num_queries', [1, 7, 40])  # faiss switches to BLAS from 20 queries
def test_exact_search_is_the_brute_force_ranking(num_queries):
    gallery, queries = unit_rows(2000), unit_rows(num_queries, seed=1)
    scores, ids = search(build_index(gallery), queries, 50)
    ref_scores, ref_ids = brute_force(gallery, queries, 50)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(scores, ref_scores, rtol=0, atol=1e-5)


def test_ivf_searching_every_list_is_exact_and_fewer_lists_approximate():
    gallery, queries = unit_rows(3000), unit_rows(20, seed=1)
    _, exact = brute_force(gallery, queries, 10)
    _, ids = search(build_index(gallery, 'ivf', nlist=16, nprobe=16), queries, 10)
    np.testing.assert_array_equal(ids, exact)
    _, ids = search(build_index(gallery, 'ivfpq', nlist=16, nprobe=4, pq_m=8), queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact)])
    assert 0.05 < recall < 1.0


def test_bad_arguments_and_a_missing_faiss_are_clear_errors(monkeypatch):
    gallery = unit_rows(100)
    with pytest.raises(ValueError, match='pq_m=5 must divide the embedding width 32'):
        build_index(gallery, 'ivfpq', pq_m=5)
    with pytest.raises(ValueError, match='index kind must be one of'):
        build_index(gallery, 'hnsw')
    with pytest.raises(ValueError, match='k must be an int >= 1, got 0'):
        search(build_index(gallery), gallery[:1], 0)
    with pytest.raises(ValueError, match='k must be an int >= 1, got 2.5'):
        search(build_index(gallery), gallery[:1], 2.5)
    monkeypatch.setitem(sys.modules, 'faiss', None)
    with pytest.raises(ImportError, match='pip install faiss-cpu'):
        build_index(gallery)
