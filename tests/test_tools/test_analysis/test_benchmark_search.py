"""tools/analysis/benchmark_search.py on a small clustered gallery, in this process: exact
search is its own reference (recall 1), and IVF finds the neighbours of clustered vectors."""

import re

import pytest

from vtp.testing import import_tool

pytest.importorskip('faiss', reason='faiss-cpu (requirements/optional.txt) is not installed')
benchmark = import_tool('tools/analysis/benchmark_search.py')


def test_prints_every_index_kind_with_recall(capsys):
    benchmark.main(['--sizes', '3000', '--dim', '32', '--clusters', '30', '--queries', '20',
                    '--nprobe', '8', '--pq-m', '8'])  # fmt: skip
    rows = dict(
        re.findall(r'\n\s+3000\s+(\w+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)', capsys.readouterr().out)
    )
    assert set(rows) == {'flat', 'ivf', 'ivfpq'}
    assert float(rows['flat']) == 1.0
    assert float(rows['ivf']) >= 0.9
