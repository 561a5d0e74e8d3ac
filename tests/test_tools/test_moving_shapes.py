"""Tests for ``tools/data/moving_shapes/generate.py``."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

decord = pytest.importorskip('decord')

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'data' / 'moving_shapes' / 'generate.py'
NUM_TRAIN = 20
# Expected unit motion (dx, dy) in image coordinates (y grows downwards) and pure colours,
# written out here rather than read from the generator so that a sign bug there is caught.
STEPS = {'left': (-1, 0), 'right': (1, 0), 'up': (0, -1), 'down': (0, 1)}
PURE_COLOURS = {
    'red': (255, 0, 0),
    'green': (0, 255, 0),
    'blue': (0, 0, 255),
    'yellow': (255, 255, 0),
    'white': (255, 255, 255),
}
DIRECTION_WORDS = {
    'left': r'\bleft',
    'right': r'\bright',
    'up': r'\b(up|ris)',
    'down': r'\b(down|fall)',
}


def load_generator() -> ModuleType:
    """Import the generator script as a module."""
    spec = importlib.util.spec_from_file_location('moving_shapes_generate', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def gen() -> ModuleType:
    return load_generator()


@pytest.fixture(scope='module')
def runs(tmp_path_factory: pytest.TempPathFactory, gen: ModuleType) -> dict[str, Path]:
    """Generate seed 0 twice (once through the CLI), seed 1 once and seed 0 with fewer clips."""
    dirs = {name: tmp_path_factory.mktemp(name) for name in ('a', 'b', 'c', 'd')}
    subprocess.run(
        [sys.executable, str(SCRIPT), '--out-dir', str(dirs['a']), '--num-train', str(NUM_TRAIN)],
        check=True,
        capture_output=True,
    )
    gen.main(['--out-dir', str(dirs['b']), '--num-train', str(NUM_TRAIN), '--seed', '0'])
    gen.main(['--out-dir', str(dirs['c']), '--num-train', str(NUM_TRAIN), '--seed', '1'])
    gen.main(['--out-dir', str(dirs['d']), '--num-train', '5', '--seed', '0'])
    return dirs


def read_train(root: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(root / 'train.csv', newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding='utf-8'))


def decode(path: Path) -> np.ndarray:
    reader = decord.VideoReader(str(path))
    return reader.get_batch(list(range(len(reader)))).asnumpy()


def shape_centroid(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centroid (x, y) and mean colour of the pixels that differ from the background."""
    background = np.median(frame.reshape(-1, 3), axis=0)
    mask = np.abs(frame.astype(np.float32) - background).max(axis=-1) > 60
    assert mask.sum() > 20, 'shape not found'
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()]), frame[mask].astype(np.float32).mean(axis=0)


def check_caption(gen: ModuleType, caption: str, colour: str, shape: str, direction: str) -> None:
    """The caption names the colour, shape and direction, and no other ones."""
    for other in gen.COLOURS:
        assert (re.search(rf'\b{other}\b', caption) is not None) == (other == colour), caption
    for other, words in gen.SHAPE_WORDS.items():
        named = any(re.search(rf'\b{word}\b', caption) for word in words)
        assert named == (other == shape), caption
    for other, pattern in DIRECTION_WORDS.items():
        assert (re.search(pattern, caption) is not None) == (other == direction), caption


def test_train_csv(runs: dict[str, Path], gen: ModuleType) -> None:
    header, rows = read_train(runs['a'])
    assert header == ['videoid', 'contentUrl', 'duration', 'page_dir', 'name', 'meaning']
    assert len(rows) == NUM_TRAIN
    attrs = load_json(runs['a'] / 'attributes.json')['train']
    for row in rows:
        assert (runs['a'] / 'videos' / row['page_dir'] / f'{row["videoid"]}.mp4').is_file()
        assert row['duration'] == 'PT00H00M02S'
        clip = attrs[row['videoid']]
        assert clip['caption'] == row['name']
        check_caption(gen, row['name'], clip['colour'], clip['shape'], clip['direction'])
        assert row['meaning'] == f'a {clip["colour"]} {clip["shape"]} moves {clip["direction"]}'


def test_caption_wordings(gen: ModuleType) -> None:
    rng = np.random.default_rng(123)
    for colour, shape, direction in itertools.product(gen.COLOURS, gen.SHAPES, gen.DIRECTIONS):
        captions = {gen.make_caption(rng, colour, shape, direction) for _ in range(60)}
        assert len(captions) >= 8
        for caption in captions:
            check_caption(gen, caption, colour, shape, direction)


def test_test_json(runs: dict[str, Path], gen: ModuleType) -> None:
    entries = load_json(runs['a'] / 'test.json')
    attrs = load_json(runs['a'] / 'attributes.json')['test']
    assert len(entries) == 100
    assert len({entry['caption'] for entry in entries}) == 100
    combos = set()
    for entry in entries:
        assert (runs['a'] / 'videos' / entry['video']).is_file()
        clip = attrs[entry['video']]
        combos.add((clip['colour'], clip['shape'], clip['direction']))
        assert entry['caption'] == f'a {clip["colour"]} {clip["shape"]} moves {clip["direction"]}'
    assert combos == set(itertools.product(gen.COLOURS, gen.SHAPES, gen.DIRECTIONS))


def test_decode_and_motion(runs: dict[str, Path], gen: ModuleType) -> None:
    attrs = load_json(runs['a'] / 'attributes.json')
    clips = [(f'test/{i:05d}.mp4', attrs['test'][f'test/{i:05d}.mp4']) for i in range(0, 100, 3)]
    _, rows = read_train(runs['a'])
    clips += [
        (f'{row["page_dir"]}/{row["videoid"]}.mp4', attrs['train'][row['videoid']]) for row in rows
    ]
    assert {clip['direction'] for _, clip in clips} == set(STEPS)
    for video, clip in clips:
        frames = decode(runs['a'] / 'videos' / video)
        assert frames.shape == (16, 64, 64, 3)
        (start, colour), (end, _) = shape_centroid(frames[0]), shape_centroid(frames[-1])
        step = np.array(STEPS[clip['direction']])
        assert (end - start) @ step > 10, (video, clip)
        assert abs((end - start) @ step[::-1]) < 3, (video, clip)
        reference = np.array(list(PURE_COLOURS.values()), np.float32)
        nearest = list(PURE_COLOURS)[np.abs(reference - colour).sum(axis=1).argmin()]
        assert nearest == clip['colour'], (video, clip, colour)


def test_same_seed_is_deterministic(runs: dict[str, Path]) -> None:
    for name in ('train.csv', 'test.json', 'attributes.json'):
        assert (runs['a'] / name).read_bytes() == (runs['b'] / name).read_bytes()
    for video in ('test/00042.mp4', 'train_000/1000007.mp4'):
        np.testing.assert_array_equal(
            decode(runs['a'] / 'videos' / video), decode(runs['b'] / 'videos' / video)
        )


def test_clips_do_not_depend_on_num_train(runs: dict[str, Path]) -> None:
    _, rows = read_train(runs['a'])
    _, fewer = read_train(runs['d'])
    assert fewer == rows[:5]
    assert (runs['a'] / 'test.json').read_bytes() == (runs['d'] / 'test.json').read_bytes()


def test_other_seed_changes_nuisances(runs: dict[str, Path]) -> None:
    first = load_json(runs['a'] / 'attributes.json')
    second = load_json(runs['c'] / 'attributes.json')
    assert first['test'].keys() == second['test'].keys()
    keys = ('background', 'speed', 'size', 'start')
    changed = [
        any(first['test'][v][k] != second['test'][v][k] for k in keys) for v in first['test']
    ]
    assert sum(changed) > 90
    assert read_train(runs['a'])[1] != read_train(runs['c'])[1]


def test_a_rerun_replaces_the_earlier_clips(tmp_path: Path, gen: ModuleType) -> None:
    """Fewer clips into the same folder: the earlier run's clips went unlisted beside them.
    Only the folders the generator writes are replaced."""
    gen.main(['--out-dir', str(tmp_path), '--num-train', '3'])
    (tmp_path / 'videos' / 'mine').mkdir()
    gen.main(['--out-dir', str(tmp_path), '--num-train', '1'])
    assert sorted(p.name for p in (tmp_path / 'videos').rglob('train_*/*.mp4')) == ['1000000.mp4']
    assert (tmp_path / 'videos' / 'mine').is_dir()


def test_the_answer_list_holds_every_answer_however_few_train_clips(tmp_path: Path, gen) -> None:
    gen.main(['--out-dir', str(tmp_path), '--num-train', '2'])
    questions = SCRIPT.parent / 'make_questions.py'
    subprocess.run(
        [sys.executable, str(questions), '--data-dir', str(tmp_path)],
        check=True,
        capture_output=True,
    )
    answers = load_json(tmp_path / 'answer_list.json')
    assert len(answers) == 14 and set(gen.COLOURS) | set(gen.SHAPES) | set(gen.DIRECTIONS) == set(
        answers
    )
