"""Retrieval evaluation through the tools: 1 and 2 processes agree, --out holds rankings, and
a missing test video counts as a miss."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from test_dist_train import free_port
from toy_runs import ROOT, run_tool, write_toy_config


def test_one_and_two_processes_give_identical_results(tmp_path: Path, corpora_root: Path):
    """5 test clips over 2 processes: the sampler pads one rank with a duplicate, which must
    not count; re-ranking splits the queries between the processes. Clips are embedded one
    per batch in both runs: a batch of other clips changes a clip's embedding in the last
    bits (BLAS kernels depend on the batch size), which can reorder an untrained toy model's
    nearly tied scores."""
    toy = write_toy_config(tmp_path / 'toy.py', 'configs/retrieval/msrvtt_9k.py', iters=2,
                           ckpt_interval=2)
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(toy), '--work-dir', str(work_dir), cwd=corpora_root)
    checkpoint = str(work_dir / 'iter_2.pth')
    one, two = tmp_path / 'one.json', tmp_path / 'two.json'
    one_per_batch = ['--cfg-options', 'test_dataloader.batch_size=1']
    run_tool('tools/test.py', str(toy), checkpoint, '--work-dir', str(tmp_path / 'test1'),
             '--out', str(one), *one_per_batch, cwd=corpora_root)
    env = {**os.environ, 'PYTHON': sys.executable, 'PORT': str(free_port()),
           'OMP_NUM_THREADS': '1'}
    result = subprocess.run(['bash', str(ROOT / 'tools/dist_test.sh'), str(toy), checkpoint, '2',
                             '--work-dir', str(tmp_path / 'test2'), '--out', str(two),
                             *one_per_batch],
                            cwd=corpora_root, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    single, double = json.loads(one.read_text()), json.loads(two.read_text())
    assert single['metrics'] == double['metrics']
    assert {'retrieval/t2v_R1', 'retrieval/rerank_t2v_R1', 'retrieval/dsl_t2v_R1'} <= \
        set(single['metrics'])
    assert single['predictions'] == double['predictions']
    predictions = single['predictions']
    assert [p['video_id'] for p in predictions] == [f'video{7000 + i}' for i in range(5)]
    assert predictions[0]['caption'] == 'a test clip number 0'
    for p in predictions:  # every clip once, best first
        assert sorted(p['top10']) == [f'video{7000 + i}' for i in range(5)]


def test_a_missing_video_counts_as_a_miss(tmp_path: Path, corpora_root: Path):
    """Delete one of the 5 test videos after training: nothing is substituted, the log names
    the file, and the metrics equal a naive reference built from the intact run's rankings,
    with the missing clip ranked last for every caption and its own caption a miss."""
    root = tmp_path / 'root'
    shutil.copytree(corpora_root, root)
    toy = write_toy_config(tmp_path / 'toy.py', 'configs/retrieval/msrvtt_9k.py', iters=2,
                           ckpt_interval=2)
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(toy), '--work-dir', str(work_dir), cwd=root)
    checkpoint = str(work_dir / 'iter_2.pth')
    intact, broken = tmp_path / 'intact.json', tmp_path / 'broken.json'
    one_per_batch = ['--cfg-options', 'test_dataloader.batch_size=1']
    run_tool('tools/test.py', str(toy), checkpoint, '--work-dir', str(tmp_path / 'test1'),
             '--out', str(intact), *one_per_batch, cwd=root)
    (root / 'data/msrvtt/videos/video7002.mp4').unlink()
    result = run_tool('tools/test.py', str(toy), checkpoint, '--work-dir',
                      str(tmp_path / 'test2'), '--out', str(broken), *one_per_batch, cwd=root)
    log = result.stdout + result.stderr
    assert re.search(r'missing sample \(counts as a miss\): \S*video7002\.mp4: missing file', log)
    assert re.search(r'data \(test\): 5 samples, 1 missing \(counted as misses\)', log)
    metrics = json.loads(broken.read_text())['metrics']
    assert metrics['retrieval/missing'] == 1

    ranks = []
    for p in json.loads(intact.read_text())['predictions']:
        order = [v for v in p['top10'] if v != 'video7002'] + ['video7002']
        ranks.append(5 if p['video_id'] == 'video7002' else order.index(p['video_id']) + 1)
    expected = {'R1': 100 * sum(r <= 1 for r in ranks) / 5,
                'R5': 100 * sum(r <= 5 for r in ranks) / 5,
                'MdR': float(sorted(ranks)[2]), 'MnR': sum(ranks) / 5}
    for key, value in expected.items():
        assert metrics[f'retrieval/rerank_t2v_{key}'] == value, (key, ranks)
    assert ranks[2] == 5
