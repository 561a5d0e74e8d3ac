"""Tests for ``OpenVideo``: decord reader, frame count and fps."""

import pytest
from video_files import write_mp4

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import OpenVideo
from vtp.registry import TRANSFORMS


def test_opens_video(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    results = OpenVideo()(dict(filename=path, text='t'))
    assert results['total_frames'] == 12
    assert results['avg_fps'] == pytest.approx(8.0)
    assert len(results['video_reader']) == 12
    assert results['text'] == 't'


def test_built_from_registry(tmp_path):
    transform = TRANSFORMS.build(dict(type='OpenVideo', num_threads=1))
    assert isinstance(transform, OpenVideo)
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=5)
    assert transform(dict(filename=path))['total_frames'] == 5


@pytest.mark.parametrize('content, reason', [
    (None, 'missing file'), (b'', 'empty file'), (b'not a video at all', 'undecodable video'),
    ('half', 'undecodable video')])
def test_broken_file_is_a_sample_error(tmp_path, capfd, content, reason):
    path = tmp_path / 'broken.mp4'
    if content == 'half':  # a download cut off half-way (the mp4 index is at the end)
        data = open(write_mp4(tmp_path / 'ok.mp4'), 'rb').read()
        content = data[:len(data) // 2]
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SampleError) as info:
        OpenVideo()(dict(filename=str(path)))
    assert (info.value.path, info.value.reason) == (str(path), reason)
    assert capfd.readouterr().err == ''  # FFmpeg's own messages are not printed
