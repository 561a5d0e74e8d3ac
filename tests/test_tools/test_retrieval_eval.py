"""Retrieval evaluation through the tools: 1 and 2 processes agree, --out holds rankings."""
import json
import os
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
