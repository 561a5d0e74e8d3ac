"""``HeadScheduleHook``: heads train from their start iteration on, resumed runs included."""

import logging
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.model import MMDistributedDataParallel

from vtp.registry import HOOKS, MODELS
from vtp.testing import toy_pretrainer, train_toy_demo


def runner(model, iteration: int = 0) -> SimpleNamespace:
    return SimpleNamespace(model=model, iter=iteration, logger=logging.getLogger('test'))


def paused_per_iteration(hook, model, iterations) -> list:
    run = runner(model)
    paused = []
    for iteration in iterations:
        run.iter = iteration
        hook.before_train_iter(run, iteration)
        paused.append(sorted(model.paused_heads))
    return paused


def test_heads_start_at_their_iteration_and_the_switch_is_logged(caplog):
    model = MODELS.build(toy_pretrainer())
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itm=2, mlm=3)))
    hook.before_train(runner(model))
    with caplog.at_level(logging.INFO, logger='test'):
        paused = paused_per_iteration(hook, model, range(5))
    assert paused == [['itm', 'mlm'], ['itm', 'mlm'], ['mlm'], [], []]
    assert [r.getMessage() for r in caplog.records] == [
        'iteration 1: training heads itc',
        'iteration 3: training heads itc, itm',
        'iteration 4: training heads itc, itm, mlm',
    ]


def test_a_resumed_run_pauses_what_the_uninterrupted_run_paused_at_that_iteration():
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itm=5, mlm=5)))
    uninterrupted = paused_per_iteration(hook, MODELS.build(toy_pretrainer()), range(10))
    fresh = HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itm=5, mlm=5)))
    resumed = paused_per_iteration(fresh, MODELS.build(toy_pretrainer()), range(3, 10))
    assert resumed == uninterrupted[3:]
    fresh_late = HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itm=5, mlm=5)))
    assert paused_per_iteration(fresh_late, MODELS.build(toy_pretrainer()), [7]) == [[]]


def test_a_head_named_in_every_trains_on_every_kth_iteration_from_its_start(caplog):
    model = MODELS.build(toy_pretrainer())
    hook = HOOKS.build(
        dict(type='HeadScheduleHook', start_iters=dict(itm=2), every=dict(itm=3, mlm=2))
    )
    hook.before_train(runner(model))
    with caplog.at_level(logging.INFO, logger='test'):
        paused = paused_per_iteration(hook, model, range(9))
    trains = [[name for name in ('itm', 'mlm') if name not in p] for p in paused]
    assert trains == [
        ['mlm'],
        [],
        ['itm', 'mlm'],
        [],
        ['mlm'],
        ['itm'],
        ['mlm'],
        [],
        ['itm', 'mlm'],
    ]
    # one line when a head starts, none for the iterations it skips
    assert [r.getMessage() for r in caplog.records] == [
        'iteration 1: training heads itc, mlm (every 2 iterations)',
        'iteration 3: training heads itc, itm (every 3 iterations), mlm (every 2 iterations)',
    ]
    resumed = HOOKS.build(
        dict(type='HeadScheduleHook', start_iters=dict(itm=2), every=dict(itm=3, mlm=2))
    )
    assert paused_per_iteration(resumed, MODELS.build(toy_pretrainer()), range(4, 9)) == paused[4:]


@pytest.mark.parametrize('every', [0, -2, 1.5, True, '4'])
def test_every_must_be_an_interval(every):
    with pytest.raises(ValueError, match=r"every\['itm'\] must be an int >= 1"):
        HOOKS.build(dict(type='HeadScheduleHook', every=dict(itm=every)))


@pytest.mark.parametrize(
    'start_iters, every, idle',
    [
        ({}, dict(itc=2, itm=2, mlm=3), 2),  # 0-based iteration 1: none of 2, 2, 3 divides it
        (dict(itc=5), dict(itm=2, mlm=2), 2),  # a head out of `every` that starts late
        (dict(itc=3, itm=3, mlm=3), {}, 1),  # no head before iteration 3
    ],
)
def test_a_schedule_with_an_iteration_without_heads_is_refused_before_training(
    start_iters, every, idle
):
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=start_iters, every=every))
    with pytest.raises(ValueError, match=f'trains no head at iteration {idle}'):
        hook.before_train(runner(MODELS.build(toy_pretrainer())))


def test_only_the_iterations_of_the_run_are_checked():
    model = MODELS.build(toy_pretrainer())
    late = dict(itm=10**12, mlm=10**12)
    # a head on every iteration: nothing to scan, however late the others start
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=late))
    hook.before_train(runner(model))
    run = runner(model)
    run.max_iters = 10**6
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=late, every=dict(itc=2)))
    with pytest.raises(ValueError, match='trains no head at iteration 2 '):
        hook.before_train(run)
    run.max_iters = 1  # a run of one iteration: it has a head
    hook.before_train(run)


def test_heads_that_take_turns_are_accepted():
    hook = HOOKS.build(
        dict(type='HeadScheduleHook', start_iters=dict(itm=1), every=dict(itc=2, itm=2, mlm=2))
    )
    model = MODELS.build(toy_pretrainer())
    hook.before_train(runner(model))
    assert paused_per_iteration(hook, model, range(4)) == [['itm'], ['itc', 'mlm']] * 2


@pytest.mark.parametrize('start', [-1, 1.5, True, '10'])
def test_start_must_be_an_iteration(start):
    with pytest.raises(ValueError, match=r"start_iters\['itm'\] must be an int >= 0"):
        HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itm=start)))


@pytest.mark.parametrize('field', ['start_iters', 'every'])
@pytest.mark.parametrize('values', [['itm'], [('itm', 2)], 'itm', 2])
def test_a_schedule_that_is_not_a_dict_is_named(field, values):
    with pytest.raises(TypeError, match=f'HeadScheduleHook.{field} must be a dict of head name'):
        HOOKS.build({'type': 'HeadScheduleHook', field: values})


def test_numpy_ints_are_taken():
    hook = HOOKS.build(
        dict(
            type='HeadScheduleHook', start_iters=dict(itm=np.int64(3)), every=dict(itm=np.int32(2))
        )
    )
    assert (hook.start_iters, hook.every) == ({'itm': 3}, {'itm': 2})
    assert type(hook.start_iters['itm']) is int


def test_head_names_must_be_str():
    with pytest.raises(TypeError, match=r'every: head names are str, got 1'):
        HOOKS.build(dict(type='HeadScheduleHook', every={1: 2}))


def test_unknown_head_is_named_before_training():
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itmm=10)))
    with pytest.raises(
        KeyError, match=r"\['itmm'\], which are not heads of the model: itc, itm, mlm"
    ):
        hook.before_train(runner(MODELS.build(toy_pretrainer())))
    hook = HOOKS.build(dict(type='HeadScheduleHook', every=dict(mlmm=2)))
    with pytest.raises(KeyError, match=r"every names \['mlmm'\], which are not heads"):
        hook.before_train(runner(MODELS.build(toy_pretrainer())))


def test_ddp_without_find_unused_parameters_is_refused():
    wrapped = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    wrapped.find_unused_parameters = False
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itm=10)))
    with pytest.raises(ValueError, match='find_unused_parameters = True'):
        hook.before_train(runner(wrapped))
    # nothing left to pause (resumed past the last start): DDP needs nothing more
    object.__setattr__(wrapped, 'module', MODELS.build(toy_pretrainer()))
    hook.before_train(runner(wrapped, iteration=10))
    # a head on every k-th iteration is paused on the others, wherever the run is
    hook = HOOKS.build(dict(type='HeadScheduleHook', every=dict(itm=2)))
    with pytest.raises(ValueError, match='find_unused_parameters = True'):
        hook.before_train(runner(wrapped, iteration=10))


def test_a_run_of_the_demo_config_trains_the_scheduled_heads_from_their_iteration(
    tmp_path, moving_shapes_root
):
    hook = dict(type='HeadScheduleHook', start_iters=dict(itm=2, mlm=2))
    logged = train_toy_demo(tmp_path, moving_shapes_root, [hook])
    trained = [r for r in logged if 'loss' in r]
    assert [sorted(k for k in r if k.startswith('loss_')) for r in trained] == [
        ['loss_itc'],
        ['loss_itc'],
        ['loss_itc', 'loss_itm', 'loss_mlm'],
    ]


def test_heads_that_start_after_the_run_ends_are_named(caplog):
    """They never train, and re-ranking evaluated the untrained matching head silently."""
    run = runner(MODELS.build(toy_pretrainer()))
    run.max_iters = 2
    hook = HOOKS.build(dict(type='HeadScheduleHook', start_iters=dict(itm=1000, mlm=2)))
    with caplog.at_level(logging.WARNING, logger='test'):
        hook.before_train(run)
    assert 'HeadScheduleHook: itm, mlm start at or after max_iters=2' in caplog.text
