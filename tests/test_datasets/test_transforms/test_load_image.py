"""Tests for ``LoadImage``: an image as a static RGB clip, and broken files as sample errors."""
import numpy as np
import pytest
from PIL import Image
from video_files import HEIGHT, WIDTH, write_jpg

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import LoadImage
from vtp.registry import TRANSFORMS


def check_red_corner_on_grey(frame: np.ndarray, level: int) -> None:
    """``write_jpg``'s image: a red 8x8 top-left square on grey (jpg: approximately)."""
    r, g, b = frame[3, 3].astype(int)
    assert r > 220 and g < 40 and b < 40, frame[3, 3]
    assert np.abs(frame[24:, 24:].astype(int) - level).max() <= 4


@pytest.mark.parametrize('num_frames', [1, 4])
def test_loads_static_rgb_clip(tmp_path, num_frames):
    path = write_jpg(tmp_path / 'image.jpg', level=100)
    results = LoadImage(num_frames=num_frames)(dict(filename=path, text='a red corner'))
    imgs = results['imgs']
    assert imgs.shape == (num_frames, HEIGHT, WIDTH, 3)
    assert imgs.dtype == np.uint8
    check_red_corner_on_grey(imgs[0], 100)
    assert all(np.array_equal(frame, imgs[0]) for frame in imgs)
    assert tuple(results['img_shape']) == (HEIGHT, WIDTH)
    assert results['frame_inds'].tolist() == [0] * num_frames
    assert results['text'] == 'a red corner'
    assert results['filename'] == path


def test_built_from_registry(tmp_path):
    transform = TRANSFORMS.build(dict(type='LoadImage', num_frames=3))
    assert isinstance(transform, LoadImage)
    results = transform(dict(filename=write_jpg(tmp_path / 'image.jpg', level=60)))
    assert results['imgs'].shape == (3, HEIGHT, WIDTH, 3)
    check_red_corner_on_grey(results['imgs'][2], 60)


def test_default_is_one_frame(tmp_path):
    results = LoadImage()(dict(filename=write_jpg(tmp_path / 'image.jpg')))
    assert results['imgs'].shape == (1, HEIGHT, WIDTH, 3)


@pytest.mark.parametrize('mode, value', [('L', 90), ('RGBA', (10, 200, 30, 128)),
                                         ('P', 5)])
def test_other_modes_become_rgb(tmp_path, mode, value):
    path = tmp_path / 'image.png'
    Image.new(mode, (WIDTH, HEIGHT), value).save(path)
    imgs = LoadImage(num_frames=2)(dict(filename=str(path)))['imgs']
    assert imgs.shape == (2, HEIGHT, WIDTH, 3)
    expected = Image.new(mode, (1, 1), value).convert('RGB').getpixel((0, 0))
    assert imgs[1, 5, 7].tolist() == list(expected)
    if mode == 'L':
        assert imgs[1, 5, 7].tolist() == [90, 90, 90]
    if mode == 'RGBA':
        assert imgs[1, 5, 7].tolist() == [10, 200, 30]


@pytest.mark.parametrize('num_frames', [0, -2])
def test_invalid_num_frames(num_frames):
    with pytest.raises(ValueError, match='num_frames'):
        LoadImage(num_frames=num_frames)


def truncated(tmp_path, keep) -> bytes:
    data = open(write_jpg(tmp_path / 'ok.jpg'), 'rb').read()
    return data[:keep(len(data))]


@pytest.mark.parametrize('content, reason', [
    (None, 'missing file'),
    (b'', 'empty file'),
    (b'a caption, not an image', 'undecodable image'),
    ('half', 'undecodable image'),  # a download cut off half-way
    ('last bytes', 'undecodable image'),  # only the end-of-image marker is lost
    ('header', 'undecodable image'),  # cut inside the header
])
def test_broken_file_is_a_sample_error(tmp_path, content, reason):
    path = tmp_path / 'broken.jpg'
    if content == 'half':
        content = truncated(tmp_path, lambda n: n // 2)
    elif content == 'last bytes':
        content = truncated(tmp_path, lambda n: n - 2)
    elif content == 'header':
        content = truncated(tmp_path, lambda n: 20)
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SampleError) as info:
        LoadImage()(dict(filename=str(path)))
    assert (info.value.path, info.value.reason) == (str(path), reason)


def test_decompression_bomb_is_a_sample_error(tmp_path):
    """A small file that claims a huge image is refused by PIL: one sample's problem."""
    path = tmp_path / 'bomb.png'
    Image.new('1', (20000, 10000)).save(path)  # 200M pixels, a few kB on disk
    with pytest.raises(SampleError) as info:
        LoadImage()(dict(filename=str(path)))
    assert (info.value.path, info.value.reason) == (str(path), 'undecodable image')
