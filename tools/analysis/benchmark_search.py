"""Query latency and recall@10 against exact search, for FAISS indexes over synthetic clip
embeddings: ``python tools/analysis/benchmark_search.py [--sizes 10000 100000 1000000]``.

Embeddings are random unit vectors (E=256 by default) with queries drawn near gallery items,
so that each query has a clear neighbourhood, as text queries of a trained model do.
"""

import argparse
import time

import numpy as np

from vtp.apis.feature_index import build_index, search


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark FAISS search over synthetic clips')
    parser.add_argument('--sizes', type=int, nargs='+', default=[10_000, 100_000, 1_000_000])
    parser.add_argument('--dim', type=int, default=256, help='embedding width E')
    parser.add_argument('--queries', type=int, default=200)
    parser.add_argument('--nprobe', type=int, default=16)
    parser.add_argument('--pq-m', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    print(f'{"gallery":>9} {"index":>6} {"build s":>8} {"ms/query":>9} {"recall@10":>10}')
    for size in args.sizes:
        gallery = unit(rng.standard_normal((size, args.dim), dtype=np.float32))
        near = gallery[rng.integers(size, size=args.queries)]
        queries = unit(
            near + 0.6 * rng.standard_normal(near.shape, dtype=np.float32) / args.dim**0.5
        )
        exact = None
        for kind in ('flat', 'ivf', 'ivfpq'):
            start = time.perf_counter()
            index = build_index(gallery, kind, nprobe=args.nprobe, pq_m=args.pq_m)
            built = time.perf_counter() - start
            start = time.perf_counter()
            for q in queries:  # one query at a time: a user's latency
                search(index, q[None], 10)
            latency = (time.perf_counter() - start) / len(queries) * 1000
            _, ids = search(index, queries, 10)
            exact = ids if exact is None else exact
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact)])
            print(f'{size:>9} {kind:>6} {built:>8.2f} {latency:>9.3f} {recall:>10.3f}')


if __name__ == '__main__':
    main()
