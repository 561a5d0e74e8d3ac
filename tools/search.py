"""Search extracted clip features with text queries through a FAISS index.

``python tools/search.py CONFIG CHECKPOINT --features DIR --query 'a red circle' [--topk 5]``

The index is exact inner product by default (``--index ivf`` / ``ivfpq`` for large
galleries). ``--rerank-topk K`` re-scores each query's top K with the model's matching head,
by the rule of the retrieval test loop (the K clips are decoded again for their tokens);
the results below the top K keep their similarity order and show their similarity.
``--show-dir DIR`` draws each query's results (a PNG strip of frames with scores, and an
``index.html`` linking them). Needs faiss-cpu (``requirements/optional.txt``).
"""

import argparse
import json
from typing import Any, Dict, List

import torch
from mmengine.config import DictAction

from vtp.apis import FeatureExtractor
from vtp.apis.feature_index import INDEX_KINDS, build_index, search
from vtp.apis.feature_shards import read_features
from vtp.apis.video_text_inferencer import load_config
from vtp.engine.runner.retrieval_loop import match_scorers, reranked, rescore_topk
from vtp.visualization import ClipThumbnails, ResultPage, clip_row
from vtp.visualization.result_strip import THUMB_SIZE


def parse_args() -> argparse.Namespace:
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
    return parser.parse_args()


def item_of(row: Dict[str, str]) -> Dict[str, Any]:
    """The gallery item of a feature table row (its path and time window)."""
    item: Dict[str, Any] = dict(filename=row['path'])
    for key in ('start', 'end'):
        if row[key] != '':
            item[key] = float(row[key])
    return item


def show(
    results: List[Dict[str, Any]], items: List[List[Dict[str, Any]]], out_dir: str, frames: int
) -> None:
    """A strip per query of its results' frames and scores (``items``: the clips of each
    query's matches), and the page linking them."""
    page = ResultPage(out_dir, 'tools/search.py results', frames)
    thumbnails = ClipThumbnails(frames, THUMB_SIZE)
    for result, clips in zip(results, items):
        strip = [
            clip_row(thumbnails, item, m['rank'], m['score'], m['path'])
            for m, item in zip(result['matches'], clips)
        ]
        page.add(result['text'], strip)
    print(f'pictures of the results: {page.write()}')


def main() -> None:
    args = parse_args()
    queries = list(args.query)
    if args.query_file:
        with open(args.query_file, encoding='utf-8') as f:
            queries += [line.strip() for line in f if line.strip()]
    if not queries:
        raise SystemExit('error: give --query TEXT or --query-file FILE')
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = FeatureExtractor(cfg, args.checkpoint, batch_size=args.batch_size)
    model.show_progress = False
    embeds, rows = read_features(args.features)
    index = build_index(embeds, args.index, args.nlist, args.nprobe, args.pq_m)
    texts = model.embed_texts(queries)
    scores, ids = search(
        index, texts.embeds.numpy(), min(max(args.topk, args.rerank_topk), len(rows))
    )
    tokens = {}
    if args.rerank_topk:
        if texts.tokens is None or texts.mask is None:
            raise SystemExit('error: re-ranking needs a model with a fusion encoder')
        needed = sorted({int(i) for i in ids[:, : args.rerank_topk].ravel() if i >= 0})
        videos = model.embed_videos([item_of(rows[i]) for i in needed])
        if videos.failures or videos.tokens is None:
            raise SystemExit(f'error: cannot read clips to re-rank: {videos.failures}')
        tokens = dict(zip(needed, videos.tokens))
    results: List[Dict[str, Any]] = []
    shown: List[List[Dict[str, Any]]] = []  # the clips of each query's matches
    with torch.no_grad():
        for q, text in enumerate(queries):
            found = [int(i) for i in ids[q] if i >= 0]
            sim = torch.from_numpy(scores[q, : len(found)]).unsqueeze(0)  # (1, C)
            final = sim.double()
            if args.rerank_topk:
                assert texts.tokens is not None and texts.mask is not None
                candidate_tokens = torch.stack([tokens[i] for i in found[: args.rerank_topk]])
                score = match_scorers(
                    model.model, texts.tokens[q : q + 1], texts.mask[q : q + 1], candidate_tokens
                )[0]
                k = args.rerank_topk  # the first k found are the top k
                rescored = rescore_topk(sim[:, :k], k, score, [0])
                final = reranked(sim, rescored, model.model.similarity_scale())
            best = final[0].topk(min(args.topk, len(found)))
            matches = []
            for rank, (value, c) in enumerate(zip(best.values.tolist(), best.indices.tolist()), 1):
                row = rows[found[c]]
                rescored = c < args.rerank_topk
                similarity = float(sim[0, c])
                matches.append(
                    dict(
                        rank=rank,
                        path=row['path'],
                        video_id=row['video_id'],
                        # below the re-ranked top k, the rank follows the similarity
                        score=value if rescored or not args.rerank_topk else similarity,
                        similarity=similarity,
                        reranked=rescored,
                    )
                )
            results.append(dict(text=text, matches=matches))
            shown.append([item_of(rows[found[c]]) for c in best.indices.tolist()])
            print(f'{text}')
            for m in matches:
                note = (
                    '  (similarity, not re-ranked)'
                    if args.rerank_topk and not m['reranked']
                    else ''
                )
                print(f'  {m["rank"]:>3}  {m["score"]:8.4f}  {m["path"]}{note}')
    if args.show_dir:
        show(results, shown, args.show_dir, args.show_frames)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=2, ensure_ascii=False)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
