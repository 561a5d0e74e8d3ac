"""Tests for ``OpenVideo(cache_mb=...)``: decoded clips kept in memory give the frames the file
gives, read no file on later visits, notice a rewritten file, keep clips while they fit, and
never make a sample fail that decodes without the cache."""

import os
import pickle
from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import DecodeVideo, OpenVideo
from vtp.datasets.transforms import open_video as open_video_module
from vtp.datasets.transforms.clip_cache import ClipCache
from vtp.testing import HEIGHT, WIDTH, corrupt_stream, logged_lines, write_mp4

CLIP_BYTES = 12 * HEIGHT * WIDTH * 3  # write_mp4's 12 frames, decoded


@pytest.fixture(params=['decord', 'pyav'])
def decoder(request) -> str:
    return request.param


def read(open_video: OpenVideo, path: str, frame_inds: list) -> np.ndarray:
    results = open_video(dict(filename=path))
    results['frame_inds'] = np.array(frame_inds)
    imgs: np.ndarray = DecodeVideo()(results)['imgs']
    return imgs


def count_opens(open_video: OpenVideo, monkeypatch) -> list:
    """A list that grows by one each time ``open_video`` opens a file."""
    opened = []
    original = open_video._open

    def counted(results):
        opened.append(results['filename'])
        return original(results)

    monkeypatch.setattr(open_video, '_open', counted)
    return opened


def test_cached_frames_equal_the_files_and_later_visits_read_no_file(
    tmp_path, decoder, monkeypatch
):
    paths = [write_mp4(tmp_path / f'{i}.mp4', num_frames=12) for i in range(2)]
    plain, cached = OpenVideo(decoder=decoder), OpenVideo(decoder=decoder, cache_mb=1)
    opened = count_opens(cached, monkeypatch)
    for frame_inds in ([0, 3, 6, 9], [11, 2, 2, 7], [5, 6, 7, 8]):
        for path in paths:
            np.testing.assert_array_equal(
                read(cached, path, frame_inds), read(plain, path, frame_inds)
            )
    assert opened == paths  # each file opened once, on its first visit
    assert cached.cache.used == 2 * CLIP_BYTES


def test_a_cached_clip_hands_out_copies(tmp_path, decoder):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    cached = OpenVideo(decoder=decoder, cache_mb=1)
    first = read(cached, path, [0, 1])
    expected = first.copy()
    first[:] = 0  # a later transform writing in place
    np.testing.assert_array_equal(read(cached, path, [0, 1]), expected)
    clip = cached.cache.get(ClipCache.key(dict(filename=path)))
    assert clip is not None and not clip.frames.flags.writeable


def test_a_rewritten_file_is_read_again(tmp_path, monkeypatch):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    cached = OpenVideo(cache_mb=1)
    opened = count_opens(cached, monkeypatch)
    read(cached, path, [0])
    write_mp4(tmp_path / 'clip.mp4', num_frames=8)
    results = cached(dict(filename=path))
    assert results['total_frames'] == 8 and opened == [path, path]


def test_clips_are_kept_while_they_fit_and_the_first_refusal_is_logged_once(tmp_path, monkeypatch):
    """Room for one clip and a half: the first clip is kept, the second (as large) is not,
    the third (a third of the size) still is; only the second is opened again."""
    paths = [write_mp4(tmp_path / f'{i}.mp4', num_frames=n) for i, n in enumerate((12, 12, 4))]
    cached = OpenVideo(cache_mb=1.5 * CLIP_BYTES / 2**20)
    opened = count_opens(cached, monkeypatch)
    with logged_lines() as lines:
        for _ in range(2):
            for path in paths:
                assert read(cached, path, [1, 3]).shape == (2, HEIGHT, WIDTH, 3)
    assert opened == [paths[0], paths[1], paths[2], paths[1]]
    assert list(cached.cache.clips) == [paths[0], paths[2]]
    assert [line for line in lines if 'clip cache' in line] == [
        'clip cache: a clip of 0.1 MiB does not fit (1 clips kept, 0.1 of 0.2 MiB); clips that '
        'do not fit are decoded on every visit'
    ]


def test_a_rewritten_file_replaces_its_old_frames(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    cached = OpenVideo(cache_mb=1)
    read(cached, path, [0])
    write_mp4(tmp_path / 'clip.mp4', num_frames=8)
    os.utime(path, ns=(1, 1))  # a new modification time even on a coarse clock
    np.testing.assert_array_equal(read(cached, path, [7]), read(OpenVideo(), path, [7]))
    assert list(cached.cache.clips) == [path] and cached.cache.used == CLIP_BYTES * 8 // 12


def test_broken_later_frames_fail_no_sample_that_reads_without_the_cache(tmp_path):
    """The whole clip cannot be decoded (its second half is garbage), its first frames can:
    the sample reads as without a cache and nothing is kept. With PyAV: decord, which reads
    ahead on a thread, decodes the first frames of this file in only some attempts."""
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=16)
    corrupt_stream(path)
    expected = read(OpenVideo(decoder='pyav'), path, [0, 1])
    cached = OpenVideo(decoder='pyav', cache_mb=1)
    np.testing.assert_array_equal(read(cached, path, [0, 1]), expected)
    assert cached.cache.clips == {}
    with pytest.raises(SampleError, match='undecodable frames'):
        read(cached, path, [0, 15])


def test_a_missing_file_is_a_sample_error_with_a_cache(tmp_path):
    path = str(tmp_path / 'gone.mp4')
    with pytest.raises(SampleError, match='missing file'):
        OpenVideo(cache_mb=1)(dict(filename=path))


def test_shard_members_are_known_by_name_and_content(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    data = (tmp_path / 'clip.mp4').read_bytes()
    cached = OpenVideo(cache_mb=1)
    member = 'shard-000.tar/clip.mp4'
    first = cached(dict(filename=member, media_bytes=data))
    first['frame_inds'] = np.array([2])
    DecodeVideo()(first)
    again = cached(dict(filename=member, media_bytes=data))
    assert type(again['video_reader']).__name__ == 'CachedClip'
    np.testing.assert_array_equal(
        again['video_reader'].get_batch([2]), read(OpenVideo(), path, [2])
    )
    other = Path(write_mp4(tmp_path / 'other.mp4', num_frames=10)).read_bytes()
    changed = cached(dict(filename=member, media_bytes=other))  # same name, other bytes
    assert type(changed['video_reader']).__name__ == 'FillingReader'


@pytest.mark.parametrize(
    'cache_mb', [-1, -0.5, True, '512', None, float('nan'), float('inf'), 10**400]
)
def test_a_cache_size_that_is_not_a_finite_number_of_mib_raises(cache_mb):
    message = f'OpenVideo: cache_mb (MiB) must be a finite number >= 0, got {cache_mb!r}'
    with pytest.raises(ValueError) as error:
        OpenVideo(cache_mb=cache_mb)
    assert str(error.value) == message


def test_a_clip_larger_than_the_room_left_is_never_decoded_whole(tmp_path, decoder, monkeypatch):
    """A long video in a corpus of short clips must not be decoded whole (all its frames in
    memory at once) only to be refused: its size is known from the asked frames first."""
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    cached = OpenVideo(decoder=decoder, cache_mb=0.5 * CLIP_BYTES / 2**20)
    decode = DecodeVideo()
    asked = []
    original = decode._decode

    def counted(reader, frame_inds, path, max_pixels):
        asked.append(len(list(frame_inds)))
        return original(reader, frame_inds, path, max_pixels)

    monkeypatch.setattr(decode, '_decode', counted)
    results = cached(dict(filename=path))
    results['frame_inds'] = np.array([1, 4])
    imgs = decode(results)['imgs']
    np.testing.assert_array_equal(imgs, read(OpenVideo(decoder=decoder), path, [1, 4]))
    assert asked == [2] and cached.cache.clips == {}


def test_a_tiny_cache_size_keeps_nothing_without_failing(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    cached = OpenVideo(cache_mb=1e-9)
    assert read(cached, path, [3]).shape == (1, HEIGHT, WIDTH, 3)
    assert cached.cache is not None and cached.cache.clips == {}


def test_a_copy_for_another_process_starts_empty(tmp_path):
    """Loader workers started by pickling the dataset (``spawn``) or a deep copy must not carry
    the decoded frames of the process that filled the cache."""
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    cached = OpenVideo(cache_mb=1)
    expected = read(cached, path, [0, 5])
    for copy in (pickle.loads(pickle.dumps(cached)), deepcopy(cached)):
        assert copy.cache.clips == {} and copy.cache.used == 0 and not copy.cache.refused
        assert copy.cache.capacity == cached.cache.capacity
        np.testing.assert_array_equal(read(copy, path, [0, 5]), expected)
        assert len(copy.cache.clips) == 1
    assert len(pickle.dumps(cached)) < CLIP_BYTES


def test_a_file_gone_after_its_check_is_a_sample_error(tmp_path, monkeypatch):
    """A file deleted (or a mount dropped) between the missing-file check and the cache's look
    at its size and time replaces the sample, as it would without a cache."""
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    checked = open_video_module.media_source

    def check_then_delete(results):
        source = checked(results)
        Path(path).unlink()
        return source

    monkeypatch.setattr(open_video_module, 'media_source', check_then_delete)
    with pytest.raises(SampleError, match='missing file'):
        OpenVideo(cache_mb=1)(dict(filename=path))
