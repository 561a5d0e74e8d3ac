"""Gallery feature cache: what is written is read back, a changed key is refused and
recomputed, a damaged file is recomputed, and a failed write leaves no file behind."""

import os

import pytest
import torch

from vtp.apis import VideoFeatures
from vtp.apis.feature_cache import (
    cached_video_features,
    load_video_features,
    save_video_features,
    stale_parts,
)

KEY = dict(config='c1', weights='w1', files='f1')


def features(seed: int = 0) -> VideoFeatures:
    g = torch.Generator().manual_seed(seed)
    return VideoFeatures(
        items=[dict(filename='a.mp4'), dict(filename='b.mp4', start=1.5, end=3.0)],
        embeds=torch.randn(2, 4, generator=g),
        tokens=torch.randn(2, 3, 5, generator=g),
        durations=[1.0, 2.5],
        frames=[[0, 2, 4], [1, 3, 5]],
        failures=[dict(filename='c.mp4', error='c.mp4: cannot decode')],
    )


def assert_same(a: VideoFeatures, b: VideoFeatures) -> None:
    assert a.items == b.items and a.durations == b.durations
    assert a.frames == b.frames and a.failures == b.failures
    torch.testing.assert_close(a.embeds, b.embeds, rtol=0, atol=0)
    assert a.tokens is not None and b.tokens is not None
    torch.testing.assert_close(a.tokens, b.tokens, rtol=0, atol=0)


def test_written_features_are_read_back_unchanged(tmp_path):
    path = str(tmp_path / 'sub' / 'cache.pth')
    save_video_features(path, KEY, features())
    loaded = load_video_features(path, dict(KEY))
    assert loaded is not None
    assert_same(loaded, features())
    assert os.listdir(tmp_path / 'sub') == ['cache.pth']


@pytest.mark.parametrize('part, label', [('config', 'config'), ('weights', 'checkpoint')])
def test_a_changed_key_is_refused_and_named(tmp_path, part, label):
    path = str(tmp_path / 'cache.pth')
    save_video_features(path, KEY, features())
    other = dict(KEY, **{part: 'changed'})
    assert stale_parts(KEY, other) == [label]
    assert load_video_features(path, other) is None


def test_cached_features_are_reused_and_recomputed_when_stale(tmp_path):
    path = str(tmp_path / 'cache.pth')
    calls = []

    def compute(seed):
        def run():
            calls.append(seed)
            return features(seed)

        return run

    assert_same(cached_video_features(path, KEY, compute(0)), features(0))
    assert_same(cached_video_features(path, KEY, compute(1)), features(0))  # reused
    assert calls == [0]
    stale = dict(KEY, files='f2')
    assert_same(cached_video_features(path, stale, compute(1)), features(1))
    assert calls == [0, 1]
    loaded = load_video_features(path, stale)  # the recomputed ones replaced the cache
    assert loaded is not None
    assert_same(loaded, features(1))
    cached_video_features(None, KEY, compute(2))  # no cache file: always computed
    assert calls == [0, 1, 2]


def test_a_damaged_or_foreign_file_is_recomputed(tmp_path):
    damaged = tmp_path / 'damaged.pth'
    damaged.write_bytes(b'\x00 not a torch file')
    assert load_video_features(str(damaged), KEY) is None
    foreign = tmp_path / 'foreign.pth'
    torch.save(dict(format='something-else'), foreign)
    assert load_video_features(str(foreign), KEY) is None
    for stored in (None, ['config'], 'c1'):  # a vtp cache whose key is damaged
        keyless = tmp_path / 'keyless.pth'
        save_video_features(str(keyless), KEY, features())
        payload = torch.load(keyless, weights_only=True)
        torch.save(dict(payload, key=stored), keyless)
        assert load_video_features(str(keyless), KEY) is None
    assert load_video_features(str(tmp_path / 'absent.pth'), KEY) is None


def test_a_failed_write_leaves_the_old_cache_and_no_partial_file(tmp_path, monkeypatch):
    path = str(tmp_path / 'cache.pth')
    save_video_features(path, KEY, features(0))

    def failing_save(obj, f):
        f.write(b'half a file')
        raise OSError('disk full')

    monkeypatch.setattr(torch, 'save', failing_save)
    with pytest.raises(OSError, match='disk full'):
        save_video_features(path, dict(KEY, files='f2'), features(1))
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ['cache.pth']
    loaded = load_video_features(path, KEY)
    assert loaded is not None
    assert_same(loaded, features(0))
