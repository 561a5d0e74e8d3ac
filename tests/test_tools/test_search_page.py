"""tools/search_page.py: started on 127.0.0.1 with a free port, it answers a query over HTTP;
a bad top k stops it with one line."""

import json
import os
import queue
import subprocess
import sys
import threading
from urllib.parse import quote
from urllib.request import urlopen

import pytest

from vtp.testing import import_tool, repo_root

pytest.importorskip('faiss', reason='the search page searches a faiss index (faiss-cpu)')


def read_lines(process: subprocess.Popen, lines: queue.Queue) -> None:
    """Put each line the process prints on ``lines``, then None when it exits."""
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


def test_serves_a_query(toy_features):
    root = repo_root()
    process = subprocess.Popen(
        [
            sys.executable,
            str(root / 'tools/search_page.py'),
            toy_features['config'],
            toy_features['checkpoint'],
            '--features',
            toy_features['features'],
            '--port',
            '0',
        ],
        cwd=toy_features['root'],
        env={**os.environ, 'PYTHONPATH': str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()  # its output, read in a thread: waits have a deadline
    threading.Thread(target=read_lines, args=(process, lines), daemon=True).start()
    try:
        seen = []
        while not seen or 'Search page of' not in seen[-1]:  # model loading logs before it
            line = lines.get(timeout=300)
            assert line is not None, 'the page stopped:\n' + ''.join(seen)
            seen.append(line)
        assert 'Search page of 5 clips at http://127.0.0.1:' in line
        url = line.split(' at ')[1].split()[0]
        with urlopen(url + 'api/search?q=' + quote('a test clip number 1'), timeout=60) as r:
            result = json.loads(r.read())
        assert result['text'] == 'a test clip number 1' and len(result['matches']) == 5
        assert [m['rank'] for m in result['matches']] == [1, 2, 3, 4, 5]
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize(
    'extra, message',
    [
        (['--topk', '0'], 'topk must be an int in 1..100'),
        (['--rerank-topk', '-1'], 'rerank_topk (0: off) must be an int >= 0'),
    ],
)
def test_bad_topk_stops_with_one_line(toy_features, monkeypatch, extra, message):
    monkeypatch.chdir(toy_features['root'])
    argv = [toy_features['config'], toy_features['checkpoint'], '--features']
    with pytest.raises(SystemExit) as error:  # before serving
        import_tool('tools/search_page.py').main([*argv, toy_features['features'], *extra])
    assert str(error.value).startswith('error: ') and message in str(error.value)
