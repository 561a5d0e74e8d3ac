"""Build the answer vocabulary of an open-ended video QA set from its training split.

Counts the answers of ``train_qa.json`` (``[{question, answer, video_id, id}]``), keeps the
``--top-k`` most frequent (ties broken alphabetically, so the list is reproducible) and writes
them as a JSON list, the classes of ``AnswerHead``. It prints the share of questions whose
answer is in the list, for the training split and for any ``--eval`` files: questions outside
it can never be answered right, and vtp counts them as wrong.

    python tools/data/videoqa/build_answer_vocab.py data/msrvtt_qa/train_qa.json \
        data/msrvtt_qa/answer_list.json --top-k 1500 --eval data/msrvtt_qa/test_qa.json
"""

import argparse
import json
from collections import Counter
from typing import List


def answers_of(path: str) -> List[str]:
    with open(path, encoding='utf-8') as f:
        items = json.load(f)
    if not isinstance(items, list):
        raise SystemExit(f'{path}: expected a JSON list of {{question, answer, ...}}')
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get('answer'), str):
            raise SystemExit(f'{path}: entry {i} has no string "answer": {item!r}')
    return [item['answer'].strip() for item in items]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('train', help='training annotation (train_qa.json)')
    parser.add_argument('out', help='output JSON list of answers')
    parser.add_argument(
        '--top-k',
        type=int,
        default=1500,
        help='vocabulary size (VindLU uses 1500 for MSRVTT-QA; 1000 is common)',
    )
    parser.add_argument('--eval', nargs='*', default=[], help='splits to report coverage on')
    args = parser.parse_args()

    counts = Counter(answers_of(args.train))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    vocabulary = [answer for answer, _ in ranked[: args.top_k]]
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump(vocabulary, f, ensure_ascii=False, indent=0)
    known = set(vocabulary)
    print(f'{len(vocabulary)} answers (of {len(counts)} distinct) written to {args.out}')
    for path in [args.train, *args.eval]:
        answers = answers_of(path)
        covered = sum(a in known for a in answers)
        print(
            f'{path}: {covered} of {len(answers)} questions ({100 * covered / len(answers):.2f}%)'
            ' have their answer in the vocabulary'
        )


if __name__ == '__main__':
    main()
