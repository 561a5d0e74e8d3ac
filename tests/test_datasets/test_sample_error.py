"""Tests for ``SampleError``: the message and the fields a data-health summary counts by."""

from pathlib import Path

from vtp.datasets.sample_error import SampleError


def test_message_names_the_file_the_reason_and_the_detail():
    error = SampleError(Path('videos/v1.mp4'), 'undecodable video', 'moov atom not found')
    assert str(error) == 'videos/v1.mp4: undecodable video (moov atom not found)'
    assert error.path == 'videos/v1.mp4' and error.reason == 'undecodable video'


def test_without_a_detail_the_message_ends_at_the_reason():
    assert str(SampleError('a.jpg', 'missing file')) == 'a.jpg: missing file'
