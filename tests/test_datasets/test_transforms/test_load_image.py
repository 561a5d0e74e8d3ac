"""Tests for ``LoadImage``: an image as a static RGB clip, and broken files as sample errors."""

import numpy as np
import pytest
from PIL import Image

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import LoadImage
from vtp.registry import TRANSFORMS
from vtp.testing import HEIGHT, WIDTH, write_jpg


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


def load(tmp_path, image, name: str = 'image.png', **kwargs) -> np.ndarray:
    """Save a PIL image, load it with LoadImage: its one frame (H, W, 3)."""
    path = tmp_path / name
    image.save(path, **kwargs.pop('save', {}))
    imgs = LoadImage(**kwargs)(dict(filename=str(path)))['imgs']
    assert imgs.dtype == np.uint8 and imgs.shape[-1] == 3
    return imgs[0]


def grey(frame: np.ndarray) -> list:
    """The grey levels of a frame whose three channels must be equal."""
    assert (frame == frame[..., :1]).all()
    return frame[..., 0].tolist()


def test_16_bit_grey_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 128, 129, 257], [1000, 32768, 65278, 65535]], np.uint16)
    image = Image.fromarray(values)
    assert image.mode == 'I;16'
    assert grey(load(tmp_path, image)) == [[0, 0, 1, 1], [4, 128, 254, 255]]  # v * 255 / 65535


def test_16_bit_big_endian_grey(tmp_path):
    image = Image.new('I;16B', (2, 1), 32768)
    assert grey(load(tmp_path, image, 'image.tif')) == [[128, 128]]


def test_32_bit_integer_grey_is_read_on_the_16_bit_scale(tmp_path):
    image = Image.fromarray(np.array([[-5, 0, 257, 65535, 70000]], np.int32))
    assert image.mode == 'I'
    assert grey(load(tmp_path, image, 'image.tif')) == [[0, 0, 1, 255, 255]]


def test_float_grey_is_read_on_the_8_bit_scale(tmp_path):
    image = Image.fromarray(np.array([[-3.2, 0.4, 100.6, 254.5, 300.0, np.nan]], np.float32))
    assert image.mode == 'F'
    assert grey(load(tmp_path, image, 'image.tif')) == [[0, 0, 101, 254, 255, 0]]


@pytest.mark.parametrize(
    'mode, value, expected',
    [
        ('L', 90, (90, 90, 90)),
        ('1', 1, (255, 255, 255)),
        ('1', 0, (0, 0, 0)),
        ('RGB', (10, 200, 30), (10, 200, 30)),
    ],
)
def test_plain_modes(tmp_path, mode, value, expected):
    frame = load(tmp_path, Image.new(mode, (WIDTH, HEIGHT), value))
    assert frame.shape == (HEIGHT, WIDTH, 3)
    assert (frame == expected).all()


def test_palette_colours(tmp_path):
    image = Image.fromarray(np.array([[0, 1, 2]], np.uint8), mode='P')
    image.putpalette([200, 10, 20, 5, 6, 7, 0, 255, 0])
    assert load(tmp_path, image).tolist() == [[[200, 10, 20], [5, 6, 7], [0, 255, 0]]]


def test_cmyk(tmp_path):
    cmyk = [(0, 255, 255, 0), (0, 0, 0, 0), (0, 0, 0, 255), (10, 20, 30, 40)]
    image = Image.new('CMYK', (4, 1))
    image.putdata(cmyk)
    expected = [[round((255 - v) * (255 - k) / 255) for v in (c, m, y)] for c, m, y, k in cmyk]
    assert expected[:3] == [[255, 0, 0], [255, 255, 255], [0, 0, 0]]
    assert load(tmp_path, image, 'image.tif').tolist() == [expected]


def test_cmyk_jpeg(tmp_path):
    frame = load(
        tmp_path, Image.new('CMYK', (16, 16), (0, 255, 255, 0)), 'image.jpg', save=dict(quality=100)
    )
    assert np.abs(frame.astype(int) - (255, 0, 0)).max() <= 3


def composite(rgb: tuple, alpha: int, background: tuple) -> list:
    return [round((v * alpha + b * (255 - alpha)) / 255) for v, b in zip(rgb, background)]


@pytest.mark.parametrize('background', [(255, 255, 255), (0, 0, 0), (10, 20, 30)])
def test_alpha_is_composited_onto_the_background(tmp_path, background):
    pixels = [(10, 200, 30, 255), (10, 200, 30, 128), (10, 200, 30, 0), (250, 0, 100, 1)]
    image = Image.new('RGBA', (4, 1))
    image.putdata(pixels)
    expected = [composite(p[:3], p[3], background) for p in pixels]
    assert expected[0] == [10, 200, 30] and expected[2] == list(background)
    assert load(tmp_path, image, background=background).tolist() == [expected]


def test_grey_with_alpha(tmp_path):
    image = Image.new('LA', (2, 1))
    image.putdata([(100, 255), (100, 51)])
    assert load(tmp_path, image).tolist() == [[[100] * 3, composite((100,) * 3, 51, (255,) * 3)]]


def test_palette_with_transparency(tmp_path):
    image = Image.fromarray(np.array([[0, 1]], np.uint8), mode='P')
    image.putpalette([200, 10, 20, 5, 6, 7])
    frame = load(tmp_path, image, save=dict(transparency=1), background=(0, 0, 255))
    assert frame.tolist() == [[[200, 10, 20], [0, 0, 255]]]


@pytest.mark.parametrize('background', [(0, 0), (0, 0, 256), (-1, 0, 0)])
def test_invalid_background(background):
    with pytest.raises(ValueError, match='background'):
        LoadImage(background=background)


def upright_quadrants() -> np.ndarray:
    """(48, 64, 3): red top-left, green top-right, blue bottom-left, white bottom-right."""
    picture = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    picture[:24, :32], picture[:24, 32:], picture[24:, :32] = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    return picture


# Where stored pixel (r, c) of an EXIF-oriented photo lies in the upright (H, W) picture, by the
# EXIF definition of each orientation (where the stored 0th row and 0th column belong).
STORED_TO_UPRIGHT = {
    1: lambda r, c: (r, c),
    2: lambda r, c: (r, WIDTH - 1 - c),
    3: lambda r, c: (HEIGHT - 1 - r, WIDTH - 1 - c),
    4: lambda r, c: (HEIGHT - 1 - r, c),
    5: lambda r, c: (c, r),
    6: lambda r, c: (c, WIDTH - 1 - r),
    7: lambda r, c: (HEIGHT - 1 - c, WIDTH - 1 - r),
    8: lambda r, c: (HEIGHT - 1 - c, r),
}


@pytest.mark.parametrize('orientation', range(1, 9))
def test_exif_orientation_is_applied(tmp_path, orientation):
    upright = upright_quadrants()
    shape = (HEIGHT, WIDTH) if orientation <= 4 else (WIDTH, HEIGHT)
    stored = upright[STORED_TO_UPRIGHT[orientation](*np.indices(shape))]
    exif = Image.Exif()
    exif[0x0112] = orientation
    frame = load(
        tmp_path, Image.fromarray(stored), 'photo.jpg', save=dict(quality=95, exif=exif.tobytes())
    )
    assert frame.shape == upright.shape
    for rows in (slice(4, 20), slice(28, 44)):  # quadrant centres (jpeg blurs the edges)
        for cols in (slice(4, 28), slice(36, 60)):
            error = np.abs(frame[rows, cols].astype(int) - upright[rows, cols]).max()
            assert error <= 12, (orientation, rows, cols, frame[rows, cols].mean((0, 1)))


@pytest.mark.parametrize('num_frames', [0, -2])
def test_invalid_num_frames(num_frames):
    with pytest.raises(ValueError, match='num_frames'):
        LoadImage(num_frames=num_frames)


def truncated(tmp_path, keep) -> bytes:
    data = open(write_jpg(tmp_path / 'ok.jpg'), 'rb').read()
    return data[: keep(len(data))]


@pytest.mark.parametrize(
    'content, reason',
    [
        (None, 'missing file'),
        (b'', 'empty file'),
        (b'a caption, not an image', 'undecodable image'),
        ('half', 'undecodable image'),  # a download cut off half-way
        ('last bytes', 'undecodable image'),  # only the end-of-image marker is lost
        ('header', 'undecodable image'),  # cut inside the header
    ],
)
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
    """A small file that claims a huge image is one sample's problem: refused by PIL above
    twice its limit (178M pixels), by vtp's ``max_pixels`` (8192 x 8192) below it, where PIL
    only warns and would decode 507 MB, then repeat it for every frame."""
    for size, reason in (
        ((20000, 10000), 'undecodable image'),
        ((13000, 13000), 'too many pixels'),
    ):
        path = tmp_path / 'bomb.png'
        Image.new('1', size).save(path)  # a few kB on disk
        with pytest.raises(SampleError) as info:
            LoadImage(num_frames=4)(dict(filename=str(path)))
        assert (info.value.path, info.value.reason) == (str(path), reason)
    path = write_jpg(tmp_path / 'image.jpg')
    assert LoadImage(max_pixels=WIDTH * HEIGHT)(dict(filename=path))['imgs'].shape[1:3] == (
        HEIGHT,
        WIDTH,
    )
    with pytest.raises(SampleError, match=rf'too many pixels \({WIDTH}x{HEIGHT}, more than'):
        LoadImage(max_pixels=WIDTH * HEIGHT - 1)(dict(filename=path))


def test_bytes_in_memory_load_as_the_file(tmp_path):
    path = write_jpg(tmp_path / 'image.jpg', level=100)
    data = open(path, 'rb').read()
    from_file = LoadImage()(dict(filename=path))['imgs']
    from_bytes = LoadImage()(dict(filename='s.tar/k.jpg', media_bytes=data))['imgs']
    np.testing.assert_array_equal(from_file, from_bytes)
    with pytest.raises(SampleError, match='s.tar/k.jpg: undecodable image'):
        LoadImage()(dict(filename='s.tar/k.jpg', media_bytes=data[:40]))


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(num_frames=0), 'LoadImage: num_frames must be an int >= 1, got 0'),
        (dict(num_frames='8'), "LoadImage: num_frames must be an int >= 1, got '8'"),
        (dict(max_pixels=0.5), 'LoadImage: max_pixels must be an int >= 1, got 0.5'),
        (dict(background=(0, 0)), 'LoadImage: background must be 3 ints in 0..255, got (0, 0)'),
        (
            dict(background='white'),
            "LoadImage: background must be 3 ints in 0..255, got 'white'",
        ),
        (
            dict(background=[0, 0, 256]),
            'LoadImage: background must be 3 ints in 0..255, got [0, 0, 256]',
        ),
        (
            dict(background=[0, '0', 0]),
            "LoadImage: background must be 3 ints in 0..255, got [0, '0', 0]",
        ),
        (
            dict(background=(0.5, 0, 0)),
            'LoadImage: background must be 3 ints in 0..255, got (0.5, 0, 0)',
        ),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError) as error:
        LoadImage(**kwargs)
    assert str(error.value) == message


def test_numpy_settings_are_taken():
    transform = LoadImage(num_frames=np.int64(2), background=np.array([1, 2, 3]).tolist())
    assert transform.num_frames == 2 and transform.background == (1, 2, 3)
