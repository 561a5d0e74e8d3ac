"""tools/analysis/benchmark_data.py on a folder of two tiny clips: it times the three pipelines
on the raw and the re-encoded clips and prints its table (columns and rows, not timings)."""

import re

from vtp.testing import run_tool, write_mp4


def test_prints_table_for_raw_and_reencoded_clips(tmp_path):
    for name in ('a', 'b'):
        write_mp4(tmp_path / 'clips' / f'{name}.mp4', num_frames=12)
    out = run_tool(
        'tools/analysis/benchmark_data.py',
        str(tmp_path / 'clips'),
        '--frames',
        '4',
        '--size',
        '32',
        '--rounds',
        '1',
        '--step-time',
        '0.1',
        '--batch',
        '8',
        '--per-clip',
    ).stdout
    assert '2 clips under' in out and 'resized to 37, cropped to 32' in out
    assert re.search(r'clips\s+pipeline\s+ms/clip\s+vs mmaction2\s+workers', out)
    for clips in ('raw (2)', 're-encoded (2)'):
        for pipeline in ('mmaction2', 'vtp decord', 'vtp pyav'):
            row = rf'{re.escape(clips)}\s+{pipeline}\s+[\d.]+\s+[\d.]+x\s+\d+'
            assert re.search(row, out), (clips, pipeline, out)
    assert re.search(r'a\.mp4 \(64x48, 12 fr\): mmaction2 [\d.]+ \(1\.00x\)', out)
