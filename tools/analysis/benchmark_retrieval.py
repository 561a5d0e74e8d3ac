"""Cost of retrieval evaluation: dual encoder + top-k re-ranking vs the cross-encoder on all pairs.

Builds a tiny vtp retrieval model (toy Video Swin, toy BERT, one fusion layer, contrastive and
matching heads; random weights), embeds ``--num`` synthetic clips and captions, then times, in
the same run:

- the dual encoder: all ``N x N`` similarities;
- re-ranking: the matching head on the top ``--topk`` candidates of every query, both ways
  (``2 N k`` cross-encoder pairs; what ``RetrievalTestLoop`` does);
- the cross-encoder on all ``N x N`` pairs (what Base-VTP's evaluation did).

It prints the times, the number of cross-encoder pairs and the t2v / v2t metrics of each (a
random model scores near chance; the point is the cost, and that re-ranking with k equal to
the gallery reproduces the full cross-encoder's ranking).

    python tools/analysis/benchmark_retrieval.py --num 1000 --topk 16
"""

import argparse
import time

import torch

from vtp.engine.runner.retrieval_loop import rerank
from vtp.evaluation.metrics.retrieval_metric import retrieval_summary
from vtp.registry import MODELS
from vtp.utils.checks import positive_int

MODEL = dict(
    type='VideoTextPretrainer',
    video_encoder=dict(type='VideoSwinEncoder', arch='toy', window_size=(2, 4, 4)),
    text_encoder=dict(type='BertTextEncoder', arch='toy'),
    fusion=dict(
        type='CrossAttentionFusion', text_dims=32, video_dims=64, num_layers=1, num_heads=2
    ),
    heads=dict(itc=dict(type='ITCHead'), itm=dict(type='ITMHead', in_dims=32)),
    embed_dim=16,
)


def embed(model, num: int, batch: int = 100):
    """Synthetic clips (N, 3, 2, 32, 32) and captions (N, 16): tokens and embeddings."""
    generator = torch.Generator().manual_seed(0)
    videos = torch.rand(num, 3, 2, 32, 32, generator=generator)
    ids = torch.randint(1000, 30000, (num, 16), generator=generator)
    ids[:, 0] = 101
    mask = torch.ones_like(ids)
    video_tokens, video_embeds, text_tokens, text_embeds = [], [], [], []
    for start in range(0, num, batch):
        tokens, embeds = model.embed_video(videos[start : start + batch])
        video_tokens.append(tokens)
        video_embeds.append(embeds)
        tokens, embeds = model.embed_text(ids[start : start + batch], mask[start : start + batch])
        text_tokens.append(tokens)
        text_embeds.append(embeds)
    return (
        torch.cat(video_tokens),
        torch.cat(video_embeds),
        torch.cat(text_tokens),
        mask,
        torch.cat(text_embeds),
    )


def summary(t2v: torch.Tensor, v2t: torch.Tensor, truth: torch.Tensor) -> str:
    return '  '.join(f'{k} {v:.1f}' for k, v in retrieval_summary(t2v, v2t, truth).items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num', type=positive_int, default=1000, help='clips = captions N')
    parser.add_argument('--topk', type=positive_int, default=16)
    parser.add_argument('--threads', type=positive_int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MODELS.build(MODEL).eval()
    truth = torch.arange(args.num)
    with torch.no_grad():
        start = time.perf_counter()
        video_tokens, video_embeds, text_tokens, text_mask, text_embeds = embed(model, args.num)
        embed_time = time.perf_counter() - start

        start = time.perf_counter()
        sim = text_embeds @ video_embeds.t()  # (N, N)
        dual_time = time.perf_counter() - start

        def score_t2v(text, videos):
            k = len(videos)
            return model.match_scores(
                text_tokens[text].expand(k, -1, -1),
                text_mask[text].expand(k, -1),
                video_tokens[videos],
            )

        def score_v2t(video, texts):
            k = len(texts)
            return model.match_scores(
                text_tokens[texts], text_mask[texts], video_tokens[video].expand(k, -1, -1)
            )

        start = time.perf_counter()
        t2v, v2t = rerank(sim, args.topk, score_t2v, score_v2t)
        rerank_time = time.perf_counter() - start

        start = time.perf_counter()
        cross = torch.stack([score_t2v(text, truth) for text in range(args.num)])  # (N, N)
        full_time = time.perf_counter() - start

    n, k = args.num, min(args.topk, args.num)
    print(
        f'{n} clips x {n} captions, tiny random model, {args.threads} CPU threads; '
        f'embedding all clips and captions once: {embed_time:.2f} s'
    )
    print(f'{"method":34} {"time":>9} {"cross-encoder pairs":>20}')
    print(f'{"dual encoder":34} {dual_time:8.3f}s {0:>20,}')
    print(
        f'{f"dual + re-rank top {k} (both ways)":34} {dual_time + rerank_time:8.2f}s '
        f'{2 * n * k:>20,}'
    )
    print(f'{"cross-encoder on all pairs":34} {full_time:8.2f}s {n * n:>20,}')
    print(
        f'all pairs / re-ranking: x{full_time / (dual_time + rerank_time):.1f} time, '
        f'x{n * n / (2 * n * k):.1f} pairs'
    )
    print(f'dual encoder:   {summary(sim, sim, truth)}')
    print(f're-rank top {k}: {summary(t2v, v2t, truth)}')
    print(f'all pairs:      {summary(cross, cross, truth)}')


if __name__ == '__main__':
    main()
