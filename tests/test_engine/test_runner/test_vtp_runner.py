"""``load_matching``: one readable line for what a checkpoint gave the model; runners that
share a second keep their logs apart."""

import logging
import time
from pathlib import Path

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from vtp.datasets import BaseVideoTextDataset
from vtp.engine.runner.vtp_runner import (
    VTPRunner,
    group_keys,
    latest_checkpoint,
    load_matching,
    require_complete,
)
from vtp.testing import logged_lines
from vtp.utils.pretrained import CheckpointError


class Model(nn.Module):
    def __init__(self, heads=('itc', 'itm', 'mlm'), width: int = 4) -> None:
        super().__init__()
        self.encoder = nn.Linear(width, width)
        self.heads = nn.ModuleDict(
            {name: nn.Sequential(nn.Linear(4, 2), nn.LayerNorm(2)) for name in heads}
        )


def test_pretraining_checkpoint_into_a_retrieval_model():
    pretrained = Model()
    retrieval = Model(heads=('itc', 'itm'))
    report = load_matching(retrieval, pretrained.state_dict())
    assert report.summary == "loaded 10 of the model's 10 tensors; unused: heads.mlm.* (4)"
    assert not report.exact and not report.left_out
    require_complete('pretrain.pth', report)  # the retrieval model has every tensor it needs
    torch.testing.assert_close(retrieval.encoder.weight, pretrained.encoder.weight)


def test_missing_and_mismatched_tensors_keep_their_initialisation():
    model = Model(heads=('itc', 'qa'), width=4)
    before = model.heads['qa'][0].weight.clone()
    report = load_matching(model, Model(heads=('itc',), width=3).state_dict())
    assert report.summary == (
        "loaded 4 of the model's 10 tensors; not in the checkpoint: "
        'heads.qa.* (4); shape differs: encoder.* (2)'
    )
    assert not report.exact and len(report.left_out) == 6
    torch.testing.assert_close(model.heads['qa'][0].weight, before)
    with pytest.raises(
        CheckpointError, match=r'other.pth: not a checkpoint of this model: loaded 4'
    ):
        require_complete('other.pth', report)


def test_exact_match():
    model = Model()
    report = load_matching(model, Model().state_dict())
    assert report.summary == "loaded 14 of the model's 14 tensors" and report.exact


@pytest.mark.parametrize(
    'keys, expected',
    [
        (['a.b.c', 'a.b.d', 'a.e'], 'a.b.* (2), a.e'),
        (['x'], 'x'),
    ],
)
def test_group_keys(keys, expected):
    assert group_keys(keys) == expected


class LinearModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, *args, mode: str = 'tensor', **kwargs):
        return self.linear(torch.zeros(1, 2))


def test_runners_built_in_the_same_second_log_to_their_own_directories(tmp_path, monkeypatch):
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261202_212307')
    first, second = (
        VTPRunner(model=LinearModel(), work_dir=str(tmp_path / name), default_scope='vtp')
        for name in ('first', 'second')
    )
    assert second.timestamp != first.timestamp
    for runner, name in ((first, 'first'), (second, 'second')):
        runner.visualizer.add_scalars({'loss': 1.0}, step=1)
        assert list((tmp_path / name / runner.timestamp).rglob('scalars.json'))
        assert (tmp_path / name) in Path(runner.logger.handlers[-1].baseFilename).parents


def test_env_cfg_num_threads_sets_torch_threads(tmp_path, monkeypatch):
    threads = torch.get_num_threads()
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261203_080000')
    try:
        VTPRunner(
            model=LinearModel(),
            work_dir=str(tmp_path / 'one'),
            default_scope='vtp',
            env_cfg=dict(num_threads=1),
        )
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    with pytest.raises(ValueError, match='env_cfg.num_threads must be an int >= 1, got 0'):
        VTPRunner(
            model=LinearModel(),
            work_dir=str(tmp_path / 'zero'),
            default_scope='vtp',
            env_cfg=dict(num_threads=0),
        )
    assert torch.get_num_threads() == threads


def test_no_file_client_deprecation_warnings_in_the_log(tmp_path) -> None:
    """mmengine's checkpoint code builds a FileClient (and its HardDiskBackend) in every run;
    their deprecation warnings stay out of the run's log, other warnings do not."""
    from mmengine.fileio import FileClient, HardDiskBackend

    runner = VTPRunner(model=LinearModel(), work_dir=str(tmp_path), default_scope='vtp')
    with logged_lines(runner.logger, logging.WARNING) as lines:
        FileClient.infer_client(None, str(tmp_path))
        HardDiskBackend()
        runner.logger.warning('a warning of the run')
    assert lines == ['a warning of the run']


def test_latest_checkpoint_ignores_partial_files(tmp_path: Path) -> None:
    assert latest_checkpoint(str(tmp_path)) is None
    for name in ('iter_2.pth', 'iter_10.pth', 'iter_12.pth.tmp', 'last_checkpoint'):
        (tmp_path / name).write_bytes(b'')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')


def test_resume_from_a_directory_takes_its_newest_complete_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261205_003000')
    resumed = []
    monkeypatch.setattr(Runner, 'load_or_resume', lambda self: resumed.append(self._load_from))
    folder, empty = tmp_path / 'checkpoints', tmp_path / 'empty'
    folder.mkdir(), empty.mkdir()
    for name in ('iter_4.pth', 'iter_8.pth', 'iter_12.pth.tmp'):
        (folder / name).write_bytes(b'')
    monkeypatch.setenv('HOME', str(tmp_path))
    for name, load_from in (('a', folder), ('b', empty), ('c', '~/checkpoints')):
        runner = VTPRunner(
            model=LinearModel(),
            work_dir=str(tmp_path / name),
            default_scope='vtp',
            load_from=str(load_from),
            resume=True,
        )
        if load_from is not empty:
            runner.load_or_resume()
            assert resumed[-1] == str(folder / 'iter_8.pth')
        else:
            with pytest.raises(FileNotFoundError, match='empty: the directory holds no complete'):
                runner.load_or_resume()


class Captions(BaseVideoTextDataset):
    def load_data_list(self):
        return [dict(text=f'caption {i}') for i in range(8)]


@pytest.mark.parametrize(
    'sampler',
    [dict(type='DefaultSampler', shuffle=False), dict(type='InfiniteSampler', shuffle=True)],
)
def test_training_a_mixed_dataset_needs_the_unshuffled_infinite_sampler(tmp_path, sampler):
    runner = VTPRunner(
        model=LinearModel(),
        work_dir=str(tmp_path),
        default_scope='vtp',
        train_dataloader=dict(
            batch_size=2,
            sampler=sampler,
            dataset=dict(type='MixedDataset', datasets=[Captions(), Captions()], names=['a', 'b']),
        ),
        train_cfg=dict(by_epoch=False, max_iters=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
    )
    with pytest.raises(ValueError, match=r"set train_dataloader.sampler=dict\(type='Infinite"):
        runner.build_train_loop(dict(by_epoch=False, max_iters=1))


def test_evaluation_refuses_a_checkpoint_that_leaves_tensors_untrained(tmp_path, monkeypatch):
    """``test()``/``val()`` need every tensor of the model; training's ``load_from`` (fine-
    tuning from another task's checkpoint) may give part of it."""
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261204_230000')
    path = tmp_path / 'empty.pth'
    torch.save(dict(state_dict={}), path)
    runner = VTPRunner(model=LinearModel(), work_dir=str(tmp_path / 'run'), default_scope='vtp')
    runner.load_checkpoint(str(path))  # as training's load_from: loaded nothing, logged
    with runner._evaluating(), pytest.raises(CheckpointError, match="loaded 0 of the model's 2"):
        runner.load_checkpoint(str(path))
    assert not runner._complete_checkpoint
