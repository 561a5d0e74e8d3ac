"""VideoToTextRetrievalInferencer: the ranking of a naive sort of the video-text similarity
matrix; re-ranking only reorders the top k; ``topk`` shapes and validates the results."""

from pathlib import Path

import pytest
import torch

from vtp.apis import FeatureExtractor, VideoToTextRetrievalInferencer

TEXTS = ['a red circle', 'a blue square moving up', 'video7002 clip', 'grey noise', 'nothing']


@pytest.fixture(scope='module')
def setup(toy_gallery):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(toy_gallery['root'])
        inferencer = VideoToTextRetrievalInferencer(
            toy_gallery['config'],
            TEXTS,
            weights=toy_gallery['checkpoint'],
            batch_size=2,
            show_progress=False,
        )
        extractor = FeatureExtractor(
            inferencer.model, config=toy_gallery['config'], show_progress=False
        )
        videos = extractor(toy_gallery['ann_file'])
    files = [v['filename'] for v in videos]
    texts = torch.stack([t['embedding'] for t in extractor(TEXTS, modality='text')])
    sim = torch.stack([v['embedding'] for v in videos]) @ texts.t()  # (V, T)
    yield dict(inferencer=inferencer, files=files, sim=sim)


@pytest.fixture
def infer(setup, toy_gallery, monkeypatch):
    monkeypatch.chdir(toy_gallery['root'])
    return setup['inferencer']


def test_ranking_is_the_naive_sort_of_the_similarities(infer, setup):
    results = infer(setup['files'], topk=len(TEXTS), rerank_topk=0)
    assert [r['filename'] for r in results] == setup['files']
    for v, result in enumerate(results):
        naive = sorted(range(len(TEXTS)), key=lambda t: -float(setup['sim'][v, t]))
        assert [m['text'] for m in result['matches']] == [TEXTS[t] for t in naive]
        assert [m['rank'] for m in result['matches']] == list(range(1, len(TEXTS) + 1))
        for m in result['matches']:
            expected = float(setup['sim'][v, TEXTS.index(m['text'])])
            assert m['score'] == m['similarity'] == pytest.approx(expected, abs=1e-5)


def test_reranking_reorders_only_the_top_k(infer, setup):
    k = 2
    results = infer(setup['files'], topk=len(TEXTS), rerank_topk=k)
    for v, result in enumerate(results):
        naive = sorted(range(len(TEXTS)), key=lambda t: -float(setup['sim'][v, t]))
        texts = [m['text'] for m in result['matches']]
        assert sorted(texts[:k]) == sorted(TEXTS[t] for t in naive[:k])
        assert texts[k:] == [TEXTS[t] for t in naive[k:]]
        assert all(m['score'] != m['similarity'] for m in result['matches'][:k])
        scores = [m['score'] for m in result['matches']]
        assert scores == sorted(scores, reverse=True)


def test_topk_shapes_and_validates_the_results(infer, setup):
    (one,) = infer(setup['files'][0], topk=3, rerank_topk=0)
    assert len(one['matches']) == 3
    (capped,) = infer(setup['files'][:1], topk=50, rerank_topk=0)
    assert len(capped['matches']) == len(TEXTS)
    with pytest.raises(ValueError, match='topk must be an int >= 1, got 0'):
        infer(setup['files'][0], topk=0)
    with pytest.MonkeyPatch.context() as patch:  # refused before any clip is read or run
        patch.setattr(infer, 'forward', lambda *args, **kwargs: pytest.fail('forward ran'))
        with pytest.raises(ValueError, match='topk must be an int >= 1, got 2.5'):
            infer(setup['files'][0], topk=2.5)
        with pytest.raises(ValueError, match=r'rerank_topk \(0: off\) must be an int >= 0'):
            infer(setup['files'][0], topk=1, rerank_topk=-1)


def test_an_annotation_file_gallery_holds_its_captions(setup, toy_gallery, monkeypatch):
    monkeypatch.chdir(toy_gallery['root'])
    inferencer = VideoToTextRetrievalInferencer(
        setup['inferencer'].model, toy_gallery['ann_file'], config=toy_gallery['config']
    )
    assert inferencer.gallery.texts == [f'a test clip number {i}' for i in range(5)]


def test_an_unreadable_query_video_is_reported(infer, setup, tmp_path):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video' * 50)
    results = infer([str(broken), setup['files'][1]], topk=1, rerank_topk=0)
    assert results[0]['filename'] == str(broken) and str(broken) in results[0]['error']
    assert len(results[1]['matches']) == 1


def test_pathlib_paths_are_paths(infer, setup):
    files = setup['files']
    expected = infer(files, topk=2, rerank_topk=0)
    assert infer([Path(f) for f in files], topk=2, rerank_topk=0) == expected
    (one,) = infer(Path(files[0]), topk=2, rerank_topk=0)  # a batch of one: float noise
    assert one['filename'] == files[0]
    assert [m['text'] for m in one['matches']] == [m['text'] for m in expected[0]['matches']]
