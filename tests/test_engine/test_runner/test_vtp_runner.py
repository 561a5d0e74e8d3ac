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
    (tmp_path / 'iter_11.pth').mkdir()  # a folder of a checkpoint's name is not one
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


class Regression(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        return dict(loss=self.linear(inputs).square().mean())


class Ones(torch.utils.data.Dataset):
    """4 samples; key ``k`` is sample ``k % 4``, as InfiniteSampler's keys need."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, key: int) -> dict:
        return dict(inputs=torch.ones(2))


def regression_runner(work_dir: Path, max_iters: int, dataset=None, **kwargs) -> VTPRunner:
    """A runner of 2-sample batches training ``Regression`` with fused AdamW (the schedules')."""
    return VTPRunner(
        model=Regression(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=Ones() if dataset is None else dataset,
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate'),
        ),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.1, fused=True)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False)),
        default_scope='vtp',
        **kwargs,
    )


def damaged(checkpoint: dict, damage: str) -> dict:
    if damage == 'optimizer state of another shape':  # fused AdamW wrote out of bounds
        for state in checkpoint['optimizer']['state'].values():
            state['exp_avg'] = torch.zeros(1)
    elif damage == 'no optimizer (save_optimizer=False)':
        del checkpoint['optimizer']
    elif damage == 'no model tensors':
        checkpoint['state_dict'] = {'foo.weight': torch.ones(3)}
    elif damage == 'a plain state dict':
        checkpoint = checkpoint['state_dict']
    elif damage == 'iteration not an int':
        checkpoint['meta']['iter'] = 2.5
    elif damage == 'a logging state mmengine cannot restore':
        checkpoint['message_hub'] = dict(log_scalars=5)
    elif damage == 'another parameter count':
        checkpoint['optimizer']['param_groups'][0]['params'].append(7)
    return checkpoint


@pytest.mark.parametrize(
    'damage, message',
    [
        (
            'optimizer state of another shape',
            r'optimizer state exp_avg of linear.weight has shape ',
        ),
        ('no model tensors', "not a checkpoint of this model: loaded 0 of the model's 2"),
        ('a plain state dict', r'not a training checkpoint \(no "meta" or "message_hub"\)'),
        ('iteration not an int', 'meta.iter must be an int >= 0, got 2.5'),
        ('another parameter count', 'its optimizer holds 3 parameters in 1 groups, this run 2'),
        ('a logging state mmengine cannot restore', r'cannot resume from it \(\w+Error: '),
    ],
)
def test_resume_refuses_a_checkpoint_it_cannot_continue_from(
    tmp_path, monkeypatch, damage, message
):
    """One CheckpointError naming the file, never a segfault, a crash deep in mmengine or a run
    that goes on from random weights."""
    monkeypatch.setattr(time, 'strftime', lambda *args: f'20261205_{abs(hash(damage)) % 10**6:06d}')
    regression_runner(tmp_path / 'first', max_iters=2).train()
    checkpoint = torch.load(tmp_path / 'first' / 'iter_2.pth', weights_only=True)
    path = tmp_path / 'damaged.pth'
    torch.save(damaged(checkpoint, damage), path)
    runner = regression_runner(tmp_path / 'second', max_iters=3, resume=True, load_from=str(path))
    with pytest.raises(CheckpointError, match=f'{path}: .*{message}'):
        runner.train()


def test_resume_past_max_iters_warns_that_nothing_is_left(tmp_path, monkeypatch):
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261205_120000')
    regression_runner(tmp_path / 'first', max_iters=2).train()
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261205_120001')
    runner = regression_runner(
        tmp_path / 'second',
        max_iters=1,
        resume=True,
        load_from=str(tmp_path / 'first' / 'iter_2.pth'),
    )
    with logged_lines(runner.logger) as lines:
        runner.train()
    assert any('is at iteration 2, max_iters is 1: nothing is left to train' in x for x in lines)


class SeededOnes(Ones):
    """``Ones`` that seeds per-sample randomness as vtp datasets do (the experiment seed)."""

    def __init__(self) -> None:
        self.seed = torch.initial_seed()


def test_resume_of_a_run_without_a_seed_gives_its_data_the_checkpoints_seed(tmp_path, monkeypatch):
    """With ``randomness.seed=None`` each run draws a seed; the resumed one takes the file's,
    and so must its sampler's order and its dataset's augmentation (built before resuming)."""
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261205_130000')
    no_seed = dict(seed=None)
    regression_runner(tmp_path / 'first', 2, SeededOnes(), randomness=no_seed).train()
    path = tmp_path / 'first' / 'iter_2.pth'
    seed = torch.load(path, weights_only=True)['meta']['seed']
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261205_130001')
    second = regression_runner(
        tmp_path / 'second', 3, SeededOnes(), randomness=no_seed, resume=True, load_from=str(path)
    )
    second.train()
    loader = second.train_dataloader
    assert second.seed == seed and loader.sampler.seed == seed and loader.dataset.seed == seed


def test_a_checkpoint_saved_without_its_optimizer_resumes_with_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261205_140000')
    regression_runner(tmp_path / 'first', max_iters=2).train()
    checkpoint = torch.load(tmp_path / 'first' / 'iter_2.pth', weights_only=True)
    path = tmp_path / 'no_optimizer.pth'
    torch.save(damaged(checkpoint, 'no optimizer (save_optimizer=False)'), path)
    monkeypatch.setattr(time, 'strftime', lambda *args: '20261205_140001')
    runner = regression_runner(tmp_path / 'second', max_iters=3, resume=True, load_from=str(path))
    runner.train()
    assert runner.iter == 3
