"""Shared fixtures: a tiny moving-shapes data set and tiny copies of the public corpora."""

import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest

from vtp.testing import repo_root, write_corpora

ROOT = repo_root()


@pytest.fixture(scope='session')
def moving_shapes_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A moving-shapes data set with 24 training clips and the 100 test clips, and questions
    about them (make_questions.py)."""
    out = tmp_path_factory.mktemp('moving_shapes')
    subprocess.run(
        [
            sys.executable,
            str(ROOT / 'tools/data/moving_shapes/generate.py'),
            '--out-dir',
            str(out),
            '--num-train',
            '24',
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            str(ROOT / 'tools/data/moving_shapes/make_questions.py'),
            '--data-dir',
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert osp.isfile(out / 'train.csv')
    return str(out)


@pytest.fixture(scope='session')
def corpora_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny copies of every pre-training corpus (and MSRVTT test) in their released formats,
    under ``<root>/data``, with local tokenizer folders in ``<root>`` (see
    ``vtp.testing.corpus_fixtures``)."""
    root = tmp_path_factory.mktemp('corpora')
    write_corpora(root)
    return root
