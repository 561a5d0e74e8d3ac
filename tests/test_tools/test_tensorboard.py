"""The documented TensorBoard switch: a config whose visualizer lists TensorboardVisBackend
writes an event file with the training losses (tensorboard is an optional dependency)."""

import os

import pytest

from vtp.testing import repo_root, run_tool, write_toy_config

pytest.importorskip('tensorboard', reason='TensorBoard logging needs tensorboard (optional.txt)')

SWITCH = """
visualizer = dict(
    type='Visualizer',
    vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')],
)
"""


def test_training_writes_tensorboard_events(tmp_path, corpora_root):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = write_toy_config(
        tmp_path / 'toy.py', 'configs/retrieval/msrvtt_9k.py', ckpt_interval=2, extra=SWITCH
    )
    path = os.pathsep.join(filter(None, [str(repo_root()), os.environ.get('PYTHONPATH')]))
    run_tool(
        'tools/train.py',
        str(config),
        '--work-dir',
        str(tmp_path / 'work'),
        '--cfg-options',
        'default_hooks.logger.interval=1',
        cwd=corpora_root,
        env={'PYTHONPATH': path},
    )
    [events] = (tmp_path / 'work').glob('*/vis_data/events.out.tfevents.*')
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    scalars = accumulator.Tags()['scalars']
    assert {'loss', 'loss_itc', 'lr'} <= set(scalars)
    assert [e.step for e in accumulator.Scalars('loss')] == [1, 2]
