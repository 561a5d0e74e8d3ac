"""Questions about the moving-shapes clips: open-ended (MSRVTT-QA layout) and multiple choice
(MSRVTT-MC layout).

Reads ``attributes.json``, ``train.csv`` and ``test.json`` written by ``generate.py`` and
writes, in the same folder:

- ``train_qa.json`` / ``test_qa.json``: ``[{question, answer, video_id, id, type}]``, three
  questions per clip: its colour, its shape and the way it moves (``type`` is ``colour``,
  ``shape`` or ``direction``). ``video_id`` is the clip's path under ``videos/`` (read with
  ``video_template='{}'``). Training questions use varied wordings; test questions one each.
  The direction can only be read from the frames in order.
- ``answer_list.json``: every answer of the clips, train and test (14: 5 colours, 5 shapes,
  4 directions; the test clips hold every combination, so however few train clips there are).
- ``train_mc.json`` / ``test_mc.json``: ``[{video, caption: [5 options], answer}]``: the
  true caption ``a {colour} {shape} moves {direction}`` and four that differ from it in one
  attribute (the opposite direction, another direction, another colour, another shape), in a
  random order.

    python tools/data/moving_shapes/make_questions.py --data-dir data/moving_shapes
"""

import argparse
import csv
import json
import random
from pathlib import Path

TRAIN_WORDINGS = {
    'colour': [
        'what colour is the {shape}?',
        'what color is the shape?',
        'which colour does the moving {shape} have?',
    ],
    'shape': [
        'what shape is the {colour} object?',
        'what kind of shape is moving?',
        'which shape do we see?',
    ],
    'direction': [
        'which way does the {colour} {shape} move?',
        'where is the shape going?',
        'in which direction does the {shape} travel?',
    ],
}
TEST_WORDINGS = {
    'colour': 'what colour is the shape?',
    'shape': 'what shape is moving?',
    'direction': 'which way does the shape move?',
}


def questions(clips: dict, wordings: dict, rng: random.Random) -> list:
    """Three questions per clip (``clips``: video path -> attributes)."""
    items = []
    for video, attrs in clips.items():
        for kind, options in wordings.items():
            template = options if isinstance(options, str) else rng.choice(options)
            items.append(
                dict(
                    question=template.format(colour=attrs['colour'], shape=attrs['shape']),
                    answer=attrs[kind],
                    video_id=video,
                    id=len(items),
                    type=kind,
                )
            )
    return items


OPPOSITE = {'left': 'right', 'right': 'left', 'up': 'down', 'down': 'up'}


def caption(colour: str, shape: str, direction: str) -> str:
    return f'a {colour} {shape} moves {direction}'


def multiple_choice(clips: dict, values: dict, rng: random.Random) -> list:
    """One item per clip: its caption among four captions that change one attribute."""
    items = []
    for video, attrs in clips.items():
        colour, shape, direction = attrs['colour'], attrs['shape'], attrs['direction']
        other_direction = rng.choice(
            [d for d in values['direction'] if d not in (direction, OPPOSITE[direction])]
        )
        options = [
            caption(colour, shape, direction),
            caption(colour, shape, OPPOSITE[direction]),
            caption(colour, shape, other_direction),
            caption(rng.choice([c for c in values['colour'] if c != colour]), shape, direction),
            caption(colour, rng.choice([s for s in values['shape'] if s != shape]), direction),
        ]
        order = list(range(5))
        rng.shuffle(order)
        items.append(dict(video=video, caption=[options[i] for i in order], answer=order.index(0)))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data-dir', default='data/moving_shapes')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    root = Path(args.data_dir)
    attributes = json.loads((root / 'attributes.json').read_text(encoding='utf-8'))
    with open(root / 'train.csv', newline='', encoding='utf-8') as f:
        train = {
            f'{row["page_dir"]}/{row["videoid"]}.mp4': attributes['train'][row['videoid']]
            for row in csv.DictReader(f)
        }
    test = {
        item['video']: attributes['test'][item['video']]
        for item in json.loads((root / 'test.json').read_text(encoding='utf-8'))
    }
    rng = random.Random(args.seed)
    for name, items in (
        ('train_qa.json', questions(train, TRAIN_WORDINGS, rng)),
        ('test_qa.json', questions(test, TEST_WORDINGS, rng)),
    ):
        (root / name).write_text(json.dumps(items, indent=1) + '\n', encoding='utf-8')
        print(f'{len(items)} questions written to {root / name}')
    clips = [*train.values(), *test.values()]
    answers = sorted({attrs[kind] for attrs in clips for kind in TEST_WORDINGS})
    (root / 'answer_list.json').write_text(json.dumps(answers) + '\n', encoding='utf-8')
    print(f'{len(answers)} answers written to {root / "answer_list.json"}')
    values = {kind: sorted({attrs[kind] for attrs in test.values()}) for kind in TEST_WORDINGS}
    for name, clips in (('test_mc.json', test), ('train_mc.json', train)):
        items = multiple_choice(clips, values, rng)
        (root / name).write_text(json.dumps(items, indent=1) + '\n', encoding='utf-8')
        print(f'{len(items)} multiple-choice items written to {root / name}')


if __name__ == '__main__':
    main()
