"""tools/analysis/benchmark_shards.py on a few tiny synthetic clips, in this process: it reads
them as files and as shards (every clip decodes: an unreadable one stops it) and prints both
rows and the simulated shard lists (columns and rows, not timings)."""

import re

from vtp.testing import import_tool

benchmark = import_tool('tools/analysis/benchmark_shards.py')


def test_prints_files_and_shards_rows_and_simulated_lists(capsys):
    benchmark.main(
        [
            '--num-clips', '6', '--clip-frames', '8', '--clip-size', '64', '48',
            '--samples-per-shard', '4', '--frames', '2', '--crop', '32', '--workers', '0',
            '--batch-size', '2', '--batches', '1', '--rounds', '1', '--simulate', '1e3,2.5e4',
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert '6 synthetic clips (64x48, 8 frames)' in out and '4 per shard' in out
    assert re.search(r'source\s+clips/s/worker\s+first batch s\s+resume s\s+worker PSS MB', out)
    for source in ('files', 'shards'):
        assert re.search(rf'\n{source}\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\n', out), source
    assert 'resume at stream position 10: pass 2, 2 samples before its end' in out
    rows = re.findall(r'\n\s+([\d,]+)\s+([\d,]+)\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+[\d.]+', out)
    assert [(samples, shards) for samples, shards, _ in rows] == [('1,000', '1'), ('25,000', '25')]
