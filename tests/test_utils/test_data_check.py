"""Missing data is one line naming the path and the config key, before anything starts."""

import os
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config

from vtp.testing import repo_root
from vtp.utils.data_check import missing_data

ROOT = repo_root()


def config(**loaders) -> Config:
    return Config(dict(default_scope='vtp', **loaders))


def test_every_file_and_folder_a_dataset_reads_is_checked(tmp_path: Path) -> None:
    (tmp_path / 'msrvtt' / 'videos').mkdir(parents=True)
    (tmp_path / 'msrvtt' / 'MSRVTT_data.json').write_text('{}')
    msrvtt = dict(
        type='MSRVTTDataset',
        data_root=str(tmp_path / 'msrvtt'),
        ann_file='MSRVTT_data.json',
        split_file='MSRVTT_train.9k.csv',
        data_prefix=dict(video='videos'),
    )
    cfg = config(
        train_dataloader=dict(
            dataset=dict(
                type='MixedDataset',
                datasets=[
                    dict(type='WebVidDataset', ann_file=str(tmp_path / 'webvid.csv')),
                    msrvtt,
                ],
            )
        )
    )
    assert missing_data(cfg, ['train_dataloader']) == (
        f'data file not found: {tmp_path / "webvid.csv"} (set by train_dataloader.dataset.'
        f"datasets[0].ann_file='{tmp_path / 'webvid.csv'}'); see docs/user_guides/"
        '2_data_preparation.md for how to get it'
    )
    (tmp_path / 'webvid.csv').write_text('')
    problem = missing_data(cfg, ['train_dataloader'])  # a split list (extra_files)
    assert problem.startswith(
        f'data file not found: {tmp_path}/msrvtt/MSRVTT_train.9k.csv '
        '(set by train_dataloader.dataset.datasets[1].data_root='
    )
    assert "and split_file='MSRVTT_train.9k.csv')" in problem
    (tmp_path / 'msrvtt' / 'MSRVTT_train.9k.csv').write_text('')
    assert missing_data(cfg, ['train_dataloader']) is None
    (tmp_path / 'msrvtt' / 'videos').rmdir()
    assert missing_data(cfg, ['train_dataloader']).startswith(
        f'data folder not found: {tmp_path}/msrvtt/videos'
    )
    assert missing_data(cfg, ['val_dataloader']) is None  # a loader the config lacks


def test_remote_paths_and_unknown_types_do_not_fail_the_check() -> None:
    cfg = config(
        test_dataloader=dict(
            dataset=dict(
                type='MyPluginDataset',
                data_root='s3://bucket/corpus',
                ann_file='train.csv',
                data_prefix=dict(video='videos'),
            )
        )
    )
    assert missing_data(cfg, ['test_dataloader']) is None


def test_the_data_readme_is_named_when_the_corpus_has_one() -> None:
    cfg = config(
        train_dataloader=dict(
            dataset=dict(
                type='WebVidDataset', data_root='/nowhere/data/webvid', ann_file='train.csv'
            )
        )
    )
    assert missing_data(cfg, ['train_dataloader']).endswith(
        'see tools/data/webvid/README.md for how to get it'
    )


def test_tools_print_one_line_from_any_directory(tmp_path: Path) -> None:
    env = {**os.environ, 'PYTHON': sys.executable, 'PORT': '29731'}
    runs = {
        'train': [
            sys.executable,
            str(ROOT / 'tools/train.py'),
            str(ROOT / 'configs/pretrain/moving_shapes.py'),
        ],
        'dist_train': [
            'bash',
            str(ROOT / 'tools/dist_train.sh'),
            str(ROOT / 'configs/pretrain/moving_shapes.py'),
            '2',
        ],
        'test': [
            sys.executable,
            str(ROOT / 'tools/test.py'),
            str(ROOT / 'configs/retrieval/msrvtt_9k.py'),
            'missing.pth',
        ],
    }
    for name, command in runs.items():
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 1, name
        assert result.stdout == '', (name, result.stdout)
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (name, result.stderr)
    assert lines == ['error: checkpoint not found: missing.pth']


def test_tar_shard_datasets_are_checked(tmp_path: Path) -> None:
    """The manifest and a shard list (neither was checked: the run failed on every rank after
    the model was built); a shard that vanished stays a counted sample failure at run time."""
    root = tmp_path / 'shards'
    root.mkdir()

    def problem(**dataset) -> str:
        dataset = dict(type='VideoTextShardDataset', data_root=str(root), **dataset)
        return missing_data(config(train_dataloader=dict(dataset=dataset)), ['train_dataloader'])

    assert problem(manifest='manifest.json').startswith(
        f'data file not found: {root}/manifest.json (set by train_dataloader.dataset.data_root='
    )
    assert problem(shards='list.txt').startswith(f'data file not found: {root}/list.txt')
    (root / 'list.txt').write_text('a.tar\nb.tar\n')
    assert problem(shards='list.txt') is None  # its shards are not required to exist
    assert problem(shards=['s3://bucket/list.txt', '{a,b}.tar']) is None
