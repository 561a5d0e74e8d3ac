"""VideoTextInferencer, through FeatureExtractor (its smallest concrete subclass): the cache
fingerprint changes with the config, the weights or a file (and only the part that changed;
test settings and speed switches leave the ``model`` part alone);
``rank`` validates ``topk``; a model object needs its config."""

import copy
import os

import pytest
import torch

from vtp.apis import FeatureExtractor
from vtp.apis.video_text_inferencer import load_config
from vtp.utils.pretrained import CheckpointError


@pytest.fixture(scope='module')
def inferencer(toy_gallery):
    return FeatureExtractor(toy_gallery['config'], toy_gallery['checkpoint'], show_progress=False)


def changed(a, b):
    return sorted(part for part in a if a[part] != b[part])


def test_fingerprint_changes_with_config_weights_and_files(inferencer, toy_gallery, tmp_path):
    video = tmp_path / 'a.mp4'
    video.write_bytes(b'first')
    items = [dict(filename=str(video))]
    base = inferencer.fingerprint(items)
    assert inferencer.fingerprint(items) == base  # deterministic

    video.write_bytes(b'rewritten in place')
    os.utime(video, ns=(1, 1))
    assert changed(base, inferencer.fingerprint(items)) == ['files']
    base = inferencer.fingerprint(items)
    assert changed(base, inferencer.fingerprint(items + items)) == ['files']

    cfg = load_config(toy_gallery['config'])
    cfg.test_dataloader.dataset.pipeline[1]['num_frames'] = 2
    other_cfg = FeatureExtractor(inferencer.model, config=cfg, show_progress=False)
    assert changed(base, other_cfg.fingerprint(items)) == ['config', 'model']

    cfg = load_config(toy_gallery['config'])
    cfg.model.test_cfg = dict(task='retrieval', rerank_topk=2)
    cfg.model.text_encoder.fused_attention = not cfg.model.text_encoder.get('fused_attention', True)
    same_features = FeatureExtractor(inferencer.model, config=cfg, show_progress=False)
    assert changed(base, same_features.fingerprint(items)) == ['config']  # `model` unchanged

    model = copy.deepcopy(inferencer.model)
    with torch.no_grad():
        next(model.parameters()).add_(1e-3)
    other_weights = FeatureExtractor(model, config=toy_gallery['config'], show_progress=False)
    assert changed(base, other_weights.fingerprint(items)) == ['weights']


def test_rank_validates_topk_and_sorts_by_similarity(inferencer):
    sim = torch.tensor([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3]])
    ranked = inferencer.rank(sim, 2, 0, lambda: pytest.fail('no scorer without re-ranking'))
    assert [[m['index'] for m in q] for q in ranked] == [[1, 2], [0, 2]]
    assert [[m['rank'] for m in q] for q in ranked] == [[1, 2], [1, 2]]
    assert ranked[0][0]['score'] == pytest.approx(0.9)
    with pytest.raises(ValueError, match='topk must be an int >= 1, got 0'):
        inferencer.rank(sim, 0, 0, lambda: pytest.fail('unused'))


def test_a_model_object_needs_its_config(inferencer):
    with pytest.raises(ValueError, match='needs `config`'):
        FeatureExtractor(copy.deepcopy(inferencer.model))


def test_a_checkpoint_that_leaves_tensors_untrained_is_refused(toy_gallery, tmp_path):
    """An empty state dict, another task's checkpoint or numbers in place of tensors would
    otherwise leave the model (or part of it) at its random initialisation, and be used."""
    full = torch.load(toy_gallery['checkpoint'])['state_dict']
    partial = {k: v for k, v in full.items() if not k.startswith('heads.itm.')}
    cases = (
        ({}, "loaded 0 of the model's"),
        (partial, 'not in the checkpoint: heads.itm.'),
        ({**full, 'heads.itc.log_logit_scale': 3}, 'holds a int, not a tensor'),
    )
    for state_dict, message in cases:
        path = tmp_path / 'bad.pth'
        torch.save(dict(state_dict=state_dict), path)
        with pytest.raises(CheckpointError, match=message):
            FeatureExtractor(toy_gallery['config'], str(path), show_progress=False)


@pytest.mark.parametrize('batch_size', [1, 2])
def test_an_empty_or_non_string_text_is_refused_naming_it(
    inferencer, toy_gallery, monkeypatch, batch_size
):
    """Whatever the batch it falls in (alone, the tokenizer refused it; beside another text,
    it was embedded as an empty query)."""
    for texts, name in (
        (['', 'a red circle'], "text 0 is ''"),
        (['a', None], 'text 1 is None'),
        (['a', '\u200b \ufeff\x00\x7f'], r"text 1 is '\\u200b \\ufeff\\x00\\x7f'"),  # invisible
    ):
        with pytest.raises(
            ValueError, match=f'^{name}: every text must be a string with a visible'
        ):
            inferencer.embed_texts(texts, batch_size=batch_size)
    with pytest.raises(
        ValueError, match=r"^text 0 is not text: a lone UTF-16 surrogate '\\udcff' at"
    ):
        inferencer.embed_texts(['a \udcff'], batch_size=batch_size)
    monkeypatch.chdir(toy_gallery['root'])  # its tokenizer lies there
    assert len(inferencer.embed_texts(['\u200ba red circle \U0001f600']).embeds) == 1
