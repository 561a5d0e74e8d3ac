"""tools/test.py --out writes per-question predictions for open-ended QA and multiple choice."""

import json
from pathlib import Path

import pytest

from vtp.testing import QA_ANSWERS, run_tool, write_toy_config


@pytest.mark.parametrize(
    'config, key',
    [
        ('configs/videoqa/msrvtt_qa.py', 'qa/acc'),
        ('configs/multiple_choice/msrvtt_mc.py', 'mc/acc'),
    ],
)
def test_out_file_holds_every_question(tmp_path: Path, corpora_root: Path, config, key):
    toy = write_toy_config(
        tmp_path / 'toy.py', config, iters=1, ckpt_interval=1, num_answers=len(QA_ANSWERS)
    )
    run_tool('tools/train.py', str(toy), '--work-dir', str(tmp_path / 'work'), cwd=corpora_root)
    out = tmp_path / 'out.json'
    run_tool(
        'tools/test.py',
        str(toy),
        str(tmp_path / 'work' / 'iter_1.pth'),
        '--work-dir',
        str(tmp_path / 'test'),
        '--out',
        str(out),
        '--show-dir',
        str(tmp_path / 'show'),
        cwd=corpora_root,
    )
    result = json.loads(out.read_text())
    [index] = (tmp_path / 'show').glob('*/index.html')
    assert index.parent.name == ('qa' if key == 'qa/acc' else 'multiple_choice')
    assert index.read_text().count('<img src=') == len(result['predictions'])
    predictions = result['predictions']
    correct = sum(p['correct'] for p in predictions)
    assert result['metrics'][key] == pytest.approx(100 * correct / len(predictions))
    if key == 'qa/acc':  # 8 questions and one whose answer is outside the vocabulary
        assert sorted(p['question_id'] for p in predictions) == [0, 1, 10, 11, 20, 21, 30, 31, 999]
        unknown = next(p for p in predictions if p['question_id'] == 999)
        assert unknown['answer'] == 'seven' and not unknown['correct']
        assert {p['prediction'] for p in predictions} <= set(QA_ANSWERS)
    else:  # 5 clips, 5 options each
        assert [p['question_id'] for p in predictions] == list(range(5))
        assert all(len(p['scores']) == 5 for p in predictions)
