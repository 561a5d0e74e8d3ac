"""VideoQAInferencer: the answers and probabilities of the model's own ``test_step`` on the
test pipeline's samples, whatever the input form and batch size; top-k answers are the naive
sort of the probabilities; bad questions and answer lists fail naming what is wrong."""

import json

import pytest
import torch
from mmengine.dataset import pseudo_collate

from vtp.apis import VideoQAInferencer
from vtp.registry import DATASETS


@pytest.fixture(scope='module')
def setup(toy_question_models):
    toy = toy_question_models['qa']
    qa = VideoQAInferencer(toy['config'], toy['checkpoint'], batch_size=3, show_progress=False)
    # The test loop's predictions: the whole test pipeline, then the model's test_step.
    dataset = DATASETS.build(qa.cfg.test_dataloader.dataset)
    samples = qa.model.test_step(pseudo_collate([dataset[i] for i in range(len(dataset))]))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return dict(qa=qa, samples=samples, infos=infos, answers=dataset.metainfo['answers'])


def test_answers_are_the_models_own_on_the_test_pipeline(setup, toy_question_models):
    qa, answers = setup['qa'], setup['answers']
    assert qa.answers == answers  # read from the config's answer_list
    results = qa(toy_question_models['qa']['ann_file'], topk=len(answers))
    assert len(results) == len(setup['samples']) == 8
    for result, sample, info in zip(results, setup['samples'], setup['infos']):
        assert (result['question'], result['question_id']) == (info['text'], info['question_id'])
        assert result['answer'] == answers[sample.pred_label]
        assert result['score'] == pytest.approx(sample.pred_score, abs=1e-5)
        probs = sample.answer_scores
        naive = sorted(range(len(answers)), key=lambda k: -float(probs[k]))
        assert [a['answer'] for a in result['topk']] == [answers[k] for k in naive]
        for a in result['topk']:
            assert a['score'] == pytest.approx(float(probs[answers.index(a['answer'])]), abs=1e-5)


@pytest.mark.parametrize('batch_size', [1, 8])
def test_pairs_give_the_same_answers_at_any_batch_size(setup, batch_size):
    pairs = [(info['filename'], info['text']) for info in setup['infos']]
    samples = setup['qa'](pairs, return_datasamples=True, batch_size=batch_size)
    for got, expected in zip(samples, setup['samples']):
        assert got.pred_label == expected.pred_label
        torch.testing.assert_close(got.answer_scores, expected.answer_scores)


def test_one_video_many_questions_equals_one_call_per_question(setup):
    qa, video = setup['qa'], setup['infos'][0]['filename']
    questions = ['what colour is the shape?', 'which way does it move?', 'what shape is it?']
    together = qa(video, questions, topk=2)
    assert [r['question'] for r in together] == questions
    for result, question in zip(together, questions):
        (alone,) = qa([(video, question)], topk=2)
        assert alone['answer'] == result['answer'] and len(result['topk']) == 2
        assert alone['score'] == pytest.approx(result['score'], abs=1e-5)


def test_bad_questions_and_answer_lists_are_named(
    setup, toy_question_models, tmp_path, monkeypatch
):
    qa, video = setup['qa'], setup['infos'][0]['filename']
    with pytest.raises(ValueError, match=f'{video}: the question is empty'):
        qa(video, ['what colour?', '  '])
    with pytest.raises(ValueError, match=f'{video}: no question given'):
        qa(video)
    with pytest.raises(ValueError, match='topk must be an int >= 1, got 0'):
        qa(video, 'what colour?', topk=0)
    with monkeypatch.context() as patch:  # refused before any clip is read or run
        patch.setattr(qa, 'forward', lambda *args, **kwargs: pytest.fail('forward ran'))
        with pytest.raises(ValueError, match='topk must be an int >= 1, got 2.5'):
            qa(video, 'what colour?', topk=2.5)
    toy = toy_question_models['qa']
    short = tmp_path / 'answers.json'
    short.write_text(json.dumps(['red', 'blue']))
    wrong = VideoQAInferencer(qa.model, config=toy['config'], answers=str(short))
    with pytest.raises(ValueError, match=f'scores {len(setup["answers"])} answers but {short}'):
        wrong(video, 'what colour?')
