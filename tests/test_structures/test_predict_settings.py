"""Tests for ``PredictSettings``: a model's ``test_cfg`` validated against its task's keys."""

import pytest

from vtp.structures import DEFAULT_TASK, TASK_KEYS, PredictSettings


def test_no_test_cfg_is_retrieval_by_similarity():
    settings = PredictSettings.from_cfg(None)
    assert settings == PredictSettings()
    assert settings.task == DEFAULT_TASK == 'retrieval' and settings.rerank_topk == 0


@pytest.mark.parametrize(
    'test_cfg',
    [
        dict(task='retrieval', rerank_topk=8, rerank_head='itm', reverse_probe=True),
        dict(task='qa', answer_head='answers'),
        dict(task='multiple_choice', option_weights=dict(itc=1.0, itm=0.5), rerank_head='itm'),
    ],
)
def test_every_key_of_the_task_is_kept(test_cfg):
    settings = PredictSettings.from_cfg(test_cfg)
    assert set(test_cfg) == {'task', *TASK_KEYS[test_cfg['task']]}
    assert {key: getattr(settings, key) for key in test_cfg} == test_cfg


@pytest.mark.parametrize(
    'test_cfg,match',
    [
        (
            dict(rerank_top_k=16),
            r"'rerank_top_k' not read by task 'retrieval', whose keys are "
            r'task, rerank_topk, rerank_head, reverse_probe',
        ),
        (dict(option_weights=dict(itm=1.0)), r"'option_weights' not read by task 'retrieval'"),
        (
            dict(task='qa', rerank_topk=4),
            r"'rerank_topk' not read by task 'qa', whose keys are "
            r'task, answer_head',
        ),
        (dict(task='captioning'), r"task must be one of 'retrieval', 'qa', 'multiple_choice'"),
        (dict(task='multiple_choice'), r'option_weights .* must weigh itc and/or itm'),
        (dict(task='multiple_choice', option_weights=dict(itx=1.0)), r'must weigh itc'),
        (dict(rerank_topk=-1), r'rerank_topk must be an int >= 0'),
        (dict(rerank_topk=True), r'rerank_topk must be an int >= 0'),
        (dict(reverse_probe='no'), r"reverse_probe must be True or False, got 'no'"),
        (dict(rerank_head=5), r'rerank_head must name a head, got 5'),
        (dict(task='qa', answer_head=None), r'answer_head must name a head, got None'),
        *[
            (
                dict(task='multiple_choice', option_weights=weights),
                r'option_weights \(task multiple_choice\) must be a dict of finite numbers',
            )
            for weights in (dict(itc='1'), dict(itc=float('nan')), dict(itc=True), [('itc', 1.0)])
        ],
    ],
)
def test_bad_settings_name_the_key_and_the_allowed_ones(test_cfg, match):
    with pytest.raises(ValueError, match=match):
        PredictSettings.from_cfg(test_cfg)
