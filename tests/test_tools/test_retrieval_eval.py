"""Retrieval evaluation through the tools: 1 and 2 processes agree, --out holds rankings (strict
JSON) and is checked before evaluating, and a missing test video counts as a miss."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from test_dist_train import free_port

from vtp.registry import DATASETS, MODELS
from vtp.testing import repo_root, run_tool, write_frames, write_toy_config
from vtp.utils.pretrained import load_state_dict

ROOT = repo_root()


def reject_non_finite(token: str) -> None:
    """``json.loads``'s hook for NaN and +-Infinity, which strict JSON does not have."""
    raise ValueError(f'not JSON: {token}')


def load_test_tool():
    """tools/test.py as a module."""
    spec = importlib.util.spec_from_file_location('vtp_tools_test', ROOT / 'tools/test.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_and_two_processes_give_identical_results(tmp_path: Path, corpora_root: Path):
    """5 test clips over 2 processes: the sampler pads one rank with a duplicate, which must
    not count; re-ranking splits the queries between the processes. Clips are embedded one
    per batch in both runs: a batch of other clips changes a clip's embedding in the last
    bits (BLAS kernels depend on the batch size), which can reorder an untrained toy model's
    nearly tied scores."""
    toy = write_toy_config(
        tmp_path / 'toy.py', 'configs/retrieval/msrvtt_9k.py', iters=2, ckpt_interval=2
    )
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(toy), '--work-dir', str(work_dir), cwd=corpora_root)
    checkpoint = str(work_dir / 'iter_2.pth')
    one, two = tmp_path / 'one.json', tmp_path / 'two.json'
    one_per_batch = ['--cfg-options', 'test_dataloader.batch_size=1']
    run_tool(
        'tools/test.py',
        str(toy),
        checkpoint,
        '--work-dir',
        str(tmp_path / 'test1'),
        '--out',
        str(one),
        *one_per_batch,
        cwd=corpora_root,
    )
    env = {**os.environ, 'PYTHON': sys.executable, 'PORT': str(free_port()), 'OMP_NUM_THREADS': '1'}
    result = subprocess.run(
        [
            'bash',
            str(ROOT / 'tools/dist_test.sh'),
            str(toy),
            checkpoint,
            '2',
            '--work-dir',
            str(tmp_path / 'test2'),
            '--out',
            str(two),
            *one_per_batch,
        ],
        cwd=corpora_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    single, double = json.loads(one.read_text()), json.loads(two.read_text())
    assert single['metrics'] == double['metrics']
    assert {'retrieval/t2v_R1', 'retrieval/rerank_t2v_R1', 'retrieval/dsl_t2v_R1'} <= set(
        single['metrics']
    )
    assert single['predictions'] == double['predictions']
    predictions = single['predictions']
    assert [p['video_id'] for p in predictions] == [f'video{7000 + i}' for i in range(5)]
    assert predictions[0]['caption'] == 'a test clip number 0'
    for p in predictions:  # every clip once, best first
        assert sorted(p['top10']) == [f'video{7000 + i}' for i in range(5)]


def test_a_missing_video_counts_as_a_miss(tmp_path: Path, corpora_root: Path, monkeypatch):
    """Delete one of the 5 test videos after training: nothing is substituted, the log names
    the file, and the metrics equal a naive reference computed here from the model's own
    embeddings, with the missing clip never retrieved and its own caption and clip misses."""
    root = tmp_path / 'root'
    shutil.copytree(corpora_root, root)
    # Distinct clips (the fixture's are all the same grey ramp): with equal embeddings every
    # score would tie, and which tied score is larger would be float rounding, not the metric.
    rng = np.random.default_rng(0)
    for i in range(5):
        frames = list(rng.integers(0, 256, (12, 48, 64, 3), dtype=np.uint8))
        write_frames(root / f'data/msrvtt/videos/video{7000 + i}.mp4', frames, 8)
    toy = write_toy_config(
        tmp_path / 'toy.py', 'configs/retrieval/msrvtt_9k.py', iters=2, ckpt_interval=2
    )
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(toy), '--work-dir', str(work_dir), cwd=root)
    checkpoint = str(work_dir / 'iter_2.pth')
    (root / 'data/msrvtt/videos/video7002.mp4').unlink()
    out = tmp_path / 'new' / 'folder' / 'broken.json'  # --out creates its folder
    result = run_tool(
        'tools/test.py',
        str(toy),
        checkpoint,
        '--work-dir',
        str(tmp_path / 'test'),
        '--out',
        str(out),
        '--show-dir',
        str(tmp_path / 'show'),
        '--cfg-options',
        'test_dataloader.batch_size=1',
        cwd=root,
    )
    log = result.stdout + result.stderr
    assert re.search(r'missing sample \(counts as a miss\): \S*video7002\.mp4: missing file', log)
    assert re.search(r'data \(test\): 5 samples, 1 missing \(counted as misses\)', log)
    assert 'protocol: task retrieval | train frames' in log
    written = json.loads(out.read_text(), parse_constant=reject_non_finite)
    metrics, predictions = written['metrics'], written['predictions']
    assert metrics['retrieval/missing'] == 1
    # the missing clip is never retrieved, and its own caption is not ranked
    assert [p['missing'] for p in predictions] == [False, False, True, False, False]
    assert predictions[2]['top10'] == predictions[2]['scores'] == []
    for p in predictions[:2] + predictions[3:]:
        assert sorted(p['top10']) == [f'video{7000 + i}' for i in range(5) if i != 2]
    page = (tmp_path / 'show' / 'retrieval' / 'index.html').read_text()
    assert page.count('not ranked (its clip could not be read)') == 1
    assert page.count('ground truth at rank') == 4

    monkeypatch.chdir(root)
    cfg = Config.fromfile(str(toy))
    model = MODELS.build(cfg.model).eval()
    model.load_state_dict(load_state_dict(checkpoint))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    readable = [i for i in range(5) if i != 2]
    with torch.no_grad():
        embeds = [
            model.predict(**model.data_preprocessor(pseudo_collate([dataset[i]])))[0]
            for i in readable
        ]
    sim = [[float(a.text_embeds[0] @ b.video_embed) for b in embeds] for a in embeds]  # 4 x 4
    t2v = [sum(s >= row[i] for s in row) for i, row in enumerate(sim)] + [5]  # + the miss
    v2t = [1 + sum(sim[j][i] >= sim[i][i] for j in range(4) if j != i) for i in range(4)] + [5]
    for name, ranks in (('t2v', t2v), ('v2t', v2t)):
        assert metrics[f'retrieval/{name}_R1'] == 100 * sum(r <= 1 for r in ranks) / 5
        assert metrics[f'retrieval/{name}_MdR'] == sorted(ranks)[2]
        assert metrics[f'retrieval/{name}_MnR'] == sum(ranks) / 5


@pytest.mark.parametrize(
    'option, value, error',
    [
        ('--out', 'a_folder', r'--out \S*a_folder: is a directory'),
        ('--out', 'a_folder/', r'--out \S*a_folder/: is a directory'),
        ('--out', 'a_file/out.json', r'cannot create its folder \S*a_file: a file is in the way'),
        ('--show-dir', 'a_file', r'--show-dir \S*a_file: is a file'),
        ('--show-topk', '-3', r'argument --show-topk: must be at least 1, got -3'),
        ('--show-limit', '0', r'argument --show-limit: must be at least 1, got 0'),
    ],
)
def test_bad_output_options_are_refused_before_evaluating(
    tmp_path: Path, monkeypatch, capsys, option, value, error
):
    """A --out that cannot be written used to fail after the whole evaluation, and negative
    --show-* counts were taken; now the arguments are refused with one error line."""
    (tmp_path / 'a_folder').mkdir()
    (tmp_path / 'a_file').write_text('')
    tool = load_test_tool()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, 'argv', ['test.py', 'config.py', 'ckpt.pth', option, value])
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args()
    assert exit_info.value.code == 2
    assert re.search(error, capsys.readouterr().err.splitlines()[-1])


def test_out_in_a_new_folder_is_created_and_an_existing_file_kept(tmp_path: Path, monkeypatch):
    """The folder of --out is made before evaluating; an existing file is only checked."""
    tool = load_test_tool()
    monkeypatch.setenv('LOCAL_RANK', '0')  # parse_args sets it: restored after the test
    existing = tmp_path / 'old.json'
    existing.write_text('{"kept": 1}')
    for out in (tmp_path / 'new' / 'out.json', existing):
        argv = ['test.py', 'config.py', 'ckpt.pth', '--out', str(out)]
        monkeypatch.setattr(sys, 'argv', argv)
        assert tool.parse_args().out == str(out)
    assert (tmp_path / 'new').is_dir() and not (tmp_path / 'new' / 'out.json').exists()
    assert existing.read_text() == '{"kept": 1}'  # not truncated
    assert sorted(os.listdir(tmp_path)) == ['new', 'old.json']  # no probe file left


def test_an_existing_out_in_a_folder_that_takes_no_file_is_refused(tmp_path: Path, monkeypatch):
    """--out is written beside its target and renamed (whole or not at all): a writable
    existing file is not enough, its folder must take a new file."""
    tool = load_test_tool()
    existing = tmp_path / 'old.json'
    existing.write_text('{}')

    def folder_refuses(dir):
        assert dir == str(tmp_path)
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(tool.tempfile, 'TemporaryFile', folder_refuses)
    assert tool.unwritable(str(existing)) == 'cannot be written (Permission denied)'
    link = tmp_path / 'elsewhere' / 'link.json'
    link.parent.mkdir()
    link.symlink_to(existing)  # the folder checked is the target's, where the file is written
    assert tool.unwritable(str(link)) == 'cannot be written (Permission denied)'
    assert tool.unwritable('') == 'empty, give a file name'  # --out "" wrote nothing, silently
