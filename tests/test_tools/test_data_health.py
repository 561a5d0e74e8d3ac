"""tools/train.py over corpora with broken media: runs complete, summaries count the broken
files exactly, per-corpus counts follow the ratios, and too many failures stop the run."""

import glob
import re
from pathlib import Path

import pytest

from vtp.testing import (
    read_scalars,
    run_tool,
    write_cc3m,
    write_msrvtt,
    write_tokenizers,
    write_toy_config,
    write_webvid,
)

BROKEN = {
    1003: 'missing file',
    1011: 'empty file',
    1024: 'undecodable video',
    1037: 'undecodable video',
}  # 4 of 40 videos: 10%


def video(root: Path, videoid: int) -> Path:
    return next((root / 'data' / 'webvid' / 'videos').glob(f'*/{videoid}.mp4'))


@pytest.fixture(scope='module')
def broken_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """WebVid (40 clips, 10% broken), CC3M, MSRVTT test and tokenizers under one root."""
    root = tmp_path_factory.mktemp('broken')
    for name, writer in (
        ('webvid', lambda d: write_webvid(d, num=40)),
        ('cc3m', write_cc3m),
        ('msrvtt', write_msrvtt),
    ):
        (root / 'data' / name).mkdir(parents=True)
        writer(root / 'data' / name)
    write_tokenizers(root)
    video(root, 1003).unlink()
    video(root, 1011).write_bytes(b'')
    whole = video(root, 1024).read_bytes()
    video(root, 1024).write_bytes(whole[: len(whole) // 2])  # download cut off half-way
    video(root, 1037).write_text('<html>404 Not Found</html>')
    return root


def train(root: Path, config: str, tmp_path: Path, iters: int, extra: str = '') -> str:
    toy = write_toy_config(
        tmp_path / 'toy.py', config, iters=iters, ckpt_interval=iters, extra=extra
    )
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', str(toy), '--work-dir', work_dir, cwd=root)
    return work_dir


def log_text(work_dir: str) -> str:
    return Path(glob.glob(f'{work_dir}/*/*.log')[0]).read_text()


def test_training_over_broken_videos_completes_and_counts_them(broken_root, tmp_path):
    # 10 iterations of 4: one pass over the 40 clips, so each broken clip is met once.
    work_dir = train(broken_root, 'configs/pretrain/webvid2m.py', tmp_path, iters=10)
    log = log_text(work_dir)
    assert [r['iter'] for r in read_scalars(work_dir) if 'loss' in r] == list(range(1, 11))
    for videoid, reason in BROKEN.items():
        lines = [line for line in log.splitlines() if f'/{videoid}.mp4: {reason}' in line]
        assert len(lines) == 1, (videoid, lines)  # logged once, in one line
    summary = re.search(
        r'data \(train\): (\d+) samples, (\d+) replaced \((\d+) failed reads\) '
        r'because of (\d+) broken files: (.*)',
        log,
    )
    assert summary, log[-3000:]
    samples, replaced, failed, files, why = summary.groups()
    assert (samples, replaced, files) == ('40', '4', '4')
    assert int(failed) >= 4  # a replacement may itself be broken
    assert why.strip() == 'empty file 1, missing file 1, undecodable video 2'
    assert 'Traceback' not in log


def test_too_many_failures_stop_the_run(broken_root, tmp_path):
    extra = (
        "custom_hooks = [dict(type='RNGStateHook'), dict(type='DataHealthHook', "
        'max_failure_ratio=0.02, min_samples=8)]\n'
    )
    with pytest.raises(
        AssertionError,
        match='sample reads failed, more than '
        r'max_failure_ratio=0.02',
    ):
        train(broken_root, 'configs/pretrain/webvid2m.py', tmp_path, iters=10, extra=extra)


def test_mixed_images_and_videos_follow_the_ratios(broken_root, tmp_path):
    """CC3M images and WebVid videos, half and half: every batch of 4 holds 2 of each."""
    work_dir = train(broken_root, 'configs/pretrain/cc3m_webvid2m.py', tmp_path, iters=6)
    rows = [r for r in read_scalars(work_dir) if 'loss' in r]
    assert [(r['corpus/cc3m'], r['corpus/webvid2m']) for r in rows] == [(50.0, 50.0)] * 6
    assert (
        'per corpus: cc3m 12 (50.0%, configured 50.0%), webvid2m 12 (50.0%, configured '
        '50.0%)' in log_text(work_dir)
    )
