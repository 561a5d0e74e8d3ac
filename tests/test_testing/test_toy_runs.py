"""Tests for ``vtp.testing.toy_runs``: finding the source checkout."""

from pathlib import Path

import pytest

import vtp
from vtp.testing import repo_root, toy_runs


def test_repo_root_is_the_checkout_vtp_is_imported_from():
    root = repo_root()
    assert root == Path(vtp.__file__).resolve().parents[1]
    assert (root / 'configs').is_dir() and (root / 'tools' / 'train.py').is_file()


def test_repo_root_of_an_installed_copy_is_an_error(tmp_path, monkeypatch):
    installed = tmp_path / 'site-packages' / 'vtp' / 'testing' / 'toy_runs.py'
    monkeypatch.setattr(toy_runs, '__file__', str(installed))
    with pytest.raises(FileNotFoundError, match=r'no configs/ or tools/.*pip install -e \.'):
        repo_root()
