"""Tests for ``ResumableIterBasedTrainLoop``: a resumed run continues the data stream where it
stopped, by seeking the sampler when it can and by skipping batches when it cannot."""

from typing import Callable
from unittest.mock import MagicMock

from torch.utils.data import DataLoader, SequentialSampler

from vtp.datasets.samplers import InfiniteSampler
from vtp.engine.runner.resumable_iter_based_train_loop import ResumableIterBasedTrainLoop


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
