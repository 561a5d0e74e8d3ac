"""tools/train.py over WebVid clips mixed with every kind of broken video vtp knows and with
phone videos stored turned (display rotation 90, 180, 270): the run completes, its data-health
summary counts exactly the broken clips by reason, and the turned clips come out upright."""

import glob
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from vtp.registry import DATASETS
from vtp.testing import (
    box_payload,
    corrupt_stream,
    read_scalars,
    run_tool,
    set_codec,
    set_display_matrix,
    write_audio_only_mp4,
    write_frames,
    write_init_segment,
    write_mp4,
    write_msrvtt,
    write_rotated_mp4,
    write_tokenizers,
    write_toy_config,
    write_webvid,
    zero_durations,
)

NUM_CLIPS = 24  # 6 iterations of 4: one pass, each clip met once


def cut_in_half(path: Path) -> None:
    """A download cut off half-way (the mp4 index is at the end)."""
    write_mp4(path, num_frames=8)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def overflow_time_table(path: Path) -> None:
    """One corrupt byte that makes decord abort the process unless vtp refuses the file."""
    rng = np.random.RandomState(0)
    write_frames(
        path,
        [rng.randint(0, 256, (48, 64, 3)).astype(np.uint8) for _ in range(8)],
        movflags='faststart',
    )
    data = bytearray(path.read_bytes())
    start, _ = box_payload(data, b'stts')
    struct.pack_into('>I', data, start + 4, 244)
    path.write_bytes(data)


BROKEN = {  # videoid: (how to break it, reason)
    1001: (write_audio_only_mp4, 'no video stream'),
    1003: (write_init_segment, 'video without frames'),
    1005: (lambda p: zero_durations(write_mp4(p, num_frames=8)), 'zero duration'),
    1008: (cut_in_half, 'undecodable video'),
    1010: (lambda p: p.write_bytes(np.random.RandomState(1).bytes(2000)), 'undecodable video'),
    1012: (overflow_time_table, 'undecodable video'),
    1014: (lambda p: corrupt_stream(write_mp4(p, num_frames=8)), 'undecodable frames'),
    1016: (lambda p: set_codec(write_mp4(p, num_frames=8), b'av01'), 'unsupported codec'),
    1018: (
        lambda p: set_display_matrix(write_mp4(p, num_frames=8), (-1, 0, 0, 1)),
        'unsupported rotation',
    ),
}
ROTATED = {1020: 90, 1021: 180, 1022: 270}


def halves(level: int) -> np.ndarray:
    """(96, 64, 3): red upper half, blue lower half, in every frame (``level`` unused). Resized
    to 256 x 384 and cropped to 224, flipped or not, it still has red on top, blue below."""
    picture = np.zeros((96, 64, 3), np.uint8)
    picture[:48, :, 0] = picture[48:, :, 2] = 255
    return picture


def video(root: Path, videoid: int) -> Path:
    return next((root / 'data' / 'webvid' / 'videos').glob(f'*/{videoid}.mp4'))


@pytest.fixture(scope='module')
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp('hostile')
    for name, writer in (
        ('webvid', lambda d: write_webvid(d, num=NUM_CLIPS)),
        ('msrvtt', write_msrvtt),
    ):
        (root / 'data' / name).mkdir(parents=True)
        writer(root / 'data' / name)
    write_tokenizers(root)
    for videoid, (write, _) in BROKEN.items():
        path = video(root, videoid)
        path.unlink()
        write(path)
    for videoid, rotation in ROTATED.items():
        write_rotated_mp4(video(root, videoid), rotation, num_frames=8, picture=halves)
    return root


def test_training_over_hostile_media_completes_and_counts_them(hostile_root, tmp_path, monkeypatch):
    toy = write_toy_config(
        tmp_path / 'toy.py',
        'configs/pretrain/webvid2m.py',
        iters=NUM_CLIPS // 4,
        ckpt_interval=NUM_CLIPS // 4,
    )
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', str(toy), '--work-dir', work_dir, cwd=hostile_root)
    log = Path(glob.glob(f'{work_dir}/*/*.log')[0]).read_text()
    assert [r['iter'] for r in read_scalars(work_dir) if 'loss' in r] == [1, 2, 3, 4, 5, 6]
    assert 'Traceback' not in log
    for videoid, (_, reason) in BROKEN.items():
        lines = [line for line in log.splitlines() if f'/{videoid}.mp4: {reason}' in line]
        assert len(lines) == 1, (videoid, reason, lines)  # logged once, in one line
    summary = re.search(
        r'data \(train\): (\d+) samples, (\d+) replaced \((\d+) failed reads\) '
        r'because of (\d+) broken files: (.*)',
        log,
    )
    assert summary, log[-3000:]
    print(summary.group(0))
    samples, replaced, failed, files, why = summary.groups()
    assert (int(samples), int(replaced), int(files)) == (NUM_CLIPS, len(BROKEN), len(BROKEN))
    assert int(failed) >= len(BROKEN)  # a replacement may itself be broken
    assert why.strip() == (
        'no video stream 1, undecodable frames 1, undecodable video 3, '
        'unsupported codec 1, unsupported rotation 1, '
        'video without frames 1, zero duration 1'
    )

    # The turned clips through the run's own training pipeline (decode, resize, crop, flip).
    monkeypatch.chdir(hostile_root)
    dataset = DATASETS.build(Config.fromfile(str(toy)).train_dataloader.dataset)
    names = [Path(dataset.get_data_info(i)['filename']).stem for i in range(len(dataset))]
    for videoid in ROTATED:
        sample = dataset[names.index(str(videoid))]
        assert 'failures' not in sample['data_samples'].metainfo
        clip = sample['inputs']['video'].numpy().astype(int)  # (T, H, W, 3)
        assert clip.shape[1:] == (224, 224, 3)
        top, bottom = clip[:, :8].mean(axis=(0, 1, 2)), clip[:, -8:].mean(axis=(0, 1, 2))
        assert top[0] > 200 and top[2] < 50, (videoid, top)  # red on top
        assert bottom[2] > 200 and bottom[0] < 50, (videoid, bottom)  # blue at the bottom
