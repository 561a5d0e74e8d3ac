"""Print the protocol card of every benchmark config as a Markdown table (the one in
docs/user_guides/3_train_test.md).

    python tools/analysis/protocol_cards.py

Each row is read from the config itself (:func:`vtp.evaluation.protocol_card.protocol_card`):
frames and sampling at train and test time, crop size, splits, re-ranking and DSL, so the
table cannot drift from what the configs do. ``tests/test_evaluation/test_protocol_card.py``
checks that the guide holds exactly this table.
"""

from pathlib import Path
from typing import List

from mmengine.config import Config

from vtp.evaluation.protocol_card import protocol_card

ROOT = Path(__file__).resolve().parents[2]
TASKS = ('retrieval', 'videoqa', 'multiple_choice')


def benchmark_configs() -> List[Path]:
    """The fine-tuning configs of the public benchmarks (not the built-in moving shapes)."""
    return sorted(
        p
        for task in TASKS
        for p in (ROOT / 'configs' / task).glob('*.py')
        if p.stem != 'moving_shapes'
    )


def markdown_table() -> str:
    rows = [
        (str(p.relative_to(ROOT)), protocol_card(Config.fromfile(str(p))))
        for p in benchmark_configs()
    ]
    keys = list(rows[0][1])
    lines = ['| config | ' + ' | '.join(keys) + ' |', '| --- ' * (len(keys) + 1) + '|']
    lines += [f'| `{name}` | ' + ' | '.join(card[k] for k in keys) + ' |' for name, card in rows]
    return '\n'.join(lines)


if __name__ == '__main__':
    print(markdown_table())
