"""Search extracted clip features with text queries through a FAISS index.

``python tools/search.py CONFIG CHECKPOINT --features DIR --query 'a red circle' [--topk 5]``

The index is exact inner product by default (``--index ivf`` / ``ivfpq`` for large
galleries). ``--rerank-topk K`` re-scores each query's top K with the model's matching head,
by the rule of the retrieval test loop (the K clips are decoded again for their tokens);
the results below the top K keep their similarity order and show their similarity.
``--show-dir DIR`` draws each query's results (a PNG strip of frames with scores, and an
``index.html`` linking them). CONFIG and CHECKPOINT must be those the features were
extracted with (checked against their ``manifest.json``). Needs faiss-cpu
(``requirements/optional.txt``).
"""

import argparse
import json
from typing import Any, Dict, List, Optional

from mmengine.config import DictAction

from vtp.apis import FeatureExtractor, FeatureSearch
from vtp.apis.feature_index import INDEX_KINDS
from vtp.apis.video_text_inferencer import load_config
from vtp.utils.config_file import ConfigError
from vtp.visualization import ClipThumbnails, ResultPage, clip_row
from vtp.visualization.result_strip import THUMB_SIZE


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Search extracted features with text')
    parser.add_argument('config', help='the config the features were extracted with')
    parser.add_argument('checkpoint', help='the checkpoint the features were extracted with')
    parser.add_argument('--features', required=True, help='output folder of extract_features')
    parser.add_argument('--query', action='append', default=[], help='a text query (repeatable)')
    parser.add_argument('--query-file', help='a file of text queries, one per line')
    parser.add_argument('--topk', type=int, default=5, help='results per query')
    parser.add_argument('--rerank-topk', type=int, default=0, help='re-score the top K (0: off)')
    parser.add_argument('--index', choices=INDEX_KINDS, default='flat', help='index kind')
    parser.add_argument('--nlist', type=int, help='IVF lists (about 4 x sqrt(N) by default)')
    parser.add_argument('--nprobe', type=int, default=16, help='IVF lists searched per query')
    parser.add_argument('--pq-m', type=int, default=16, help='IVF-PQ sub-vectors')
    parser.add_argument('--batch-size', type=int, help='texts or clips per forward pass')
    parser.add_argument('--out', help='write the results as JSON')
    parser.add_argument('--show-dir', help='draw the results here (PNG strips, index.html)')
    parser.add_argument('--show-frames', type=int, default=4, help='frames drawn per clip')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    return parser.parse_args(argv)


def show(results: List[Dict[str, Any]], searcher: FeatureSearch, out_dir: str, frames: int) -> None:
    """A strip per query of its results' frames and scores, and the page linking them."""
    page = ResultPage(out_dir, 'tools/search.py results', frames)
    thumbnails = ClipThumbnails(frames, THUMB_SIZE)
    for result in results:
        strip = [
            clip_row(thumbnails, searcher.item(m['index']), m['rank'], m['score'], m['path'])
            for m in result['matches']
        ]
        page.add(result['text'], strip)
    print(f'pictures of the results: {page.write()}')


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    queries = list(args.query)
    if args.query_file:
        with open(args.query_file, encoding='utf-8') as f:
            queries += [line.strip() for line in f if line.strip()]
    if not queries:
        raise SystemExit('error: give --query TEXT or --query-file FILE')
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        raise SystemExit(f'error: {e}') from None
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    extractor = FeatureExtractor(cfg, args.checkpoint, batch_size=args.batch_size)
    extractor.show_progress = False
    try:  # features of another model, bad --topk: one line, no traceback
        searcher = FeatureSearch(
            extractor, args.features, args.index, args.nlist, args.nprobe, args.pq_m
        )
        results = searcher(queries, args.topk, args.rerank_topk)
    except ValueError as e:
        raise SystemExit(f'error: {e}') from None
    for result in results:
        print(result['text'])
        for m in result['matches']:
            note = '  (similarity, not re-ranked)' if args.rerank_topk and not m['reranked'] else ''
            print(f'  {m["rank"]:>3}  {m["score"]:8.4f}  {m["path"]}{note}')
    if args.show_dir:
        show(results, searcher, args.show_dir, args.show_frames)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=2, ensure_ascii=False)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
