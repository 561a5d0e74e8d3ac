"""tools/extract_features.py then tools/search.py: every test caption as a query ranks the
clips exactly as tools/test.py does, with and without re-ranking; a rerun skips written
shards; two processes split the shards; features of another checkpoint and a bad top k stop
tools/search.py and tools/search_page.py with one line."""

import json
import os
import re
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from vtp.testing import TOY_RERANK_TOPK, import_tool, run_tool
from vtp.visualization import strip_size

pytest.importorskip('faiss')


def extract(toy, out: Path, *extra: str, env=None):
    return run_tool(
        'tools/extract_features.py',
        toy['config'],
        toy['checkpoint'],
        '--ann',
        toy['ann_file'],
        '--out',
        str(out),
        '--batch-size',
        '1',
        '--num-workers',
        '0',
        *extra,
        cwd=toy['root'],
        env=env,
    )


def test_search_ranks_as_tools_test_and_reruns_skip_written_shards(toy_retrieval, tmp_path):
    out = tmp_path / 'features'
    first = extract(toy_retrieval, out, '--shard-size', '2', '--dtype', 'float32')
    assert '5 videos in 3 shards; 3 mine, 0 already written' in first.stdout
    assert sorted(p.name for p in out.iterdir()) == ['manifest.json'] + [
        f'shard_0000{i}.{ext}' for i in range(3) for ext in ('csv', 'npy')
    ]
    (out / 'shard_00001.csv').unlink()  # as if killed while writing shard 1
    again = extract(toy_retrieval, out, '--shard-size', '2', '--dtype', 'float32')
    assert '3 mine, 2 already written' in again.stdout

    predictions = toy_retrieval['result']['predictions']
    queries = tmp_path / 'queries.txt'
    queries.write_text(''.join(p['caption'] + '\n' for p in predictions))
    for rerank in (TOY_RERANK_TOPK, 0):
        result = tmp_path / f'search{rerank}.json'
        printed = run_tool(
            'tools/search.py',
            toy_retrieval['config'],
            toy_retrieval['checkpoint'],
            '--features',
            str(out),
            '--query-file',
            str(queries),
            '--topk',
            '10',
            '--rerank-topk',
            str(rerank),
            '--batch-size',
            '1',
            '--out',
            str(result),
            '--show-dir',
            str(tmp_path / f'show{rerank}'),
            cwd=toy_retrieval['root'],
        )
        ranked = [[m['video_id'] for m in r['matches']] for r in json.loads(result.read_text())]
        r1 = 100 * sum(top[0] == p['video_id'] for top, p in zip(ranked, predictions)) / 5
        prefix = 'retrieval/rerank_' if rerank else 'retrieval/'
        assert r1 == toy_retrieval['result']['metrics'][prefix + 't2v_R1']
        if rerank:  # tools/test.py keeps the re-ranked top 10
            assert ranked == [p['top10'] for p in predictions]
        matches = [m for r in json.loads(result.read_text()) for m in r['matches']]
        below = [m for m in matches if m['rank'] > rerank]  # shown by their similarity
        assert len(below) == len(matches) - rerank * len(predictions)
        assert all(m['score'] == m['similarity'] and not m['reranked'] for m in below)
        assert printed.stdout.count('(similarity, not re-ranked)') == (len(below) if rerank else 0)
        assert all(-1.01 < m['similarity'] < 1.01 for m in matches)
        page = (tmp_path / f'show{rerank}' / 'index.html').read_text()
        strips = re.findall(r'<a href="([^"]+)"><img src="\1"', page)
        assert strips == [f'{i:04d}.png' for i in range(len(predictions))]
        with Image.open(tmp_path / f'show{rerank}' / strips[0]) as strip:
            assert strip.size == strip_size(5, 4)  # 5 clips in the gallery, 4 frames each


def test_two_processes_split_the_shards(toy_gallery, tmp_path):
    out = tmp_path / 'features'
    logs = [
        extract(
            toy_gallery,
            out,
            '--shard-size',
            '2',
            env={'RANK': str(rank), 'WORLD_SIZE': '2'},
        ).stdout
        for rank in (1, 0)
    ]
    assert '5 videos in 3 shards; 1 mine' in logs[0] and '2 mine, 0 already' in logs[1]
    assert sorted(p.name for p in out.glob('*.csv')) == [f'shard_0000{i}.csv' for i in range(3)]
    rows = [
        line.split(',')[1]
        for p in sorted(out.glob('*.csv'))
        for line in p.read_text().splitlines()[1:]
    ]
    assert [os.path.basename(r) for r in rows] == [f'video{7000 + i}.mp4' for i in range(5)]


@pytest.fixture
def other_checkpoint(toy_features, tmp_path) -> str:
    """The toy checkpoint with one weight changed: not the model the features came from."""
    state = torch.load(toy_features['checkpoint'], weights_only=True)['state_dict']
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = state[name] + 1e-3
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state), path)
    return str(path)


@pytest.mark.parametrize(
    'other, extra, message',
    [
        (True, [], 'has another checkpoint'),
        (False, ['--topk', '0', '--rerank-topk', '2'], 'topk must be an int >= 1, got 0'),
    ],
)
def test_search_stops_with_one_line(
    toy_features, other_checkpoint, monkeypatch, other, extra, message
):
    """Features of another checkpoint and a bad top k end with ``error: ...`` (a SystemExit,
    no traceback)."""
    monkeypatch.chdir(toy_features['root'])
    checkpoint = other_checkpoint if other else toy_features['checkpoint']
    argv = [toy_features['config'], checkpoint, '--features', toy_features['features']]
    with pytest.raises(SystemExit) as error:
        import_tool('tools/search.py').main(argv + ['--query', 'a test clip', *extra])
    assert str(error.value).startswith('error: ') and message in str(error.value)


@pytest.mark.parametrize(
    'extra, message',
    [
        (['--dtype', 'float16'], 'computed differently (dtype differ'),
        (['--shard-size', '0'], None),
        (['--out', 'FILE'], None),
    ],
)
def test_extraction_stops_with_one_line(
    toy_features, tmp_path, monkeypatch, capsys, extra, message
):
    """A folder of other features, a bad --shard-size and an --out that is a file were
    tracebacks."""
    monkeypatch.chdir(toy_features['root'])
    (tmp_path / 'file').write_text('')
    extra = [str(tmp_path / 'file') if e == 'FILE' else e for e in extra]
    argv = ['extract_features.py', toy_features['config'], toy_features['checkpoint']]
    argv += ['--ann', toy_features['ann_file'], '--out', toy_features['features'], *extra]
    monkeypatch.setattr(sys, 'argv', argv)
    with pytest.raises(SystemExit) as error:
        import_tool('tools/extract_features.py').main()
    shown = str(error.value) + capsys.readouterr().err
    assert 'error' in shown and 'Traceback' not in shown
    if message:
        assert message in shown
