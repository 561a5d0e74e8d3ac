"""Tests for ``ResumableIterBasedTrainLoop``: a resumed run continues the data stream where it
stopped, by seeking the sampler when it can and by skipping batches when it cannot."""

from typing import Callable
from unittest.mock import MagicMock

import pytest
from mmengine.logging import MessageHub
from torch.utils.data import DataLoader, SequentialSampler

from vtp.datasets.samplers import InfiniteSampler
from vtp.engine.runner.resumable_iter_based_train_loop import (
    LAYOUT_KEY,
    ResumableIterBasedTrainLoop,
)


class Samples(list):
    """Sample i is i; ``fetched`` lists every sample the loader read."""

    def __init__(self, size: int) -> None:
        super().__init__(range(size))
        self.fetched = []

    def __getitem__(self, index: int) -> int:
        self.fetched.append(index)
        return super().__getitem__(index)


def seekable(samples: Samples) -> InfiniteSampler:
    return InfiniteSampler(samples, shuffle=False)


def train_from(start_iter: int, make_sampler: Callable, max_iters: int = 5) -> tuple:
    """The batches trained on and the samples read when training resumes at ``start_iter``."""
    samples = Samples(40)
    loader = DataLoader(samples, batch_size=2, sampler=make_sampler(samples))
    runner = MagicMock(val_loop=None)
    loop = ResumableIterBasedTrainLoop(runner, loader, max_iters=max_iters)
    loop._iter = start_iter  # as loading a checkpoint of iteration start_iter leaves it
    loop.run()
    batches = [call.args[0].tolist() for call in runner.model.train_step.call_args_list]
    return batches, samples.fetched


def test_resume_seeks_the_sampler_without_reading_the_skipped_samples():
    batches, fetched = train_from(3, seekable)
    assert batches == [[6, 7], [8, 9]]
    assert min(fetched) == 6


def test_a_sampler_that_cannot_seek_has_its_batches_read_and_skipped():
    batches, fetched = train_from(3, SequentialSampler)
    assert batches == [[6, 7], [8, 9]]
    assert fetched[:6] == [0, 1, 2, 3, 4, 5]


def test_a_fresh_run_starts_at_the_first_batch():
    batches, _ = train_from(0, seekable, max_iters=2)
    assert batches == [[0, 1], [2, 3]]


class LaneSamples(Samples):
    """Samples that record the dataloader layout the loop gives them."""

    def set_loader_layout(self, batch_size: int, num_workers: int) -> None:
        self.layout = (batch_size, num_workers)


def test_a_dataset_reading_in_lanes_gets_the_loader_layout_before_the_workers_start():
    samples = LaneSamples(8)
    loader = DataLoader(samples, batch_size=4, sampler=seekable(samples), num_workers=0)
    ResumableIterBasedTrainLoop(MagicMock(val_loop=None), loader, max_iters=1)
    assert samples.layout == (4, 0)


class ShardLikeSamples(LaneSamples):
    """Samples whose order depends on the ranks, workers and batch size (as tar shards')."""

    ranks = 1

    def stream_layout(self) -> dict:
        return dict(ranks=self.ranks, workers=max(self.layout[1], 1), batch_size=self.layout[0])


def resume_loop(saved_layout, ranks=1, num_workers=0, **loop_args):
    """A loop resuming at iteration 3 from a checkpoint whose message hub held
    ``saved_layout`` (None: a checkpoint without one); its hub and what it trained."""
    samples = ShardLikeSamples(40)
    samples.ranks = ranks
    loader = DataLoader(samples, batch_size=2, sampler=seekable(samples), num_workers=num_workers)
    hub = MessageHub(f'layout-{id(samples)}')
    if saved_layout is not None:
        hub.update_info(LAYOUT_KEY, saved_layout)
    runner = MagicMock(val_loop=None, message_hub=hub)
    loop = ResumableIterBasedTrainLoop(runner, loader, max_iters=5, **loop_args)
    loop._iter = 3
    loop.run()
    return hub, [call.args[0].tolist() for call in runner.model.train_step.call_args_list]


def test_the_stream_layout_is_recorded_for_the_checkpoints():
    hub, batches = resume_loop(None)
    assert hub.get_info(LAYOUT_KEY) == dict(ranks=1, workers=1, batch_size=2)
    assert batches == [[6, 7], [8, 9]]


def test_resuming_with_the_saved_layout_continues():
    hub, batches = resume_loop(dict(ranks=1, workers=1, batch_size=2))
    assert batches == [[6, 7], [8, 9]]


def test_resuming_with_another_layout_names_the_old_and_new_values():
    with pytest.raises(ValueError) as error:
        resume_loop(dict(ranks=2, workers=1, batch_size=4))
    message = str(error.value)
    assert 'batch_size 4 -> 2' in message and 'ranks 2 -> 1' in message
    assert 'workers' not in message.split('(')[1]  # only what changed
    assert 'ShardLikeSamples' in message and 'allow_layout_change' in message


def test_allow_layout_change_warns_and_continues(monkeypatch):
    logged = []
    monkeypatch.setattr(
        'vtp.engine.runner.resumable_iter_based_train_loop.print_log',
        lambda message, **kwargs: logged.append(message),
    )
    hub, batches = resume_loop(dict(ranks=1, workers=2, batch_size=2), allow_layout_change=True)
    assert batches == [[6, 7], [8, 9]]
    assert any('workers 2 -> 1' in m for m in logged)
    assert hub.get_info(LAYOUT_KEY) == dict(ranks=1, workers=1, batch_size=2)


def test_a_dataset_without_a_stream_layout_resumes_whatever_the_checkpoint_says():
    samples = Samples(40)
    loader = DataLoader(samples, batch_size=2, sampler=seekable(samples))
    hub = MessageHub('layout-plain')
    hub.update_info(LAYOUT_KEY, dict(ranks=8))
    loop = ResumableIterBasedTrainLoop(MagicMock(val_loop=None, message_hub=hub), loader, 5)
    loop._iter = 3
    loop.run()
    assert hub.get_info(LAYOUT_KEY) == dict(ranks=8)


@pytest.mark.parametrize(
    'settings, message',
    [
        (dict(max_iters=0), 'train_cfg.max_iters must be an int >= 1, got 0'),
        (dict(max_iters=5, val_interval=0), 'train_cfg.val_interval must be an int >= 1, got 0'),
        (dict(max_iters=5, val_interval=-1), 'train_cfg.val_interval must be an int >= 1, got -1'),
    ],
)
def test_a_run_length_or_evaluation_interval_below_one_is_refused_at_once(settings, message):
    """``val_interval=0`` divided by zero after the first iteration; -1 evaluated every one."""
    samples = Samples(4)
    loader = DataLoader(samples, batch_size=2, sampler=seekable(samples))
    with pytest.raises(ValueError, match=message):
        ResumableIterBasedTrainLoop(MagicMock(val_loop=None), loader, **settings)
