"""MultipleChoiceInferencer: every option's score and the choice equal the model's own
``test_step`` on the test pipeline's samples, whatever the input form and batch size; bad
option lists fail naming the video."""

import pytest
import torch
from mmengine.dataset import pseudo_collate

from vtp.apis import MultipleChoiceInferencer
from vtp.registry import DATASETS


@pytest.fixture(scope='module')
def setup(toy_question_models):
    toy = toy_question_models['multiple_choice']
    mc = MultipleChoiceInferencer(
        toy['config'], toy['checkpoint'], batch_size=3, show_progress=False
    )
    dataset = DATASETS.build(mc.cfg.test_dataloader.dataset)
    samples = mc.model.test_step(pseudo_collate([dataset[i] for i in range(len(dataset))]))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return dict(mc=mc, samples=samples, infos=infos)


def test_choices_are_the_models_own_on_the_test_pipeline(setup, toy_question_models):
    results = setup['mc'](toy_question_models['multiple_choice']['ann_file'])
    assert len(results) == len(setup['samples']) == 8
    for result, sample, info in zip(results, setup['samples'], setup['infos']):
        assert result['options'] == info['text'] and len(result['options']) == 5
        assert result['choice'] == sample.pred_label
        assert result['answer'] == info['text'][sample.pred_label]
        assert result['scores'] == pytest.approx(sample.option_scores.tolist(), abs=1e-5)
        assert result['choice'] == max(range(5), key=lambda k: result['scores'][k])


@pytest.mark.parametrize('batch_size', [1, 8])
def test_pairs_give_the_same_scores_at_any_batch_size(setup, batch_size):
    pairs = [(info['filename'], info['text']) for info in setup['infos']]
    samples = setup['mc'](pairs, return_datasamples=True, batch_size=batch_size)
    for got, expected in zip(samples, setup['samples']):
        assert got.pred_label == expected.pred_label
        torch.testing.assert_close(got.option_scores, expected.option_scores)


def test_options_asked_of_several_videos(setup):
    videos = [info['filename'] for info in setup['infos'][:3]]
    options = ['a red circle moves left', 'a blue square moves up']
    results = setup['mc'](videos, options)
    assert [r['filename'] for r in results] == videos
    assert all(r['options'] == options and len(r['scores']) == 2 for r in results)


def test_bad_option_lists_are_named(setup):
    mc, video = setup['mc'], setup['infos'][0]['filename']
    with pytest.raises(ValueError, match=f'{video}: the option list is empty'):
        mc([(video, [])])
    with pytest.raises(ValueError, match=f"{video}: options must be non-empty strings, got ''"):
        mc(video, ['a red circle moves left', ''])
    with pytest.raises(ValueError, match='options must be a list of strings, got the string'):
        mc(video, 'a red circle moves left')
