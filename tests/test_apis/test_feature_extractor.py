"""FeatureExtractor: video and text embeddings equal the model's own ``embed_video`` /
``embed_text`` on the test loop's inputs; results come in input order, unreadable videos
reported by path."""

import pytest
import torch
from mmengine.dataset import pseudo_collate

from vtp.apis import FeatureExtractor
from vtp.registry import DATASETS


@pytest.fixture(scope='module')
def setup(toy_gallery):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(toy_gallery['root'])
        extractor = FeatureExtractor(
            toy_gallery['config'],
            toy_gallery['checkpoint'],
            batch_size=2,
            show_progress=False,
        )
        # The test loop's inputs: the full test pipeline and the model's data preprocessor.
        dataset = DATASETS.build(extractor.cfg.test_dataloader.dataset)
        samples = [dataset[i] for i in range(len(dataset))]
        model = extractor.model
        with torch.no_grad():
            data = model.data_preprocessor(pseudo_collate(samples))['inputs']
            _, videos = model.embed_video(data['video'])
            _, texts = model.embed_text(data['input_ids'], data['attention_mask'])
        captions = [t for i in range(len(dataset)) for t in dataset.get_data_info(i)['text']]
        files = [dataset.get_data_info(i)['filename'] for i in range(len(dataset))]
        yield dict(extractor=extractor, videos=videos, texts=texts, captions=captions, files=files)


def test_video_embeddings_are_the_models_own(setup, toy_gallery):
    extractor = setup['extractor']
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(toy_gallery['root'])
        results = extractor(toy_gallery['ann_file'])
    assert [r['filename'] for r in results] == setup['files']
    embeds = torch.stack([r['embedding'] for r in results])
    torch.testing.assert_close(embeds, setup['videos'], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(embeds.norm(dim=1), torch.ones(len(results)))
    assert all(len(r['frames']) == 4 and r['duration'] > 0 for r in results)
    assert all(r['tokens'] is not None for r in results)  # the toy model has a fusion encoder


def test_text_embeddings_are_the_models_own(setup):
    results = setup['extractor'](setup['captions'], modality='text')
    assert [r['text'] for r in results] == setup['captions']
    embeds = torch.stack([r['embedding'] for r in results])
    torch.testing.assert_close(embeds, setup['texts'], atol=1e-5, rtol=1e-4)
    one = setup['extractor'](setup['captions'][1], modality='text')
    torch.testing.assert_close(one[0]['embedding'], embeds[1], atol=1e-5, rtol=1e-4)


def test_an_unreadable_video_keeps_its_place(setup, toy_gallery, tmp_path, monkeypatch):
    monkeypatch.chdir(toy_gallery['root'])
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video' * 50)
    good = setup['files'][2]
    results = setup['extractor']([str(broken), good], batch_size=2)
    assert results[0]['filename'] == str(broken) and str(broken) in results[0]['error']
    assert results[1]['filename'] == good
    torch.testing.assert_close(results[1]['embedding'], setup['videos'][2], atol=1e-5, rtol=1e-4)


def test_an_unknown_modality_is_refused(setup):
    with pytest.raises(ValueError, match="modality must be one of .*'audio'"):
        setup['extractor'](['x'], modality='audio')
