"""``AttributeScheduleHook``: a number of the model set piecewise-linearly by iteration."""

from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub
from mmengine.model import MMDistributedDataParallel

from vtp.registry import HOOKS, MODELS
from vtp.testing import toy_pretrainer, train_toy_demo

TEMPERATURE = 'heads.itm.negative_temperature'


def runner(model, iteration: int = 0) -> SimpleNamespace:
    hub = MessageHub.get_instance('test_attribute_schedule_hook')
    return SimpleNamespace(model=model, iter=iteration, message_hub=hub)


def schedule(points) -> object:
    return HOOKS.build(dict(type='AttributeScheduleHook', attribute=TEMPERATURE, points=points))


def values_per_iteration(hook, model, iterations) -> list:
    run = runner(model)
    hook.before_train(run)
    values = []
    for iteration in iterations:
        run.iter = iteration
        hook.before_train_iter(run, iteration)
        values.append(model.heads.itm.negative_temperature)
    return values


def test_the_value_holds_then_follows_straight_lines_between_points():
    hook = schedule([(2, 1.0), (6, 0.2), (8, 0.6)])
    values = values_per_iteration(hook, MODELS.build(toy_pretrainer()), range(11))
    expected = [1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.4, 0.6, 0.6, 0.6]
    assert values == pytest.approx(expected)
    assert schedule([(0, 0.5)]).value(1000) == 0.5


def test_the_value_is_logged_each_iteration():
    run = runner(MODELS.build(toy_pretrainer()), iteration=4)
    hook = schedule([(0, 1.0), (8, 0.2)])
    hook.before_train(run)
    hook.before_train_iter(run, 4)
    assert run.message_hub.get_scalar(f'train/{TEMPERATURE}').current() == pytest.approx(0.6)


def test_a_resumed_run_sets_what_the_uninterrupted_run_set_at_that_iteration():
    uninterrupted = values_per_iteration(
        schedule([(1, 1.0), (5, 0.3)]), MODELS.build(toy_pretrainer()), range(8)
    )
    model = MODELS.build(toy_pretrainer())
    hook = schedule([(1, 1.0), (5, 0.3)])
    hook.before_train(runner(model, iteration=3))  # a resumed run starts at its iteration
    assert model.heads.itm.negative_temperature == pytest.approx(uninterrupted[3])
    assert values_per_iteration(hook, model, range(3, 8)) == uninterrupted[3:]


def test_the_attribute_is_found_through_a_ddp_wrapper():
    wrapped = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    object.__setattr__(wrapped, 'module', MODELS.build(toy_pretrainer()))
    run = runner(wrapped, iteration=5)
    hook = schedule([(0, 1.0), (10, 0.5)])
    hook.before_train(run)
    assert wrapped.module.heads.itm.negative_temperature == pytest.approx(0.75)


@pytest.mark.parametrize(
    'points, message',
    [
        ([], 'must be a non-empty list of'),
        ('0.3', 'must be a non-empty list of'),
        ([(0, 1.0, 2)], r'points\[0\] must be a pair'),
        ([0.3], r'points\[0\] must be a pair'),
        ([(-1, 1.0)], r'points\[0\]: the iteration must be an int >= 0, got -1'),
        ([(1.5, 1.0)], 'the iteration must be an int >= 0, got 1.5'),
        ([(True, 1.0)], 'the iteration must be an int >= 0, got True'),
        ([(0, float('nan'))], 'the value must be a finite number, got nan'),
        ([(0, '1.0')], "the value must be a finite number, got '1.0'"),
        ([(0, False)], 'the value must be a finite number, got False'),
        ([(5, 1.0), (5, 0.3)], r'points\[1\]: iterations must increase, got 5 after 5'),
        ([(5, 1.0), (2, 0.3)], 'iterations must increase, got 2 after 5'),
    ],
)
def test_bad_points_are_named(points, message):
    with pytest.raises(ValueError, match=message):
        schedule(points)


@pytest.mark.parametrize('attribute', ['', 'heads..itm', 'heads.itm-x', 3, 'heads.0'])
def test_the_attribute_must_be_a_dotted_path(attribute):
    with pytest.raises(ValueError, match='must be a dotted path'):
        HOOKS.build(dict(type='AttributeScheduleHook', attribute=attribute, points=[(0, 1.0)]))


def test_a_missing_attribute_is_named_before_training():
    hook = HOOKS.build(
        dict(type='AttributeScheduleHook', attribute='heads.itmm.scale', points=[(0, 1.0)])
    )
    with pytest.raises(AttributeError, match=r"model.heads \(ModuleDict\) has no attribute 'itmm'"):
        hook.before_train(runner(MODELS.build(toy_pretrainer())))


@pytest.mark.parametrize(
    'attribute, kind',
    [
        ('heads.itm.classifier', 'a Linear'),
        ('heads.itm.num_pairs', 'an int'),
        ('training', 'a bool'),
    ],
)
def test_an_attribute_that_is_not_a_float_is_refused(attribute, kind):
    model = MODELS.build(toy_pretrainer())
    model.heads.itm.num_pairs = 8
    hook = HOOKS.build(dict(type='AttributeScheduleHook', attribute=attribute, points=[(0, 1.0)]))
    with pytest.raises(
        TypeError, match=f'schedules float attributes; model.{attribute} is {kind}$'
    ):
        hook.before_train(runner(model))


def test_a_value_the_attribute_refuses_stops_before_the_first_step_and_changes_nothing():
    model = MODELS.build(toy_pretrainer())
    model.heads.itm.negative_temperature = 0.07
    hook = schedule([(0, 1.0), (50, 0.5), (60, 0.0)])
    with pytest.raises(
        ValueError, match=r'points\[2\]: ITMHead: negative_temperature must be a positive number'
    ):
        hook.before_train(runner(model))
    assert model.heads.itm.negative_temperature == 0.07


def test_an_attribute_that_cannot_be_set_is_named():
    class Model:
        @property
        def scale(self) -> float:
            return 1.0

    hook = HOOKS.build(dict(type='AttributeScheduleHook', attribute='scale', points=[(0, 2.0)]))
    with pytest.raises(ValueError, match=r"AttributeScheduleHook\('scale'\).points\[0\]: .*setter"):
        hook.before_train(runner(Model()))


def test_extreme_values_stay_exact_at_points_and_between_them():
    hook = schedule([(0, 1e308), (10, -1e308), (20, 1e308)])
    assert [hook.value(i) for i in (0, 5, 10, 15, 20)] == [1e308, 0.0, -1e308, 0.0, 1e308]
    far = schedule([(0, 1.0), (2**54, 1e-20)])
    assert 0 < far.value(2**54 - 1) <= 1.0 and far.value(2**54) == 1e-20


def test_a_run_of_the_demo_config_logs_the_values_as_set(tmp_path, moving_shapes_root):
    # mmengine averages a logged key with "loss" in it over its window: not these
    weight = 'heads.itm.loss_module.loss_weight'
    hooks = [
        dict(type='AttributeScheduleHook', attribute=TEMPERATURE, points=[(0, 1.0), (2, 0.5)]),
        dict(type='AttributeScheduleHook', attribute=weight, points=[(0, 2.0), (2, 1.0)]),
    ]
    logged = train_toy_demo(tmp_path, moving_shapes_root, hooks)
    assert [r[TEMPERATURE] for r in logged if TEMPERATURE in r] == pytest.approx([1.0, 0.75, 0.5])
    assert [r[weight] for r in logged if weight in r] == pytest.approx([2.0, 1.5, 1.0])
