"""Text queries over the features of ``tools/extract_features.py``, through a FAISS index, with
optional re-ranking of each query's top k by the matching head (the retrieval loop's rule)."""

import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

import torch

from vtp.apis.feature_extractor import FeatureExtractor
from vtp.apis.feature_index import build_index, search
from vtp.apis.feature_shards import MANIFEST, read_features, read_manifest
from vtp.apis.features_key import differing_parts
from vtp.apis.video_items import Item
from vtp.engine.runner.retrieval_loop import match_scorers, reranked, rescore_topk
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
            ``score`` is the re-ranked score in the re-ranked top k, the similarity below.
        """
        require_int('topk', topk, 1)
        require_int('rerank_topk (0: off)', rerank_topk, 0)
        queries = [queries] if isinstance(queries, str) else list(queries)
        model = self.extractor
        texts = model.embed_texts(queries)
        k = min(max(topk, rerank_topk), len(self.rows))
        scores, ids = search(self.index, texts.embeds.numpy(), k)
        tokens = {}
        if rerank_topk:
            if texts.tokens is None or texts.mask is None:
                raise ValueError('re-ranking needs a model with a fusion encoder')
            needed = sorted({int(i) for i in ids[:, :rerank_topk].ravel() if i >= 0})
            videos = model.embed_videos([self.item(i) for i in needed])
            if videos.failures or videos.tokens is None:
                raise ValueError(f'cannot read clips to re-rank: {videos.failures}')
            tokens = dict(zip(needed, videos.tokens))
        results: List[Dict[str, Any]] = []
        with torch.no_grad():
            for q, text in enumerate(queries):
                found = [int(i) for i in ids[q] if i >= 0]
                sim = torch.from_numpy(scores[q, : len(found)]).unsqueeze(0)  # (1, C)
                final = sim.double()
                if rerank_topk:
                    assert texts.tokens is not None and texts.mask is not None
                    candidates = torch.stack([tokens[i] for i in found[:rerank_topk]])
                    score = match_scorers(
                        model.model, texts.tokens[q : q + 1], texts.mask[q : q + 1], candidates
                    )[0]
                    rescored = rescore_topk(sim[:, :rerank_topk], rerank_topk, score, [0])
                    final = reranked(sim, rescored, model.model.similarity_scale())
                best = final[0].topk(min(topk, len(found)))
                matches = []
                for rank, (value, c) in enumerate(
                    zip(best.values.tolist(), best.indices.tolist()), 1
                ):
                    row = self.rows[found[c]]
                    similarity = float(sim[0, c])
                    is_reranked = c < rerank_topk  # the first k found are the top k
                    matches.append(
                        dict(
                            rank=rank,
                            index=found[c],
                            path=row['path'],
                            video_id=row['video_id'],
                            # below the re-ranked top k, the rank follows the similarity
                            score=value if is_reranked or not rerank_topk else similarity,
                            similarity=similarity,
                            reranked=is_reranked,
                        )
                    )
                results.append(dict(text=text, matches=matches))
        return results
