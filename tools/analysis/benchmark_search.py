"""Query latency and recall@10 against exact search, for FAISS indexes over synthetic clip
embeddings: ``python tools/analysis/benchmark_search.py [--sizes 10000 100000 1000000]``.

Clip embeddings of a trained model gather by topic; the synthetic ones do too: unit vectors
(E=256 by default) around ``--clusters`` random centres (``--spread``: the noise's norm against
the centre's), with queries drawn near gallery items, so that each query has a clear
neighbourhood, as text queries of a trained model do. Isotropic random vectors (``--clusters
0``) have no such structure, and an IVF index (which searches the lists of the nearest
centroids) then finds few of the true neighbours: that case is no guide to real galleries.
"""

import argparse
import time
from typing import List, Optional

import numpy as np

from vtp.apis.feature_index import build_index, search
from vtp.utils.checks import positive_float, positive_int


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark FAISS search over synthetic clips')
    parser.add_argument(
        '--sizes', type=positive_int, nargs='+', default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument('--dim', type=positive_int, default=256, help='embedding width E')
    parser.add_argument('--clusters', type=int, default=1000, help='0: isotropic vectors')
    parser.add_argument('--spread', type=positive_float, default=0.5)
    parser.add_argument('--queries', type=positive_int, default=200)
    parser.add_argument('--nprobe', type=positive_int, default=16)
    parser.add_argument('--pq-m', type=positive_int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.clusters < 0 or args.clusters > min(args.sizes):
        parser.error('--clusters must be in 0..the smallest of --sizes')
    if args.dim % args.pq_m:
        parser.error(f'--pq-m {args.pq_m} must divide --dim {args.dim}')
    return args


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def synthetic_gallery(
    rng: np.random.Generator, size: int, dim: int, clusters: int, spread: float
) -> np.ndarray:
    """(size, dim) unit vectors, around ``clusters`` centres (isotropic when 0)."""
    noise = rng.standard_normal((size, dim), dtype=np.float32)
    if not clusters:
        return unit(noise)
    centres = unit(rng.standard_normal((clusters, dim), dtype=np.float32))
    return unit(centres[rng.integers(clusters, size=size)] + spread * noise / dim**0.5)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f'{"gallery":>9} {"index":>6} {"build s":>8} {"ms/query":>9} {"recall@10":>10}')
    for size in args.sizes:
        gallery = synthetic_gallery(rng, size, args.dim, args.clusters, args.spread)
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
