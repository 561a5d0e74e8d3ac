"""write_atomically: the file appears whole; a write that fails or is interrupted leaves the
old file (or none) and no partial file; a symbolic link is followed, an existing file keeps its
mode, and concurrent writers in one process do not collide."""

import os
import stat
import threading

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


def test_a_link_is_followed_and_the_mode_kept(tmp_path):
    target = tmp_path / 'real.json'
    target.write_text('old')
    os.chmod(target, 0o600)
    link = tmp_path / 'link.json'
    link.symlink_to(target)
    write_atomically(str(link), lambda f: f.write('new'))
    assert link.is_symlink() and target.read_text() == 'new'
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    fresh = tmp_path / 'fresh.json'
    write_atomically(str(fresh), lambda f: f.write('x'))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o666 & ~umask  # as a plain open()
    assert sorted(os.listdir(tmp_path)) == ['fresh.json', 'link.json', 'real.json']


def test_concurrent_writers_of_one_process_each_write_a_whole_file(tmp_path):
    path = str(tmp_path / 'manifest.json')
    errors = []
    texts = [str(i) * 100_000 for i in range(8)]

    def write(text):
        try:
            write_atomically(path, lambda f: f.write(text))
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert open(path).read() in texts
    assert os.listdir(tmp_path) == ['manifest.json']
