"""The QA data tools: answer vocabulary from a training split; moving-shapes questions."""

import json
from pathlib import Path

from vtp.testing import run_tool


def test_answer_vocabulary_is_the_top_k_with_coverage(tmp_path: Path) -> None:
    answers = ['dog'] * 3 + ['cat'] * 3 + ['man'] * 2 + ['red']
    train = tmp_path / 'train_qa.json'
    train.write_text(
        json.dumps([dict(question='q', answer=a, video_id=0, id=i) for i, a in enumerate(answers)])
    )
    test = tmp_path / 'test_qa.json'
    test.write_text(
        json.dumps(
            [
                dict(question='q', answer=a, video_id=0, id=i)
                for i, a in enumerate(['dog', 'red', 'blue', 'man'])
            ]
        )
    )
    out = tmp_path / 'answer_list.json'
    result = run_tool(
        'tools/data/videoqa/build_answer_vocab.py',
        str(train),
        str(out),
        '--top-k',
        '3',
        '--eval',
        str(test),
    )
    assert json.loads(out.read_text()) == ['cat', 'dog', 'man']  # by count, ties alphabetical
    assert '8 of 9 questions (88.89%)' in result.stdout
    assert '2 of 4 questions (50.00%)' in result.stdout


def test_moving_shapes_questions(moving_shapes_root: str) -> None:
    root = Path(moving_shapes_root)  # conftest ran make_questions.py on it
    test = json.loads((root / 'test_qa.json').read_text())
    train = json.loads((root / 'train_qa.json').read_text())
    attributes = json.loads((root / 'attributes.json').read_text())
    assert len(test) == 300 and len(train) == 3 * 24
    assert {q['type'] for q in test} == {'colour', 'shape', 'direction'}
    for question in test:
        truth = attributes['test'][question['video_id']][question['type']]
        assert question['answer'] == truth
        assert (root / 'videos' / question['video_id']).is_file()
    answers = json.loads((root / 'answer_list.json').read_text())
    assert set(answers) == {q['answer'] for q in train + test}  # every answer, 14
    assert len(answers) == 14
    direction = [q for q in test if q['type'] == 'direction']
    assert {q['answer'] for q in direction} == {'left', 'right', 'up', 'down'}
    assert len({q['question'] for q in direction}) == 1  # the answer is only in the frames


def test_moving_shapes_multiple_choice(moving_shapes_root: str) -> None:
    root = Path(moving_shapes_root)
    attributes = json.loads((root / 'attributes.json').read_text())['test']
    items = json.loads((root / 'test_mc.json').read_text())
    assert len(items) == 100 and len(json.loads((root / 'train_mc.json').read_text())) == 24
    opposite = dict(left='right', right='left', up='down', down='up')
    for item in items:
        attrs = attributes[item['video']]
        truth = f'a {attrs["colour"]} {attrs["shape"]} moves {attrs["direction"]}'
        options = item['caption']
        assert len(options) == 5 and options[item['answer']] == truth
        changed = sorted(
            next(i for i, (a, b) in enumerate(zip(truth.split(), o.split())) if a != b)
            for o in options
            if o != truth
        )
        assert changed == [1, 2, 4, 4]  # colour, shape and twice the direction
        assert truth.replace(attrs['direction'], opposite[attrs['direction']]) in options
    assert len({item['answer'] for item in items}) > 1  # the true option moves around
