"""One rank of the 2-process contrastive-loss check in ``test_dist.py`` (run as a script).

``python contrastive_worker.py RANK WORLD PORT OUT_FILE`` computes the loss on its half of
the batch under DDP (gloo) and saves the loss, the gathered tensor, the averaged gradients and
the matching head's hard negatives drawn for its pairs, and the caption length the data
preprocessor keeps for a batch whose captions are shorter on this rank than on the other.
"""

import faulthandler
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.nn.functional as F
from test_dist import BATCH, CLIP_IDS, make_inputs
from torch.nn.parallel import DistributedDataParallel

from vtp.models.data_preprocessors import VideoTextDataPreprocessor
from vtp.models.heads import ITMHead
from vtp.structures import VideoTextFeatures
from vtp.utils.dist import all_gather_with_grad, close_process_group


def hard_negatives(
    model, part: slice, video: torch.Tensor, text: torch.Tensor, draws: int = 100
) -> torch.Tensor:
    """(draws, 2, B) global indices of the negative texts and clips drawn for the local pairs
    (different captions everywhere: only clip identity can block the duplicate clip)."""
    with torch.no_grad():
        feats = VideoTextFeatures(
            video_tokens=None,
            video_embed=F.normalize(model.video(video), dim=-1),
            text_tokens=None,
            text_mask=None,
            text_embed=F.normalize(model.text(text), dim=-1),
            inputs=dict(input_ids=torch.arange(BATCH)[part, None], clip_ids=CLIP_IDS[part]),
            fuse=None,
            encode_text=None,
            word_embeddings=None,
        )
    head = ITMHead(in_dims=4)
    draws_made = []
    for _ in range(draws):
        neg_text, neg_video, valid = head._sample_negatives(feats)
        assert valid.all()  # every pair has a true negative in the global batch
        draws_made.append(torch.stack([neg_text, neg_video]))
    return torch.stack(draws_made)


def trimmed_length(rank: int) -> int:
    """The text length the preprocessor keeps in training for captions of 3 + 2 x rank real
    tokens padded to 8 (rank 1's 5: the longest of all ranks)."""
    mask = torch.zeros(1, 8, dtype=torch.long)
    mask[:, : 3 + 2 * rank] = 1
    sample = dict(video=[torch.zeros(1, 2, 2, 3, dtype=torch.uint8)], attention_mask=[mask])
    inputs = VideoTextDataPreprocessor()(dict(inputs=sample), training=True)['inputs']
    return int(inputs['attention_mask'].shape[1])


def run(rank: int, world: int) -> dict:
    """One rank's loss, gathered tensor and DDP-averaged gradients (the DDP model dies here)."""
    model, video, text = make_inputs()
    ddp = DistributedDataParallel(model)
    part = slice(rank * BATCH // world, (rank + 1) * BATCH // world)
    loss = ddp(video[part], text[part], CLIP_IDS[part])
    loss.backward()
    gathered = all_gather_with_grad(torch.full((2, 3), float(rank), requires_grad=True))
    negatives = hard_negatives(model, part, video[part], text[part])
    return dict(
        loss=loss.detach(),
        gathered=gathered.detach(),
        negatives=negatives,
        grads={n: p.grad for n, p in model.named_parameters()},
        text_length=trimmed_length(rank),
    )


if __name__ == '__main__':
    faulthandler.dump_traceback_later(60, exit=True)  # a stuck rank reports where, then exits
    rank, world, port, out_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world,
        timeout=timedelta(seconds=60),
    )
    torch.save(run(rank, world), out_file)
    close_process_group()
