"""A local search page over extracted features: type a query, see the top clips' frames.

``python tools/search_page.py CONFIG CHECKPOINT --features DIR [--port 7860]``

then open the printed address. ``--host 0.0.0.0`` serves other machines too (no login: only on
a trusted network). Needs faiss-cpu (``requirements/optional.txt``).
"""

import argparse
from typing import List, Optional

from mmengine.config import DictAction

from vtp.apis import FeatureExtractor, FeatureSearch
from vtp.apis.search_server import SearchServer
from vtp.apis.video_text_inferencer import load_config
from vtp.utils.config_file import ConfigError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Serve a search page over extracted features')
    parser.add_argument('config', help='the config the features were extracted with')
    parser.add_argument('checkpoint', help='the checkpoint the features were extracted with')
    parser.add_argument('--features', required=True, help='output folder of extract_features')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on')
    parser.add_argument('--port', type=int, default=7860, help='port (0: any free one)')
    parser.add_argument('--topk', type=int, default=5, help='results per query by default')
    parser.add_argument('--rerank-topk', type=int, default=0, help='re-score the top K (0: off)')
    parser.add_argument('--frames', type=int, default=4, help='frames shown per clip')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        raise SystemExit(f'error: {e}') from None
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    extractor = FeatureExtractor(cfg, args.checkpoint, show_progress=False)
    try:  # features of another model, bad --topk: one line, no traceback
        searcher = FeatureSearch(extractor, args.features)
        server = SearchServer(
            searcher, args.host, args.port, args.topk, args.rerank_topk, args.frames
        )
    except ValueError as e:
        raise SystemExit(f'error: {e}') from None
    print(f'Search page of {len(searcher.rows)} clips at {server.url} (Ctrl-C stops)', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == '__main__':
    main()
