"""Tests for ``FlipVideo``: mirrored frames with side words swapped in the text."""

import numpy as np
import pytest

from vtp.datasets.transforms import FlipVideo


def clip() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (3, 8, 10, 3), dtype=np.uint8)


def test_mirrors_all_frames():
    imgs = clip()
    results = FlipVideo(prob=1)(dict(imgs=imgs.copy(), text='a cat'))
    assert results['flipped'] is True
    assert results['imgs'].shape == imgs.shape
    assert results['imgs'].flags['C_CONTIGUOUS']
    for t in range(3):
        np.testing.assert_array_equal(results['imgs'][t], imgs[t, :, ::-1])
    # Channels are not mirrored: the first pixel of the flip is the last pixel of the input.
    np.testing.assert_array_equal(results['imgs'][:, :, 0], imgs[:, :, -1])


@pytest.mark.parametrize(
    'text, flipped',
    [
        ('the ball moves left', 'the ball moves right'),
        ('a square goes from left to right', 'a square goes from right to left'),
        ('Left is where it ends', 'Right is where it ends'),
        ('Right then LEFT', 'Left then RIGHT'),
        ('drifting leftwards, then rightwards', 'drifting rightwards, then leftwards'),
        ('a leftward turn and a rightward one', 'a rightward turn and a leftward one'),
        ('a left-moving circle', 'a right-moving circle'),
        ('a right-moving circle.', 'a left-moving circle.'),
        ('(left)', '(right)'),
        ('a bright leftover light', 'a bright leftover light'),
        ('copyright, alright, lefty', 'copyright, alright, lefty'),
        ('no side words here', 'no side words here'),
    ],
)
def test_swaps_side_words(text, flipped):
    results = FlipVideo(prob=1)(dict(imgs=clip(), text=text))
    assert results['text'] == flipped


def test_list_of_captions():
    results = FlipVideo(prob=1)(dict(imgs=clip(), text=['moves left', 'Bright', 'RIGHT turn']))
    assert results['text'] == ['moves right', 'Bright', 'LEFT turn']


def test_prob_zero_changes_nothing():
    imgs = clip()
    results = FlipVideo(prob=0)(dict(imgs=imgs.copy(), text=['moves left', 'to the right']))
    assert results['flipped'] is False
    np.testing.assert_array_equal(results['imgs'], imgs)
    assert results['text'] == ['moves left', 'to the right']


def test_without_swap_words_text_is_kept():
    imgs = clip()
    results = FlipVideo(prob=1, swap_words=())(dict(imgs=imgs.copy(), text='moves left'))
    np.testing.assert_array_equal(results['imgs'], imgs[:, :, ::-1])
    assert results['text'] == 'moves left'


def test_custom_swap_words():
    transform = FlipVideo(prob=1, swap_words=(('east', 'west'),))
    assert transform(dict(imgs=clip(), text='East to west, left'))['text'] == 'West to east, left'


def test_random_flip_follows_numpy_seed():
    def run(seed):
        np.random.seed(seed)
        return [FlipVideo(prob=0.5)(dict(imgs=clip(), text='left'))['flipped'] for _ in range(40)]

    draws = run(0)
    assert draws == run(0)
    assert 5 < sum(draws) < 35
    np.random.seed(0)
    for flipped in draws:
        results = FlipVideo(prob=0.5)(dict(imgs=clip(), text='left'))
        assert results['flipped'] == flipped
        assert results['text'] == ('right' if flipped else 'left')


def test_the_identity_is_swapped_with_the_text_when_the_sample_has_one():
    flip = FlipVideo(prob=1)
    results = flip(
        dict(imgs=clip(), text='a disc heading left', identity='a red circle moves left')
    )
    assert results['identity'] == 'a red circle moves right'
    assert flip(dict(imgs=clip(), text='moves left'))['text'] == 'moves right'
    kept = FlipVideo(prob=1, keys=('text',))(dict(imgs=clip(), text='left', identity='moves left'))
    assert kept['identity'] == 'moves left'


def test_keys_are_field_names_and_fields_str():
    assert FlipVideo(prob=1, keys='text')(dict(imgs=clip(), text='left'))['text'] == 'right'
    twice = FlipVideo(prob=1, keys=('text', 'text'))
    assert twice(dict(imgs=clip(), text='left'))['text'] == 'right'  # swapped once
    for keys in (None, (), ('text', 3), ('',)):
        with pytest.raises(TypeError, match='FlipVideo.keys must be field names'):
            FlipVideo(keys=keys)
    with pytest.raises(TypeError, match="field 'identity' must be a str or a list of str, got 3"):
        FlipVideo(prob=1)(dict(imgs=clip(), text='left', identity=3))
