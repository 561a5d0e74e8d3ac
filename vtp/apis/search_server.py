"""A local search page over extracted features: a query box, and the top clips as frame strips
with their scores. Python's own HTTP server, nothing to install beyond faiss-cpu.

``GET /?q=TEXT&k=5`` is the page, ``GET /api/search?q=TEXT&k=5`` the same results as JSON,
``GET /frames/INDEX.png`` the frames of the clip of row INDEX of the features. A request whose
``Host`` is not an address of the server gets 403: a web page the user visits could otherwise
point a name it controls at 127.0.0.1 (DNS rebinding) and read results and frames.
"""

import html
import io
import ipaddress
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Set, Tuple
from urllib.parse import parse_qs, urlsplit

import numpy as np
from mmengine.logging import print_log
from PIL import Image

from vtp.apis.feature_search import FeatureSearch
from vtp.utils.checks import require_int
from vtp.visualization.clip_frames import ClipThumbnails
from vtp.visualization.result_strip import PAD, THUMB_SIZE

MAX_TOPK = 100
WILDCARDS = ('', '0.0.0.0', '::')
"""Hosts that mean every interface of the machine."""

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>vtp search</title>
<style>body{{font-family:sans-serif;margin:1em}} td{{padding:4px 8px;vertical-align:middle}}
input[type=text]{{width:30em}}</style></head><body>
<h1>vtp search</h1><p>{gallery}</p>
<form action="/" method="get"><input type="text" name="q" value="{query}" autofocus>
top <input type="number" name="k" value="{k}" min="1" max="{max_k}">
<input type="submit" value="Search"></form>
{results}
</body></html>
"""


def frames_png(frames: List[np.ndarray]) -> bytes:
    """Thumbnails (h, w, 3) side by side on a white strip, as PNG bytes."""
    height = max(f.shape[0] for f in frames)
    width = sum(f.shape[1] for f in frames) + PAD * (len(frames) - 1)
    strip = Image.new('RGB', (width, height), (255, 255, 255))
    left = 0
    for frame in frames:
        strip.paste(Image.fromarray(frame), (left, (height - frame.shape[0]) // 2))
        left += frame.shape[1] + PAD
    out = io.BytesIO()
    strip.save(out, format='PNG')
    return out.getvalue()


def host_name(header: str) -> Tuple[str, str]:
    """``(name, port)`` of a ``Host`` header (``'[::1]:80'`` -> ``('::1', '80')``), the name in
    lower case, the port ``''`` when absent."""
    header = header.strip().lower()
    if header.startswith('['):  # an IPv6 literal
        name, _, rest = header[1:].partition(']')
        return name, rest[1:] if rest.startswith(':') else ''
    name, _, port = header.rpartition(':') if header.count(':') == 1 else (header, '', '')
    return name, port


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class SearchServer(ThreadingHTTPServer):
    """Serve the search page of ``searcher`` at ``http://host:port/`` (port 0: a free one,
    then ``server_address`` names it). Searches run one at a time (the model is shared).

    Requests must name the server in their ``Host`` header with its port: ``127.0.0.1``,
    ``localhost``, ``host`` or, listening on every interface (``0.0.0.0``), any IP address or
    this machine's name; others (a DNS name rebound to this machine) get 403.

    Args:
        searcher: the features and the model that embeds queries.
        host: the address to listen on (``127.0.0.1``: this machine only).
        port: the port.
        topk: results per query unless the request asks (``k``, at most :data:`MAX_TOPK`).
        rerank_topk: re-score each query's top k with the matching head (0: off).
        num_frames: frames shown per clip.
    """

    def __init__(
        self,
        searcher: FeatureSearch,
        host: str = '127.0.0.1',
        port: int = 7860,
        topk: int = 5,
        rerank_topk: int = 0,
        num_frames: int = 4,
    ) -> None:
        require_int('topk', topk, 1, MAX_TOPK)
        require_int('rerank_topk (0: off)', rerank_topk, 0)
        super().__init__((host, port), SearchHandler)
        self.searcher, self.topk, self.rerank_topk = searcher, topk, rerank_topk
        self.names, self.any_ip = self.own_names(host), host in WILDCARDS
        self.thumbnails = ClipThumbnails(num_frames, THUMB_SIZE)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f'http://{host!s}:{port}/'

    @staticmethod
    def own_names(host: str) -> Set[str]:
        """The names a request may give in its ``Host`` header (lower case)."""
        names = {'127.0.0.1', 'localhost', '::1', host.lower().strip('[]')}
        if host in WILDCARDS:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        return names

    def allows(self, header: str) -> bool:
        """Whether a request with ``Host: header`` may be answered: one of :meth:`own_names`
        (or an IP address when listening on every interface), with the server's port."""
        name, port = host_name(header)
        if (port or '80') != str(self.server_address[1]):
            return False
        return name in self.names or (self.any_ip and is_ip(name))

    def search(self, query: str, k: int) -> Dict[str, Any]:
        """The results of one query (see :class:`FeatureSearch`)."""
        with self.lock:
            result: Dict[str, Any] = self.searcher([query], k, self.rerank_topk)[0]
        return result

    def frames(self, index: int) -> bytes:
        """The PNG of the frames of row ``index``; ValueError if it has none to show."""
        if not 0 <= index < len(self.searcher.rows):
            raise ValueError(f'no clip {index}: the features hold {len(self.searcher.rows)}')
        with self.lock:
            shown = self.thumbnails(self.searcher.item(index))
        if isinstance(shown, str):
            raise ValueError(shown)
        return frames_png(shown)

    def page(self, query: str, k: int) -> str:
        """The search page, with the results of ``query`` when it is not empty."""
        results = ''
        if query:
            rows = []
            for m in self.search(query, k)['matches']:
                note = '' if m['reranked'] or not self.rerank_topk else ' (similarity)'
                rows.append(
                    f'<tr><td>#{m["rank"]}</td><td>{m["score"]:.4f}{note}</td>'
                    f'<td><img src="/frames/{m["index"]}.png" alt="frames"></td>'
                    f'<td>{html.escape(m["path"])}</td></tr>'
                )
            results = f'<h2>{html.escape(query)}</h2><table>{"".join(rows)}</table>'
        gallery = f'{len(self.searcher.rows)} clips'
        if self.rerank_topk:
            gallery += f'; the top {self.rerank_topk} re-ranked by the matching head'
        return PAGE.format(
            gallery=gallery, query=html.escape(query, quote=True), k=k, max_k=MAX_TOPK,
            results=results,
        )  # fmt: skip


class SearchHandler(BaseHTTPRequestHandler):
    """Answers the GET requests of :class:`SearchServer`."""

    server: SearchServer

    def do_GET(self) -> None:
        host = self.headers.get('Host', '')
        if not self.server.allows(host):
            port = self.server.server_address[1]
            hint = f'Host {host[:100]!r} is not this server: open http://127.0.0.1:{port}/'
            self.reply(403, 'text/plain', hint.encode())
            return
        url = urlsplit(self.path)
        params = parse_qs(url.query)
        query = params.get('q', [''])[0].strip()
        try:
            k = int(params.get('k', [self.server.topk])[0])
            if not 1 <= k <= MAX_TOPK:
                raise ValueError
        except ValueError:
            self.reply(400, 'text/plain', f'k must be an integer in 1..{MAX_TOPK}'.encode())
            return
        if url.path in ('/', '/api/search'):
            try:
                self.answer(url.path, query, k)
            except ValueError as e:  # a query the model cannot embed (no words in it, ...)
                self.reply(400, 'text/plain', f'cannot search for it: {e}'.encode())
            except Exception as e:  # answered, never a dropped connection; the log has it
                print_log(
                    f'search for {query[:100]!r} failed: {e!r}',
                    logger='current',
                    level=logging.ERROR,
                )
                self.reply(500, 'text/plain', f'search failed: {type(e).__name__}: {e}'.encode())
        elif url.path.startswith('/frames/') and url.path.endswith('.png'):
            status, kind, body = self.frames(url.path[len('/frames/') : -len('.png')])
            self.reply(status, kind, body)
        else:
            self.reply(404, 'text/plain', f'not found: {url.path}'.encode())

    def answer(self, path: str, query: str, k: int) -> None:
        """Reply to ``/`` (the page) or ``/api/search`` (JSON)."""
        if path == '/':
            self.reply(200, 'text/html; charset=utf-8', self.server.page(query, k).encode())
        elif not query:
            self.reply(400, 'text/plain', b'give a query: /api/search?q=TEXT')
        else:
            body = json.dumps(self.server.search(query, k), ensure_ascii=False).encode()
            self.reply(200, 'application/json', body)

    def frames(self, name: str) -> Tuple[int, str, bytes]:
        try:
            return 200, 'image/png', self.server.frames(int(name))
        except ValueError as e:
            return 404, 'text/plain', str(e).encode()

    def reply(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
