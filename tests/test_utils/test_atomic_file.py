"""write_atomically: the file appears whole; a write that fails or is interrupted leaves the
old file (or none) and no partial file."""

import os

import pytest

from vtp.utils.atomic_file import write_atomically


@pytest.mark.parametrize('binary', [False, True])
def test_the_file_appears_whole(tmp_path, binary):
    path = str(tmp_path / 'out.json')
    data = 'ünï\r\n{}' if not binary else b'\x00\xff'
    write_atomically(path, lambda f: f.write(data), binary=binary)
    with open(path, 'rb') as f:
        assert f.read() == (data.encode() if not binary else data)  # newlines as written
    assert os.listdir(tmp_path) == ['out.json']


@pytest.mark.parametrize('error', [OSError('disk full'), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_partial_one(tmp_path, error):
    path = str(tmp_path / 'out.json')
    write_atomically(path, lambda f: f.write('old'))

    def fail(f):
        f.write('half of the new')
        raise error

    with pytest.raises(type(error)):
        write_atomically(path, fail)
    assert open(path).read() == 'old'
    assert os.listdir(tmp_path) == ['out.json']
    with pytest.raises(type(error)):
        write_atomically(str(tmp_path / 'new.json'), fail)
    assert os.listdir(tmp_path) == ['out.json']
