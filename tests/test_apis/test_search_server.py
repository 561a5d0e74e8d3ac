"""The search page over HTTP on 127.0.0.1 (a free port): the JSON answer is FeatureSearch's,
the page shows every match's frames and score, frames come as PNG, bad requests get 400/404,
requests naming another host (DNS rebinding) 403."""

import http.client
import io
import json
import threading
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import urlopen

import pytest
from PIL import Image

from vtp.apis.search_server import MAX_TOPK, SearchServer, host_name
from vtp.visualization.result_strip import THUMB_SIZE

pytest.importorskip('faiss', reason='the search page searches a faiss index (faiss-cpu)')


@pytest.fixture
def server(toy_searcher, toy_features, monkeypatch):
    monkeypatch.chdir(toy_features['root'])  # the clips' paths are relative to it
    server = SearchServer(toy_searcher, '127.0.0.1', 0, topk=3, num_frames=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def get(url):
    with urlopen(url, timeout=60) as response:
        return response.status, response.headers['Content-Type'], response.read()


def test_answers_queries_over_http(server, toy_searcher):
    query = 'a test clip number 2'
    status, kind, body = get(server.url + 'api/search?q=' + quote(query) + '&k=4')
    assert status == 200 and kind == 'application/json'
    assert json.loads(body) == toy_searcher([query], 4)[0]
    status, kind, body = get(server.url + '?q=' + quote(query + ' <b>'))
    page = body.decode()
    matches = toy_searcher([query + ' <b>'], 3)[0]['matches']
    assert status == 200 and 'a test clip number 2 &lt;b&gt;' in page and '<b>' not in page
    for m in matches:
        assert f'<img src="/frames/{m["index"]}.png"' in page and f'{m["score"]:.4f}' in page
    assert page.count('<img') == 3
    status, kind, body = get(server.url + f'frames/{matches[0]["index"]}.png')
    with Image.open(io.BytesIO(body)) as image:
        assert kind == 'image/png' and image.format == 'PNG'
        assert image.height <= THUMB_SIZE[0] and image.width > image.height  # 2 frames


@pytest.mark.parametrize(
    'path, status', [('api/search?q=x&k=0', 400), ('api/search', 400), ('frames/99.png', 404)]
)
def test_refuses_bad_requests(server, path, status):
    with pytest.raises(HTTPError) as error:
        get(server.url + path)
    assert error.value.code == status


def get_with_host(server, path, host):
    """``GET path`` carrying ``Host: host`` (a browser sends the name of the URL it opened)."""
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    try:
        connection.request('GET', path, headers={'Host': host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize('path', ['/?q=a', '/api/search?q=a', '/frames/0.png'])
def test_refuses_other_host_names(server, path):
    """DNS rebinding: a page of attacker.example that re-points its name at 127.0.0.1 would
    read the answers as its own; the server answers only its own address."""
    port = server.server_address[1]
    for host in (
        'attacker.example',
        f'attacker.example:{port}',
        f'127.0.0.1.attacker.example:{port}',
    ):
        status, body = get_with_host(server, path, host)
        assert status == 403 and b'127.0.0.1' in body, host
    for host in (f'127.0.0.1:{port}', f'localhost:{port}', f'LOCALHOST:{port}'):
        assert get_with_host(server, path, host)[0] == 200, host
    assert get_with_host(server, path, f'localhost:{port + 1}')[0] == 403


@pytest.mark.parametrize(
    'header, name, port',
    [('localhost:80', 'localhost', '80'), ('[::1]:7860', '::1', '7860'), ('a.b', 'a.b', ''),
     ('[::1]', '::1', ''), ('1:2:3', '1:2:3', '')],
)  # fmt: skip
def test_host_name(header, name, port):
    assert host_name(header) == (name, port)


@pytest.mark.parametrize(
    'topk, rerank_topk, match',
    [
        (0, 0, 'topk must be an int in 1..'),
        (MAX_TOPK + 1, 0, 'topk must be an int in 1..'),
        (2.5, 0, f'topk must be an int in 1..{MAX_TOPK}, got 2.5'),
        (5, -1, r'rerank_topk \(0: off\) must be an int >= 0'),
    ],
)
def test_refuses_bad_defaults(toy_searcher, topk, rerank_topk, match):
    with pytest.raises(ValueError, match=match):
        SearchServer(toy_searcher, '127.0.0.1', 0, topk=topk, rerank_topk=rerank_topk)


@pytest.mark.parametrize(
    'error, status, text',
    [
        (ValueError('no words in the text'), 400, 'cannot search for it: no words in the text'),
        (RuntimeError('out of memory'), 500, 'search failed: RuntimeError: out of memory'),
    ],
)
@pytest.mark.parametrize('path', ['api/search?q=x', '?q=x'])
def test_a_failed_search_is_answered_with_its_reason(
    server, monkeypatch, error, status, text, path
):
    """Never a dropped connection (the client saw RemoteDisconnected)."""

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(server, 'searcher', fail)
    with pytest.raises(HTTPError) as raised:
        get(server.url + path)
    assert raised.value.code == status and raised.value.read().decode() == text
