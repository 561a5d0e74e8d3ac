"""FAISS indexes over clip embeddings: exact inner product, or IVF / IVF-PQ for large galleries.

faiss-cpu is optional (``requirements/optional.txt``); only this module needs it.
"""

from typing import Any, Optional, Tuple

import numpy as np

from vtp.utils.checks import require_int

INDEX_KINDS = ('flat', 'ivf', 'ivfpq')


def import_faiss() -> Any:
    """The faiss module, or an ImportError saying which package to install."""
    try:
        import faiss
    except ImportError as e:
        raise ImportError(
            'searching an index needs faiss: pip install faiss-cpu '
            '(listed in requirements/optional.txt; `make install` installs it)'
        ) from e
    return faiss


def build_index(
    embeds: np.ndarray,
    kind: str = 'flat',
    nlist: Optional[int] = None,
    nprobe: int = 16,
    pq_m: int = 16,
    seed: int = 0,
) -> Any:
    """An inner-product index over ``embeds``.

    Args:
        embeds: (V, E) L2-normalised embeddings (inner product = cosine similarity).
        kind: ``'flat'`` (exact, the default; right below about a million clips), ``'ivf'``
            (inverted lists of exact vectors) or ``'ivfpq'`` (inverted lists of
            product-quantised vectors: less memory, approximate scores).
        nlist: inverted lists (IVF); about 4 x sqrt(V) when None.
        nprobe: lists searched per query (IVF): recall against speed.
        pq_m: sub-vectors per embedding (IVF-PQ); must divide E.
        seed: seed of the k-means that trains an IVF index.

    Returns:
        A trained faiss index holding every embedding, ids in row order.
    """
    faiss = import_faiss()
    if kind not in INDEX_KINDS:
        raise ValueError(f'index kind must be one of {INDEX_KINDS}, got {kind!r}')
    data = np.ascontiguousarray(embeds, dtype=np.float32)
    num, dim = data.shape
    if kind == 'flat':
        index = faiss.IndexFlatIP(dim)
    else:
        lists = nlist or max(1, min(num // 39, int(4 * num**0.5)))
        quantizer = faiss.IndexFlatIP(dim)
        if kind == 'ivf':
            index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        else:
            if dim % pq_m:
                raise ValueError(f'pq_m={pq_m} must divide the embedding width {dim}')
            index = faiss.IndexIVFPQ(quantizer, dim, lists, pq_m, 8, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        index.train(data)
        index.nprobe = min(nprobe, lists)
    index.add(data)
    return index


def search(index: Any, queries: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """``(scores (Q, k) float32, ids (Q, k) int64)`` of the ``k`` best per query (fewer
    found: id -1), best first."""
    k = require_int('k', k, 1)
    scores, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return scores, ids
