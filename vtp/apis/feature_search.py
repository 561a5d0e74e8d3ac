"""Text queries over the features of ``tools/extract_features.py``, through a FAISS index, with
optional re-ranking of each query's top k by the matching head (the retrieval loop's rule)."""

import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log

from vtp.apis.feature_extractor import FeatureExtractor
from vtp.apis.feature_index import build_index, search
from vtp.apis.feature_shards import MANIFEST, read_features, read_manifest
from vtp.apis.features_key import differing_parts
from vtp.apis.video_items import Item
from vtp.engine.runner.retrieval_loop import Rescored, match_scorers, reranked, rescore_topk
from vtp.utils.checks import require_int


def item_of(row: Dict[str, str]) -> Item:
    """The gallery item of a feature table row (its path and time window)."""
    item: Item = dict(filename=row['path'])
    for key in ('start', 'end'):
        if row[key] != '':
            item[key] = float(row[key])
    return item


def check_features_model(features: str, extractor: FeatureExtractor) -> None:
    """Refuse features that ``extractor`` did not compute: the ``key`` of their manifest
    (:meth:`~vtp.apis.video_text_inferencer.VideoTextInferencer.fingerprint`) must have the
    extractor's config and weights hashes (the gallery may be any). No manifest: nothing to
    check here (:func:`~vtp.apis.feature_shards.read_features` names it).

    Raises:
        ValueError: a manifest without a key, or another config or checkpoint (the message
            names the manifest's and says how to extract features for this model).
    """
    manifest = read_manifest(features)
    if manifest is None:
        return
    path = osp.join(features, MANIFEST)
    stored = manifest.get('key')
    if not isinstance(stored, dict):
        raise ValueError(
            f'{path} has no key saying which model computed the features: extract them again '
            'with tools/extract_features.py CONFIG CHECKPOINT --videos DIR --out NEW'
        )
    wanted = extractor.fingerprint()
    differ = differing_parts(stored, wanted, ('model', 'weights'))  # the gallery may be any
    if differ:
        given = getattr(extractor.cfg, 'filename', None) or 'the given config'
        raise ValueError(
            f'{features} holds features of config {manifest.get("config")} and checkpoint '
            f'{manifest.get("checkpoint")} ({path}); the model given ({given}) has another '
            f'{" and ".join(differ)}, so its queries would rank them meaninglessly. Search '
            'with that config and checkpoint, or extract features with this model into a new '
            'folder: python tools/extract_features.py CONFIG CHECKPOINT --videos DIR --out NEW'
        )


def tied_top(row: List[Tuple[int, float]], k: int) -> List[int]:
    """The rows of the ``k`` best of ``row`` (``(row, similarity)``, best first) and of every
    one tied with the ``k``-th: the clips re-ranking reads (none when ``k`` is 0)."""
    if not k or not row:
        return []
    kth = row[min(k, len(row)) - 1][1]
    return [i for i, similarity in row if similarity >= kth]


class FeatureSearch:
    """Search extracted clip features with text.

    Example::

        extractor = FeatureExtractor('configs/pretrain/moving_shapes.py', 'iter_700.pth')
        searcher = FeatureSearch(extractor, 'feats/')
        searcher(['a red circle moving left'], topk=5, rerank_topk=16)

    Args:
        extractor: embeds the queries (and, to re-rank, the top clips again for their
            tokens); the model and config the features were extracted with (checked against
            their manifest: another one is a ValueError).
        features: the output folder of ``tools/extract_features.py``.
        kind: index kind (:func:`~vtp.apis.feature_index.build_index`): ``'flat'`` (exact),
            ``'ivf'`` or ``'ivfpq'``.
        nlist: IVF lists (about 4 x sqrt(N) when None).
        nprobe: IVF lists searched per query.
        pq_m: IVF-PQ sub-vectors.
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        features: str,
        kind: str = 'flat',
        nlist: Optional[int] = None,
        nprobe: int = 16,
        pq_m: int = 16,
    ) -> None:
        self.extractor = extractor
        check_features_model(features, extractor)
        self.embeds, self.rows = read_features(features)  # (V, E), a table row per clip
        self.index = build_index(self.embeds, kind, nlist, nprobe, pq_m)

    def item(self, index: int) -> Item:
        """The clip of row ``index`` of the features (a match's ``index``)."""
        return item_of(self.rows[index])

    def __call__(
        self, queries: Union[str, Sequence[str]], topk: int = 5, rerank_topk: int = 0
    ) -> List[Dict[str, Any]]:
        """The ``topk`` best clips of each query.

        Args:
            queries: the texts (a string is one query).
            topk: clips per query, >= 1.
            rerank_topk: re-score each query's top k with the matching head (0: off); the
                clips below keep their similarity order.

        Returns:
            Per query ``{'text', 'matches'}``, each match ``{'rank', 'index' (its row in the
            features), 'path', 'video_id', 'score', 'similarity', 'reranked'}``, best first:
            ``score`` is the re-ranked score in the re-ranked top k, the similarity below;
            and ``left_out``: ``{'index', 'error'}`` of each clip re-ranking found it cannot
            read now (moved or damaged since extraction), left out of every query's matches
            (the next clip takes its place, as a missing sample in the test loop).
        """
        require_int('topk', topk, 1)
        require_int('rerank_topk (0: off)', rerank_topk, 0)
        queries = [queries] if isinstance(queries, str) else list(queries)
        model = self.extractor
        texts = model.embed_texts(queries)
        if texts.embeds.shape[1] != self.embeds.shape[1]:
            raise ValueError(
                f'the features are {self.embeds.shape[1]} wide, the model embeds texts in '
                f'{texts.embeds.shape[1]}: extract them with this model'
            )
        if rerank_topk and (texts.tokens is None or texts.mask is None):
            raise ValueError('re-ranking needs a model with a fusion encoder')
        # Clips left out because they cannot be read now (re-ranking reads the top k again);
        # the search goes deeper by as many, and on while the k-th similarity has ties.
        unreadable: Dict[int, str] = {}
        tokens: Dict[int, torch.Tensor] = {}
        while True:
            found = self._found(texts.embeds.numpy(), topk, rerank_topk, unreadable)
            needed = sorted({i for row in found for i in tied_top(row, rerank_topk)} - set(tokens))
            if not needed:
                break
            items = [self.item(i) for i in needed]
            for batch in model.video_batches(items, model.batch_size):
                for result in model.embed_video_batch(batch):  # by position: rows may share a file
                    row = needed[int(result['index'])]
                    if 'error' in result:
                        unreadable[row] = result['error']
                    else:
                        tokens[row] = result['tokens']
        for error in unreadable.values():
            print_log(f'left out of the results (cannot read it now): {error}', logger='current')
        results: List[Dict[str, Any]] = []
        with torch.no_grad():
            for q, text in enumerate(queries):
                ids = [i for i, _ in found[q]]
                sim = torch.tensor([[score for _, score in found[q]]])  # (1, C)
                final, rescored = sim.double(), set()
                if rerank_topk and ids:
                    assert texts.tokens is not None and texts.mask is not None
                    query_tokens = texts.tokens[q : q + 1], texts.mask[q : q + 1]
                    rows = self._rescored(sim, ids, query_tokens, tokens, rerank_topk)
                    rescored = set(rows[0][0].tolist())
                    final = reranked(sim, rows, model.model.similarity_scale())
                best = final[0].topk(min(topk, len(ids)))
                matches = []
                for rank, (value, c) in enumerate(
                    zip(best.values.tolist(), best.indices.tolist()), 1
                ):
                    row = self.rows[ids[c]]
                    similarity = float(sim[0, c])
                    matches.append(
                        dict(
                            rank=rank,
                            index=ids[c],
                            path=row['path'],
                            video_id=row['video_id'],
                            # below the re-ranked top k, the rank follows the similarity
                            score=value if c in rescored or not rerank_topk else similarity,
                            similarity=similarity,
                            reranked=c in rescored,
                        )
                    )
                left_out = [dict(index=i, error=unreadable[i]) for i in unreadable]
                results.append(dict(text=text, matches=matches, left_out=left_out))
        return results

    def _rescored(
        self,
        sim: torch.Tensor,
        ids: List[int],
        text: Tuple[torch.Tensor, torch.Tensor],
        tokens: Dict[int, torch.Tensor],
        k: int,
    ) -> Rescored:
        """:func:`rescore_topk` of one query's (1, C) similarities to the clips of rows ``ids``
        (``text``: its (1, L, D) tokens and (1, L) mask; ``tokens``: clip row -> tokens)."""

        def score(_: int, positions: torch.Tensor) -> torch.Tensor:
            clips = torch.stack([tokens[ids[c]] for c in positions.tolist()])
            t2v = match_scorers(self.extractor.model, text[0], text[1], clips)[0]
            return t2v(0, torch.arange(len(clips)))

        return rescore_topk(sim, k, score, [0])

    def _found(
        self, queries: np.ndarray, topk: int, rerank_topk: int, unreadable: Dict[int, str]
    ) -> List[List[Tuple[int, float]]]:
        """Per query, ``(row, similarity)`` of the best clips not in ``unreadable``, best
        first: at least ``topk`` and ``rerank_topk`` of them (as many as there are), and every
        clip tied with the ``rerank_topk``-th."""
        total, wanted = len(self.rows), max(topk, rerank_topk)
        depth = min(max(topk, rerank_topk + 1) + len(unreadable), total)  # +1: see a tie's end
        while True:
            scores, ids = search(self.index, queries, depth)
            found, deeper = [], False
            for q in range(len(queries)):
                hits = [(int(i), float(s)) for i, s in zip(ids[q], scores[q]) if i >= 0]
                row = [(i, s) for i, s in hits if i not in unreadable]
                found.append(row)
                if len(hits) < depth or depth >= total:  # the index holds no more for it
                    continue
                short = len(row) < min(wanted, total - len(unreadable))
                k = rerank_topk
                # the k-th may tie with clips past the depth: its row ends in it or its equals
                tied = k and len(row) >= k and (len(row) == k or row[-1][1] >= row[k - 1][1])
                deeper = deeper or short or bool(tied)
            if not deeper:
                return found
            depth = min(2 * depth, total)
