"""A file of gallery features, reused only while what they were computed from is unchanged."""

import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional

import torch
from mmengine.logging import MMLogger

from vtp.apis.features_key import differing_parts
from vtp.apis.video_text_inferencer import VideoFeatures
from vtp.utils.atomic_file import write_atomically
from vtp.utils.pretrained import torch_safe_globals_only

FORMAT = 'vtp-gallery-features-1'


def stale_parts(stored: Dict[str, str], wanted: Dict[str, str]) -> List[str]:
    """The parts of the key that differ (``'config'``, ``'checkpoint'``, ...), in order."""
    return differing_parts(stored, wanted, ('model', 'weights', 'files'))


def save_video_features(path: str, key: Dict[str, str], features: VideoFeatures) -> None:
    """Write ``features`` with their ``key`` (see :meth:`VideoTextInferencer.fingerprint`);
    a temporary file is renamed (and removed if writing fails), so the cache is complete or
    absent."""
    payload = dict(
        format=FORMAT,
        key=dict(key),
        embeds=features.embeds,
        tokens=features.tokens,
        meta=json.dumps(
            dict(
                items=features.items,
                durations=features.durations,
                frames=features.frames,
                failures=features.failures,
            ),
            default=str,
        ),
    )
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    write_atomically(path, lambda f: torch.save(payload, f), binary=True)


def load_video_features(path: str, key: Dict[str, str]) -> Optional[VideoFeatures]:
    """The features cached in ``path`` if they were computed for ``key``; None (with one log
    line saying what changed) when the file is absent, unreadable or stale."""
    if not osp.isfile(path):
        return None
    logger = MMLogger.get_current_instance()
    try:
        with torch_safe_globals_only():
            payload = torch.load(path, map_location='cpu', weights_only=True)
        if payload.get('format') != FORMAT:
            raise ValueError(f'not a vtp gallery cache (format {payload.get("format")!r})')
        meta = json.loads(payload['meta'])
        stored = payload['key']
        if not isinstance(stored, dict):
            raise ValueError(f'its key is a {type(stored).__name__}, not a dict')
    except Exception as e:  # a damaged or foreign file is recomputed, not trusted
        logger.warning(f'gallery cache {path} is unreadable ({e}): recomputing it')
        return None
    changed = stale_parts(stored, key)
    if changed:
        logger.info(f'gallery cache {path} is stale ({", ".join(changed)} changed): recomputing')
        return None
    logger.info(f'gallery features loaded from {path}')
    return VideoFeatures(
        items=meta['items'],
        embeds=payload['embeds'],
        tokens=payload['tokens'],
        durations=meta['durations'],
        frames=meta['frames'],
        failures=meta['failures'],
    )


def cached_video_features(
    path: Optional[str], key: Dict[str, str], compute: Callable[[], VideoFeatures]
) -> VideoFeatures:
    """Features from the cache file ``path`` when valid for ``key``, else ``compute()``
    (then written to ``path``); no cache when ``path`` is None."""
    if path is not None:
        cached = load_video_features(path, key)
        if cached is not None:
            return cached
    features = compute()
    if path is not None:
        save_video_features(path, key, features)
    return features
