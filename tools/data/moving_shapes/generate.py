"""Generate the built-in "moving shapes" video-text data set.

Every clip shows one coloured shape moving in a straight line over a dark background. The
train split follows the WebVid layout (``train.csv`` + ``videos/{page_dir}/{videoid}.mp4``)
with varied caption wordings; the test split follows the MSRVTT layout used by
mmaction2/VindLU (``test.json`` + ``videos/test/<id>.mp4``) with exactly one clip and one
canonical caption per (colour, shape, direction). ``attributes.json`` holds the attributes of
every clip.

Example:
    python tools/data/moving_shapes/generate.py --out-dir data/moving_shapes --num-train 2000
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import av
import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    'red': (230, 30, 30),
    'green': (30, 210, 30),
    'blue': (50, 100, 255),
    'yellow': (245, 225, 20),
    'white': (245, 245, 245),
}
SHAPES: tuple[str, ...] = ('circle', 'square', 'triangle', 'cross', 'ring')
# Unit step (dx, dy) in image coordinates: y grows downwards.
DIRECTIONS: dict[str, tuple[int, int]] = {
    'left': (-1, 0),
    'right': (1, 0),
    'up': (0, -1),
    'down': (0, 1),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    'black': (12, 12, 12),
    'charcoal': (38, 38, 38),
    'grey': (70, 70, 70),
    'slate': (40, 44, 56),
    'gradient': (45, 45, 45),
    'noise': (45, 45, 45),
}
SPLIT_STREAMS = {'train': 0, 'test': 1}
CLIPS_PER_PAGE = 500
OWN = re.compile(r'test|train_\d{3}')  # the clip folders under videos/ (page dirs of train)

SHAPE_WORDS: dict[str, tuple[str, ...]] = {
    'circle': ('circle', 'disc', 'filled circle', 'dot'),
    'square': ('square', 'box', 'square block'),
    'triangle': ('triangle', 'triangular shape'),
    'cross': ('cross', 'plus sign', 'plus shape'),
    'ring': ('ring', 'hoop', 'hollow ring'),
}
VERBS: dict[str, tuple[str, ...]] = {
    'left': (
        'moves left',
        'moves to the left',
        'is moving left',
        'travels leftwards',
        'slides to the left',
        'heads left',
        'drifts left',
    ),
    'right': (
        'moves right',
        'moves to the right',
        'is moving right',
        'travels rightwards',
        'slides to the right',
        'heads right',
        'drifts right',
    ),
    'up': (
        'moves up',
        'moves upwards',
        'is moving up',
        'travels upwards',
        'slides upwards',
        'heads up',
        'rises',
    ),
    'down': (
        'moves down',
        'moves downwards',
        'is moving down',
        'travels downwards',
        'slides downwards',
        'heads down',
        'falls',
    ),
}
PARTICIPLES: dict[str, tuple[str, ...]] = {
    'left': ('going left', 'moving to the left', 'heading left', 'sliding leftwards'),
    'right': ('going right', 'moving to the right', 'heading right', 'sliding rightwards'),
    'up': ('going up', 'moving upwards', 'heading up', 'rising'),
    'down': ('going down', 'moving downwards', 'heading down', 'falling'),
}
ADJECTIVES: dict[str, tuple[str, ...]] = {
    'left': ('left-moving', 'leftward-moving'),
    'right': ('right-moving', 'rightward-moving'),
    'up': ('upward-moving', 'rising'),
    'down': ('downward-moving', 'falling'),
}
# Slots: c = colour, s = shape word, v = verb phrase, p = participle, a = adjective.
TEMPLATES: tuple[str, ...] = (
    'a {c} {s} {v}',
    'the {c} {s} {v}',
    'a {s}, {c} in colour, {v}',
    '{c} {s} {p}',
    '{a} {c} {s}',
    'there is a {c} {s} {p}',
    'a single {c} {s} {v} across the frame',
    'video of a {c} {s} {p}',
    'a {s} in {c} {v}',
    'watch the {c} {s} as it {v}',
    'the {s} is {c} and {v}',
    'a {c} {s} on a dark background, {p}',
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command-line arguments ``argv`` (``None`` reads ``sys.argv``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', type=Path, default=Path('data/moving_shapes'))
    parser.add_argument('--num-train', type=int, default=2000, help='number of train clips')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', type=int, default=64, help='frame height and width (even)')
    parser.add_argument('--num-frames', type=int, default=16)
    parser.add_argument('--fps', type=int, default=8)
    args = parser.parse_args(argv)
    if args.size < 32 or args.size % 2:
        parser.error('--size must be an even number >= 32')
    if args.num_frames < 2 or args.fps < 1 or args.num_train < 0:
        parser.error('need --num-frames >= 2, --fps >= 1 and --num-train >= 0')
    return args


def meaning(colour: str, shape: str, direction: str) -> str:
    """The canonical caption of a combination: every test caption, and the ``meaning`` column
    of train.csv that tells which train clips show the same thing."""
    return f'a {colour} {shape} moves {direction}'


def make_caption(rng: np.random.Generator, colour: str, shape: str, direction: str) -> str:
    """Build a random caption wording for one clip.

    Args:
        rng: Random generator of the clip.
        colour: Colour name.
        shape: Shape kind.
        direction: Motion direction.

    Returns:
        A caption naming the colour, the shape and the direction unambiguously.
    """
    template = TEMPLATES[rng.integers(len(TEMPLATES))]
    words = SHAPE_WORDS[shape]
    return template.format(
        c=colour,
        s=words[rng.integers(len(words))],
        v=VERBS[direction][rng.integers(len(VERBS[direction]))],
        p=PARTICIPLES[direction][rng.integers(len(PARTICIPLES[direction]))],
        a=ADJECTIVES[direction][rng.integers(len(ADJECTIVES[direction]))],
    )


def shape_mask(kind: str, cx: float, cy: float, radius: float, size: int) -> np.ndarray:
    """Rasterise a shape.

    Args:
        kind: One of :data:`SHAPES`.
        cx: Horizontal centre in pixels.
        cy: Vertical centre in pixels.
        radius: Half of the shape's extent in pixels.
        size: Frame height and width.

    Returns:
        A boolean ``(size, size)`` mask, True inside the shape.
    """
    coords = np.arange(size, dtype=np.float32) + 0.5
    dx = coords[None, :] - cx
    dy = coords[:, None] - cy
    if kind == 'circle':
        return dx**2 + dy**2 <= radius**2
    if kind == 'ring':
        dist2 = dx**2 + dy**2
        return (dist2 <= radius**2) & (dist2 >= (0.5 * radius) ** 2)
    if kind == 'square':
        return (np.abs(dx) <= 0.85 * radius) & (np.abs(dy) <= 0.85 * radius)
    if kind == 'triangle':  # apex up, base at the bottom
        return (np.abs(dy) <= radius) & (np.abs(dx) <= 0.5 * (dy + radius))
    if kind == 'cross':
        inside = (np.abs(dx) <= radius) & (np.abs(dy) <= radius)
        return inside & ((np.abs(dx) <= radius / 3) | (np.abs(dy) <= radius / 3))
    raise ValueError(f'unknown shape {kind!r}')


def make_clip(
    rng: np.random.Generator, colour: str, shape: str, direction: str, size: int, num_frames: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw the nuisance attributes of one clip and render its frames.

    The nuisances are the background, the shape's extent (34-44% of the frame), the start
    position and the speed: the shape travels 50-95% of the free span and stays fully inside
    the frame.

    Args:
        rng: Random generator of the clip.
        colour: Colour name.
        shape: Shape kind.
        direction: Motion direction.
        size: Frame height and width.
        num_frames: Number of frames.

    Returns:
        The ``(num_frames, size, size, 3)`` uint8 frames and the clip attributes.
    """
    background = str(rng.choice(list(BACKGROUNDS)))
    extent = int(rng.integers(round(0.34 * size), round(0.44 * size) + 1))
    radius = extent / 2
    travel = rng.uniform(0.5, 0.95) * (size - extent)
    step = np.array(DIRECTIONS[direction], np.float64)
    low, high = radius + np.maximum(-step, 0) * travel, size - radius - np.maximum(step, 0) * travel
    start = rng.uniform(low, high)
    image = np.empty((size, size, 3), np.float32)
    image[:] = BACKGROUNDS[background]
    if background == 'gradient':
        image += np.linspace(-25.0, 25.0, size, dtype=np.float32)[:, None, None]
    elif background == 'noise':
        image += rng.normal(0.0, 6.0, (size, size, 1)).astype(np.float32)
    speed = travel / (num_frames - 1)
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    for t in range(num_frames):
        cx, cy = start + step * speed * t
        frame = image.copy()
        frame[shape_mask(shape, cx, cy, radius, size)] = COLOURS[colour]
        frames[t] = np.clip(frame, 0, 255).round()
    attrs = {
        'colour': colour,
        'shape': shape,
        'direction': direction,
        'background': background,
        'speed': round(float(speed), 3),
        'size': extent,
        'start': [round(float(v), 2) for v in start],
    }
    return frames, attrs


def pick_codec() -> str:
    """Return ``libx264`` when PyAV can encode with it, else ``mpeg4``."""
    try:
        av.codec.Codec('libx264', 'w')
    except Exception:  # any failure means the codec is unusable here
        return 'mpeg4'
    return 'libx264'


def write_video(path: Path, frames: np.ndarray, fps: int, codec: str) -> None:
    """Encode RGB frames to an mp4 file.

    Args:
        path: Output file; its folder is created if needed.
        frames: ``(T, H, W, 3)`` uint8 RGB frames.
        fps: Frame rate.
        codec: ``libx264`` or ``mpeg4``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = 'yuv420p'
        if codec == 'libx264':
            # mbtree=0: x264's macroblock-tree rate control made repeated runs differ.
            stream.options = {
                'crf': '18',
                'preset': 'fast',
                'threads': '1',
                'x264-params': 'mbtree=0',
            }
        else:
            stream.bit_rate = 1_000_000
        for array in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(array, format='rgb24')))
        container.mux(stream.encode(None))


def clip_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """Return the random generator of clip ``index`` of ``split``."""
    return np.random.default_rng([seed, SPLIT_STREAMS[split], index])


def iso_duration(seconds: float) -> str:
    """Format a duration the WebVid way, e.g. ``PT00H00M02S``."""
    total = int(round(seconds))
    return f'PT{total // 3600:02d}H{total % 3600 // 60:02d}M{total % 60:02d}S'


def progress(done: int, total: int, label: str) -> None:
    """Redraw a one-line progress counter on stderr."""
    if done == total or done % max(1, total // 100) == 0:
        end = '\n' if done == total else ''
        print(
            f'\r{label}: {done}/{total} ({100 * done // max(total, 1)}%)',
            end=end,
            file=sys.stderr,
            flush=True,
        )


def generate(
    out_dir: Path, num_train: int, seed: int, size: int, num_frames: int, fps: int
) -> dict[str, int]:
    """Write the videos and annotation files of both splits.

    Args:
        out_dir: Output folder (created if missing, existing files are overwritten).
        num_train: Number of train clips.
        seed: Base seed; clip ``i`` of a split depends only on ``(seed, split, i)``.
        size: Frame height and width.
        num_frames: Frames per clip.
        fps: Frame rate.

    Returns:
        The number of clips written per split.
    """
    codec = pick_codec()
    video_dir = out_dir / 'videos'
    duration = iso_duration(num_frames / fps)
    attributes: dict[str, dict[str, Any]] = {'train': {}, 'test': {}}
    rows = []
    for i in range(num_train):
        rng = clip_rng(seed, 'train', i)
        colour = str(rng.choice(list(COLOURS)))
        shape, direction = str(rng.choice(SHAPES)), str(rng.choice(list(DIRECTIONS)))
        caption = make_caption(rng, colour, shape, direction)
        frames, attrs = make_clip(rng, colour, shape, direction, size, num_frames)
        videoid, page_dir = str(1_000_000 + i), f'train_{i // CLIPS_PER_PAGE:03d}'
        write_video(video_dir / page_dir / f'{videoid}.mp4', frames, fps, codec)
        url = f'https://example.invalid/moving_shapes/{page_dir}/{videoid}.mp4'
        rows.append([videoid, url, duration, page_dir, caption, meaning(colour, shape, direction)])
        attributes['train'][videoid] = {**attrs, 'caption': caption}
        progress(i + 1, num_train, 'train')
    test = []
    combos = list(itertools.product(COLOURS, SHAPES, DIRECTIONS))
    for i, (colour, shape, direction) in enumerate(combos):
        frames, attrs = make_clip(
            clip_rng(seed, 'test', i), colour, shape, direction, size, num_frames
        )
        video, caption = f'test/{i:05d}.mp4', meaning(colour, shape, direction)
        write_video(video_dir / video, frames, fps, codec)
        test.append({'video': video, 'caption': caption})
        attributes['test'][video] = {**attrs, 'caption': caption}
        progress(i + 1, len(combos), 'test')
    with open(out_dir / 'train.csv', 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(['videoid', 'contentUrl', 'duration', 'page_dir', 'name', 'meaning'])
        writer.writerows(rows)
    (out_dir / 'test.json').write_text(json.dumps(test, indent=1) + '\n', encoding='utf-8')
    (out_dir / 'attributes.json').write_text(
        json.dumps(attributes, indent=1) + '\n', encoding='utf-8'
    )
    return {'train': num_train, 'test': len(test)}


def main(argv: Sequence[str] | None = None) -> None:
    """Run the generator from the command line (``argv`` as for :func:`parse_args`)."""
    args = parse_args(argv)
    videos = args.out_dir / 'videos'
    earlier = [  # the folders this generator writes: an earlier run's clips would stay unlisted
        d for d in (videos.iterdir() if videos.is_dir() else ()) if d.is_dir() and OWN.match(d.name)
    ]
    for folder in earlier:
        shutil.rmtree(folder)
    if earlier:
        print(f'moving_shapes: replaced the clips of an earlier run in {videos}')
    args.out_dir.mkdir(parents=True, exist_ok=True)
    begin = time.perf_counter()
    counts = generate(args.out_dir, args.num_train, args.seed, args.size, args.num_frames, args.fps)
    print(
        f'moving_shapes: wrote {counts["train"]} train and {counts["test"]} test clips to '
        f'{args.out_dir} in {time.perf_counter() - begin:.1f}s'
    )


if __name__ == '__main__':
    main()
