"""tools/analysis/seed_sweep.py: each seed trained and tested once (its metrics reused by a
rerun, an interrupted or untested seed finished, a seed of another recipe refused), statistics
equal to a naive computation, a failed run named with its own output, non-finite metrics and
contradictory arguments refused."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from vtp.testing import import_tool, repo_root, write_toy_config

ROOT = repo_root()

sweep = import_tool('tools/analysis/seed_sweep.py')


def test_summary_is_the_naive_statistics_of_numeric_metrics():
    per_seed = {
        0: {'t2v': 91.0, 'acc': 50, 'name': 'x', 'flag': True},
        1: {'t2v': 99.0, 'acc': 70},
        2: {'t2v': 95.5},
    }
    summary = sweep.summarize(per_seed)
    assert list(summary) == ['t2v', 'acc']  # strings and booleans are not metrics
    t2v = [91.0, 99.0, 95.5]
    assert summary['t2v']['mean'] == pytest.approx(sum(t2v) / 3)
    mean = sum(t2v) / 3
    assert summary['t2v']['std'] == pytest.approx((sum((v - mean) ** 2 for v in t2v) / 2) ** 0.5)
    assert (summary['t2v']['min'], summary['t2v']['max']) == (91.0, 99.0)
    assert summary['acc']['values'] == {0: 50, 1: 70}  # seed 2 does not report it
    assert sweep.summarize({4: {'t2v': 90.0}})['t2v']['std'] is None  # one seed: no spread
    text = sweep.table(summary, [0, 1, 2])
    assert '| t2v | 95.17 | 4.01 | 91 | 99 | 91 | 99 | 95.5 |' in text
    assert '| acc | 60 | 14.14 | 50 | 70 | 50 | 70 |  |' in text


def test_a_sweep_trains_and_tests_each_seed_once(tmp_path, moving_shapes_root, monkeypatch, capsys):
    """The real tools, for one seed (the fakes below stand in for them with several)."""
    config = write_toy_config(
        tmp_path / 'toy.py', 'configs/pretrain/moving_shapes.py', moving_shapes_root, iters=2
    )
    work = tmp_path / 'sweep'
    argv = [str(config), '--work-dir', str(work), '--seeds', '5']
    argv += ['--cfg-options', 'train_cfg.max_iters=1']
    sweep.main(argv)
    summary = json.loads((work / 'summary.json').read_text())
    assert summary['seeds'] == [5] and summary['cfg_options'] == ['train_cfg.max_iters=1']
    run = work / 'seed_5'
    assert (run / 'iter_1.pth').is_file() and not (run / 'iter_2.pth').exists()
    assert Config.fromfile(str(run / 'toy.py')).randomness.seed == 5
    metrics = json.loads((run / 'metrics.json').read_text())['metrics']
    assert 'retrieval/t2v_R1' in metrics
    for name, value in metrics.items():
        assert summary['metrics'][name]['values'] == {'5': value}
        assert summary['metrics'][name]['mean'] == value

    def no_run(*args, **kwargs):
        raise AssertionError(f'a finished seed ran again: {args}')

    monkeypatch.setattr(subprocess, 'run', no_run)
    capsys.readouterr()
    sweep.main(argv)
    assert 'metrics already in' in capsys.readouterr().out


class FakeTools:
    """Stands in for tools/train.py and tools/test.py: records each command, writes what the
    real tools would (``metrics`` as test.py's output), or fails with ``fail_code``."""

    def __init__(self, fail_code: int = 0, metrics=None) -> None:
        self.commands = []
        self.fail_code = fail_code
        self.metrics = {'t2v': 90.0} if metrics is None else metrics

    def __call__(self, command, stdout, stderr):
        self.commands.append(command)
        stdout.write(f'output of command {len(self.commands)}\n')
        if self.fail_code:
            return subprocess.CompletedProcess(command, self.fail_code)
        if 'train' in Path(command[1]).name:
            run_dir = Path(command[command.index('--work-dir') + 1])
            (run_dir / 'last_checkpoint').write_text(str(run_dir / 'iter_4.pth'))
        else:
            out = Path(command[command.index('--out') + 1])
            out.write_text(json.dumps(dict(metrics=self.metrics)))
        return subprocess.CompletedProcess(command, 0)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text('lr = 1\n')
    return str(path)


def run_sweep(tools, monkeypatch, *argv):
    monkeypatch.setattr(subprocess, 'run', tools)
    sweep.main(list(argv))
    return tools.commands


def test_an_interrupted_or_untested_seed_is_finished(tmp_path, config, monkeypatch):
    work = tmp_path / 'sweep'
    run_sweep(FakeTools(), monkeypatch, config, '--work-dir', str(work), '--seeds', '3')
    run_dir = work / 'seed_3'
    (run_dir / 'metrics.json').write_text('{"metrics": {"t2v": ')  # killed while written
    (run_dir / 'last_checkpoint').write_text(str(run_dir / 'iter_2.pth'))
    train, test = run_sweep(
        FakeTools(), monkeypatch, config, '--work-dir', str(work), '--seeds', '3'
    )
    assert train[train.index('--resume') + 1] == str(run_dir)
    assert test[3] == str(run_dir / 'iter_4.pth')  # the checkpoint the finished run wrote
    assert json.loads((work / 'summary.json').read_text())['metrics']['t2v']['mean'] == 90.0


@pytest.mark.parametrize('change', ['options', 'config text'])
def test_a_seed_of_another_recipe_is_refused(tmp_path, config, monkeypatch, change):
    work = str(tmp_path / 'sweep')
    run_sweep(FakeTools(), monkeypatch, config, '--work-dir', work, '--seeds', '0')
    argv = [config, '--work-dir', work, '--seeds', '0', '1']
    if change == 'options':
        argv += ['--cfg-options', 'lr=2']
    else:
        Path(config).write_text('lr = 2\n')
    with pytest.raises(SystemExit) as stop:
        run_sweep(FakeTools(), monkeypatch, *argv)
    assert 'holds a run of another recipe (its config with the options merged differs' in str(
        stop.value.code
    )
    assert not (tmp_path / 'sweep' / 'seed_1').exists()


def test_the_recipe_hash_ignores_option_order_and_the_process(tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text("heads = {'itc', 'itm', 'mlm', 'vtc', 'qa'}\nstep = dict(fn=print)\n")
    argv = [str(config), '--work-dir', str(tmp_path), '--cfg-options']
    first = sweep.recipe(sweep.parse_args(argv + ['a=1', 'b=[1,2]']))
    assert sweep.recipe(sweep.parse_args(argv + ['b=[1,2]', 'a=1'])) == dict(
        first, cfg_options=['b=[1,2]', 'a=1']
    )
    assert (
        sweep.recipe(sweep.parse_args(argv + ['a=2', 'b=[1,2]']))['config_sha256']
        != (first['config_sha256'])
    )
    script = (
        'import sys; sys.path.insert(0, sys.argv[1]); import seed_sweep as s; '
        'print(s.recipe(s.parse_args(sys.argv[2:]))["config_sha256"])'
    )
    hashes = {
        subprocess.run(
            [sys.executable, '-c', script, str(ROOT / 'tools' / 'analysis'), *argv, 'a=1'],
            env={**os.environ, 'PYTHONHASHSEED': seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ('1', '2', '3')
    }
    assert len(hashes) == 1  # a set in the config is not printed in hash order


@pytest.mark.parametrize('record', [b'{"config_sha', b'\xff', b'[1]'])
def test_a_damaged_record_is_refused(tmp_path, config, monkeypatch, record):
    run_sweep(FakeTools(), monkeypatch, config, '--work-dir', str(tmp_path), '--seeds', '0')
    (tmp_path / 'seed_0' / 'sweep.json').write_bytes(record)
    with pytest.raises(SystemExit) as stop:
        run_sweep(FakeTools(), monkeypatch, config, '--work-dir', str(tmp_path), '--seeds', '0')
    assert 'sweep.json' in str(stop.value.code)


def test_a_folder_not_made_by_the_sweep_is_refused(tmp_path, config, monkeypatch):
    (tmp_path / 'seed_0').mkdir()
    (tmp_path / 'seed_0' / 'iter_10.pth').write_bytes(b'someone else')
    with pytest.raises(SystemExit) as stop:
        run_sweep(FakeTools(), monkeypatch, config, '--work-dir', str(tmp_path), '--seeds', '0')
    assert 'not made by this tool' in str(stop.value.code)


def test_a_failed_run_stops_the_sweep_with_its_own_output(tmp_path, config, monkeypatch):
    work = tmp_path / 'sweep'
    run_sweep(FakeTools(), monkeypatch, config, '--work-dir', str(work), '--seeds', '0')
    (work / 'seed_0' / 'metrics.json').unlink()
    with pytest.raises(SystemExit) as stop:
        run_sweep(FakeTools(fail_code=3), monkeypatch, config, '--work-dir', str(work))
    message = str(stop.value.code)
    assert 'train.py exited with 3' in message
    assert str(work / 'seed_0' / 'sweep.log') in message
    assert 'output of command 1' in message and 'output of command 2' not in message
    assert not (work / 'seed_1').exists()


def test_a_non_finite_metric_stops_the_sweep(tmp_path, config, monkeypatch):
    tools = FakeTools(metrics={'t2v': float('nan')})
    with pytest.raises(SystemExit, match=r't2v is not a finite number for seeds \[0\]'):
        run_sweep(tools, monkeypatch, config, '--work-dir', str(tmp_path), '--seeds', '0')


def test_options_given_twice_are_all_passed_on(tmp_path, config, monkeypatch):
    argv = ['--cfg-options', 'a=1', '--cfg-options', 'b=2']
    train, test = run_sweep(
        FakeTools(), monkeypatch, config, '--work-dir', str(tmp_path), '--seeds', '0', *argv
    )
    for command in (train, test):
        assert command[-3:] == ['randomness.seed=0', 'a=1', 'b=2']


def test_several_gpus_run_through_the_distributed_scripts(tmp_path, config, monkeypatch):
    argv = [config, '--work-dir', str(tmp_path), '--seeds', '2', '--gpus', '8']
    train, test = run_sweep(FakeTools(), monkeypatch, *argv)
    assert train[:4] == ['bash', str(ROOT / 'tools' / 'dist_train.sh'), config, '8']
    run_dir = str(tmp_path / 'seed_2')
    checkpoint = str(tmp_path / 'seed_2' / 'iter_4.pth')
    assert test[:5] == ['bash', str(ROOT / 'tools' / 'dist_test.sh'), config, checkpoint, '8']
    assert train[4:6] == ['--work-dir', run_dir] and '--out' in test


@pytest.mark.parametrize(
    'extra, message',
    [
        (['--seeds', '1', '1'], 'lists a seed twice'),
        (['--gpus', '0'], '--gpus must be >= 1'),
        (['--cfg-options', 'randomness.seed=4'], 'randomness.seed is set by --seeds'),
        (['--cfg-options', 'work_dir=elsewhere'], "work_dir is each seed's folder"),
        (['--cfg-options', 'lr=1', 'resume=True'], 'resume is decided by the sweep'),
        (['--cfg-options', 'lr'], 'not KEY=VALUE pairs'),
    ],
)
def test_contradictory_arguments_are_refused(tmp_path, config, capsys, extra, message):
    with pytest.raises(SystemExit):
        sweep.main([config, '--work-dir', str(tmp_path), *extra])
    assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sweep.main([str(tmp_path / 'absent.py'), '--work-dir', str(tmp_path)])
    assert 'config not found: ' in capsys.readouterr().err
    (tmp_path / 'file').write_text('')
    with pytest.raises(SystemExit):
        sweep.main([config, '--work-dir', str(tmp_path / 'file')])
    assert 'file: a file, give a folder' in capsys.readouterr().err
