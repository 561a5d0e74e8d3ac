"""A random training batch of any size, in the form the data loader hands to ``train_step``."""

from typing import Any, Dict, Union

import torch

from vtp.structures import VideoTextDataSample

CLS, SEP, MASK, PAD = 101, 102, 103, 0  # BERT's uncased WordPiece special tokens
FIRST_WORD = 999  # ids below are special or unused tokens


def synthetic_batch(
    batch: int,
    frames: int,
    size: int,
    length: int = 40,
    vocab_size: int = 30522,
    mask_prob: float = 0.15,
    seed: int = 0,
    device: Union[str, torch.device] = 'cpu',
) -> Dict[str, Any]:
    """Random clips with one random caption each, as ``pseudo_collate`` gives packed samples.

    Every caption is ``[CLS] words [SEP]`` padded to ``length``, its real length drawn
    uniformly from ``[length // 4, length]``, so the attention masks pad as real batches do.
    ``mask_prob`` of the words are replaced by ``[MASK]`` for MLM (at least one per caption);
    each sample is its own clip (distinct ``clip_id``). The tensors are made on ``device``, so
    that the data preprocessor moves nothing when the model is there too.

    Args:
        batch: B samples.
        frames: T frames per clip.
        size: H = W of the frames.
        length: L, the padded caption length.
        vocab_size: the text encoder's vocabulary size (word ids are drawn below it).
        mask_prob: share of the words masked for MLM.
        seed: seed of the random draws.
        device: where the tensors are made.

    Returns:
        ``dict(inputs=..., data_samples=...)``: ``inputs`` maps ``video`` to B (T, H, W, 3)
        uint8 clips, each of :data:`vtp.structures.INPUT_KEYS` to B (1, L) tensors and
        ``clip_id`` to B () ids; ``data_samples`` holds B empty ``VideoTextDataSample``.
    """
    gen = torch.Generator().manual_seed(seed)
    real = torch.randint(max(3, length // 4), length + 1, (batch,), generator=gen)  # (B,)
    positions = torch.arange(length)[None]  # (1, L)
    ids = torch.randint(FIRST_WORD, vocab_size, (batch, length), generator=gen)  # (B, L)
    ids[:, 0] = CLS
    ids[positions == real[:, None] - 1] = SEP
    ids[positions >= real[:, None]] = PAD
    words = (positions > 0) & (positions < real[:, None] - 1)  # (B, L)
    masked = words & (torch.rand(batch, length, generator=gen) < mask_prob)
    masked[:, 1] = True  # every caption has at least one word
    labels = torch.where(masked, ids, torch.full_like(ids, -100))
    text = dict(
        input_ids=ids,
        attention_mask=(positions < real[:, None]).long(),
        mlm_input_ids=torch.where(masked, torch.full_like(ids, MASK), ids),
        mlm_labels=labels,
    )
    videos = torch.randint(0, 256, (batch, frames, size, size, 3), generator=gen, dtype=torch.uint8)
    inputs = dict(
        video=list(videos.to(device)),
        clip_id=list(torch.arange(batch).to(device)),
        **{key: list(value.to(device)[:, None]) for key, value in text.items()},
    )
    return dict(inputs=inputs, data_samples=[VideoTextDataSample() for _ in range(batch)])
