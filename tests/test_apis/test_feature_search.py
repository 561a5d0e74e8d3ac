"""FeatureSearch over extracted features: the exact index gives the brute-force ranking, and
with re-ranking the same clips and scores as TextToVideoRetrievalInferencer; features of
another model and bad ``topk`` are refused."""

import copy
import csv
import json
import shutil

import numpy as np
import pytest
import torch

from vtp.apis import FeatureExtractor, FeatureSearch, TextToVideoRetrievalInferencer
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


def test_a_string_is_one_query(searcher):
    assert searcher(QUERIES[0], topk=2) == searcher(QUERIES[:1], topk=2)


@pytest.mark.parametrize(
    'topk, rerank_topk, message',
    [
        (0, 0, 'topk must be an int >= 1, got 0'),
        (-1, TOY_RERANK_TOPK, 'topk must be an int >= 1, got -1'),  # was a RuntimeError
        (2, -1, r'rerank_topk \(0: off\) must be an int >= 0'),
        (2.5, 0, 'topk must be an int >= 1, got 2.5'),  # was a TypeError from torch
        (True, 0, 'topk must be an int >= 1, got True'),
        (2, 1.0, r'rerank_topk \(0: off\) must be an int >= 0, got 1.0'),
    ],
)
def test_refuses_bad_topk(searcher, topk, rerank_topk, message):
    with pytest.raises(ValueError, match=message):
        searcher(QUERIES, topk=topk, rerank_topk=rerank_topk)


@pytest.mark.parametrize('changed', ['checkpoint', 'config'])
def test_refuses_features_of_another_model(searcher, toy_features, changed):
    """Queries embedded by another model than the clips would rank them meaninglessly."""
    extractor = searcher.extractor
    model, cfg = copy.deepcopy(extractor.model), copy.deepcopy(extractor.cfg)
    if changed == 'checkpoint':
        with torch.no_grad():
            next(model.parameters()).add_(1e-3)
    else:
        cfg.model.embed_dim += 1  # the model object is unchanged: only its config differs
    other = FeatureExtractor(model, config=cfg, show_progress=False)
    with pytest.raises(ValueError) as error:
        FeatureSearch(other, toy_features['features'])
    message = str(error.value)
    assert f'has another {changed},' in message
    assert toy_features['config'] in message and toy_features['checkpoint'] in message
    assert 'tools/extract_features.py' in message


def test_refuses_features_without_a_key(searcher, toy_features, tmp_path):
    features = shutil.copytree(toy_features['features'], tmp_path / 'features')
    manifest = json.loads((features / 'manifest.json').read_text())
    del manifest['key']
    (features / 'manifest.json').write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match='has no key saying which model'):
        FeatureSearch(searcher.extractor, str(features))


def test_accepts_features_of_the_same_model_with_other_test_settings(searcher, toy_features):
    extractor = searcher.extractor
    cfg = copy.deepcopy(extractor.cfg)
    cfg.model.test_cfg = dict(task='retrieval', rerank_topk=TOY_RERANK_TOPK + 1)
    other = FeatureExtractor(extractor.model, config=cfg, show_progress=False)
    assert other.fingerprint()['config'] != extractor.fingerprint()['config']
    FeatureSearch(other, toy_features['features'])


@pytest.mark.parametrize('same_config', [True, False])
def test_features_keyed_before_the_model_part_are_compared_by_config(
    searcher, toy_features, tmp_path, same_config
):
    features = shutil.copytree(toy_features['features'], tmp_path / 'features')
    manifest = json.loads((features / 'manifest.json').read_text())
    del manifest['key']['model']
    (features / 'manifest.json').write_text(json.dumps(manifest))
    extractor = searcher.extractor
    if same_config:
        FeatureSearch(extractor, str(features))
        return
    cfg = copy.deepcopy(extractor.cfg)
    cfg.model.test_cfg = dict(task='retrieval', rerank_topk=TOY_RERANK_TOPK + 1)
    with pytest.raises(ValueError, match='has another config,'):
        FeatureSearch(
            FeatureExtractor(extractor.model, config=cfg, show_progress=False), str(features)
        )


def edited_features(toy_features, folder, edit) -> FeatureSearch:
    """A copy of the toy features (one shard) whose table rows and embeddings ``edit`` changes
    (``edit(rows, embeds) -> (rows, embeds)``), searched with the toy model."""
    shutil.copytree(toy_features['features'], folder)
    with open(folder / 'shard_00000.csv', newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    rows, embeds = edit(rows, np.load(folder / 'shard_00000.npy'))
    for i, row in enumerate(rows):
        row.update(index=str(i), row=str(i))
    with open(folder / 'shard_00000.csv', 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    np.save(folder / 'shard_00000.npy', embeds)
    manifest = json.loads((folder / 'manifest.json').read_text())
    (folder / 'manifest.json').write_text(json.dumps(dict(manifest, num_items=len(rows))))
    extractor = FeatureExtractor(
        toy_features['config'], toy_features['checkpoint'], batch_size=1, show_progress=False
    )
    return FeatureSearch(extractor, str(folder))


def test_reranking_rescores_every_clip_tied_with_the_kth(searcher, toy_features, tmp_path):
    """A byte-identical copy of the k-th clip ties with it: both are re-scored, whichever the
    index returns first (FAISS returned k rows, so the copy fell below every re-scored clip)."""
    plain = searcher(QUERIES[0], topk=5)[0]['matches']
    kth = plain[2]  # re-rank the top 3
    copy_path = tmp_path / 'copy.mp4'
    shutil.copy(kth['path'], copy_path)

    def add_copy(rows, embeds):
        rows = rows + [dict(rows[kth['index']], path=str(copy_path), video_id='copy')]
        return rows, np.concatenate([embeds, embeds[kth['index'] : kth['index'] + 1]])

    tied = edited_features(toy_features, tmp_path / 'tied', add_copy)
    matches = tied(QUERIES[0], topk=6, rerank_topk=3)[0]['matches']
    reranked = {m['video_id']: m['score'] for m in matches if m['reranked']}
    assert len(reranked) == 4 and 'copy' in reranked
    assert reranked['copy'] == pytest.approx(reranked[kth['video_id']])


@pytest.mark.parametrize('rerank_topk', [1, 2])  # 1: every clip asked for is unreadable
def test_a_clip_unreadable_at_reranking_is_left_out_and_the_next_takes_its_place(
    searcher, toy_features, tmp_path, rerank_topk
):
    """Never a stopped search: the clip is reported, and the results are those of the features
    without it."""
    best = searcher(QUERIES[0], topk=1)[0]['matches'][0]
    gone = edited_features(
        toy_features,
        tmp_path / 'gone',
        lambda rows, embeds: (
            [
                dict(r, path=r['path'] + '.gone') if i == best['index'] else r
                for i, r in enumerate(rows)
            ],
            embeds,
        ),
    )
    without = edited_features(
        toy_features,
        tmp_path / 'without',
        lambda rows, embeds: (
            [r for i, r in enumerate(rows) if i != best['index']],
            np.delete(embeds, best['index'], 0),
        ),
    )
    got = gone(QUERIES, topk=3, rerank_topk=rerank_topk)
    want = without(QUERIES, topk=3, rerank_topk=rerank_topk)
    for g, w in zip(got, want):
        assert [m['path'] for m in g['matches']] == [m['path'] for m in w['matches']]
        np.testing.assert_allclose(
            [m['score'] for m in g['matches']], [m['score'] for m in w['matches']], 1e-5
        )
        assert [e['index'] for e in g['left_out']] == [best['index']] and not w['left_out']
        assert 'missing file' in g['left_out'][0]['error']


def test_rows_of_one_file_are_read_apart(searcher, toy_features, tmp_path):
    """A second row of the best clip's file, with a window past its end: that row is left out,
    the clip itself is re-ranked (failures were matched by path: both were left out, and the
    tokens of the rows after it shifted)."""
    best = searcher(QUERIES[0], topk=1)[0]['matches'][0]

    def add_window(rows, embeds):
        window = dict(rows[best['index']], start='1000.0', end='1001.0', video_id='late')
        return rows + [window], np.concatenate([embeds, embeds[best['index'] : best['index'] + 1]])

    both = edited_features(toy_features, tmp_path / 'both', add_window)
    result = both(QUERIES[0], topk=4, rerank_topk=3)[0]
    assert [e['index'] for e in result['left_out']] == [len(both.rows) - 1]
    assert best['index'] in [m['index'] for m in result['matches'] if m['reranked']]


def test_a_query_the_index_has_no_more_for_is_not_searched_deeper(searcher, monkeypatch):
    """An IVF index probing few lists returns fewer hits than asked: the depth doubled up to
    the whole gallery (gigabytes of results at scale)."""
    from vtp.apis import feature_search

    depths = []

    def few(index, queries, k):
        depths.append(k)
        scores = np.full((len(queries), k), -1.0, np.float32)
        ids = np.full((len(queries), k), -1, np.int64)
        scores[:, :2], ids[:, :2] = [0.9, 0.8], [0, 1]
        return scores, ids

    monkeypatch.setattr(feature_search, 'search', few)
    assert len(searcher(QUERIES[0], topk=4)[0]['matches']) == 2
    assert depths == [4]
