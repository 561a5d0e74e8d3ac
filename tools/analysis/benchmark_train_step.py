"""Speed, memory, FLOPs and MFU of full training steps of a config's model, variant by variant.

Builds the config's model with random weights (offline: the pretrained checkpoints it names are
not loaded; a text encoder named by ``pretrained`` keeps its architecture, read from its local
config when there is one, else BERT-base with the vocabulary of the MLM head), feeds one
synthetic batch of the requested size (random frames; random captions padded to ``--length``
with a realistic attention mask, MLM labels, distinct clip ids; the data preprocessor cuts it to
the longest caption, as in training) and times warmed-up training steps: forward, backward and
optimizer step (the config's ``optim_wrapper``), no data loading.

Each variant in ``--variants`` is measured in the same run and compared with ``baseline``,
measured first (added when not listed). A variant is ``baseline`` or switches joined by ``+``
on top of it:

- ``amp``: bf16 autocast (``AmpOptimWrapper``, as ``tools/train.py --amp``);
- ``fused-on`` / ``fused-off``: ``model.{video_encoder,text_encoder,fusion}.fused_attention``;
- ``checkpointing``: ``model.{...}.checkpointing=True``;
- ``compile``: ``model.{...}.compile=True``.

``--amp``, ``--compile``, ``--checkpointing`` and ``--fused-attention`` set the baseline itself.
FLOPs per sample are the model's matrix FLOPs of one forward and backward pass
(``torch.utils.flop_counter.FlopCounterMode`` on the eager model at ``--batch``, divided by it;
recomputation by checkpointing is not counted). MFU = FLOPs per sample x samples/s / peak,
the peak from ``--peak-tflops`` or the published dense bf16 peak of the GPU.

    python tools/analysis/benchmark_train_step.py configs/pretrain/webvid2m.py \\
        --batch 32 --frames 8 --size 224 --variants baseline,amp,amp+fused-off,amp+compile
    python tools/analysis/benchmark_train_step.py configs/pretrain/webvid2m.py \\
        --batch 2 --frames 4 --size 64 --variants baseline,amp --device cpu
"""

import argparse
import copy
import ctypes
import gc
import inspect
import re
import sys
import time
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from vtp.registry import MODELS
from vtp.testing import synthetic_batch
from vtp.utils.config_file import ConfigError, read_config
from vtp.utils.pretrained import resolve_pretrained

MODULES = ('video_encoder', 'text_encoder', 'fusion')
# variant switch -> (argument set on each of MODULES, value); 'amp' is the optimizer wrapper's
SWITCHES = {
    'fused-on': ('fused_attention', True),
    'fused-off': ('fused_attention', False),
    'checkpointing': ('checkpointing', True),
    'compile': ('compile', True),
}
# Published dense bf16 tensor-core peaks (V100: fp16), TFLOP/s, matched in this order as whole
# words of torch.cuda.get_device_name() ('A10' is not the A10G, nor 'L40' the L40S).
PEAK_TFLOPS = (
    ('H200', 989.0),
    ('H100 PCIe', 756.0),
    ('H100 NVL', 835.0),
    ('H100', 989.0),
    ('A100', 312.0),
    ('L40S', 362.0),
    ('A10', 125.0),
    ('V100', 125.0),
    ('RTX 4090', 165.0),
)
BERT_SIZES = ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size')


def parse_variant(name: str, base: Dict) -> Dict:
    """``'amp+fused-off'`` -> ``dict(amp=bool, model={argument: value})`` on top of ``base``."""
    variant = dict(amp=base['amp'], model=dict(base['model']))
    for switch in name.split('+'):
        if switch == 'amp':
            variant['amp'] = True
        elif switch in SWITCHES:
            key, value = SWITCHES[switch]
            variant['model'][key] = value
        elif switch != 'baseline':
            sys.exit(
                f'error: unknown switch {switch!r} in variant {name!r}; use baseline, amp, '
                f'{", ".join(SWITCHES)}, joined by +'
            )
    return variant


def offline_model_cfg(model: ConfigDict) -> ConfigDict:
    """The model config with random weights: no pretrained checkpoint is loaded."""
    model = copy.deepcopy(model)
    if model.get('video_encoder') is not None and model.video_encoder.get('pretrained'):
        model.video_encoder.pretrained = None
    text = model.get('text_encoder')
    if text is not None and text.get('pretrained'):
        from transformers import BertConfig

        try:  # a local directory, pkg:// or the transformers cache
            found = BertConfig.from_pretrained(
                resolve_pretrained(text.pretrained), local_files_only=True
            )
            sizes = {key: getattr(found, key) for key in (*BERT_SIZES, 'vocab_size')}
        except OSError:  # a hub name not cached here: BERT-base with the MLM head's vocabulary
            mlm = model.get('heads', {}).get('mlm', {})
            sizes = dict(arch='base', vocab_size=mlm.get('vocab_size', 30522))
        text.pretrained, text.arch = None, sizes.pop('arch', 'base')
        text.config = {**sizes, **text.get('config', {})}
    return model


def check_switches(model: ConfigDict, name: str, arguments: Dict) -> None:
    """Exit with a clear message if a module of the model takes no such argument."""
    for key in arguments:
        present = [m for m in MODULES if model.get(m) is not None]
        if not present:
            sys.exit(f'error: variant {name!r} sets {key}, but model has none of {MODULES}')
        for module in present:
            kind = model[module]['type']
            cls = kind if inspect.isclass(kind) else MODELS.get(kind)
            if cls is None:
                continue  # an unknown type: building the model reports it
            params = inspect.signature(cls).parameters
            if key not in params and not any(p.kind == p.VAR_KEYWORD for p in params.values()):
                sys.exit(
                    f'error: variant {name!r} sets model.{module}.{key}, but {cls.__name__} '
                    f'takes no argument {key!r} (it takes {", ".join(params)})'
                )


def build(cfg: Config, arguments: Dict, amp: bool, device: str) -> Tuple:
    """The model (with ``arguments`` set on each of MODULES) and its optimizer wrapper."""
    model_cfg = offline_model_cfg(cfg.model)
    for module in MODULES:
        if model_cfg.get(module) is not None:
            model_cfg[module].update(arguments)
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.to(device).train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        optim_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
    return model, build_optim_wrapper(model, optim_cfg)


def release_freed_memory(device: str) -> None:
    """Give what the previous variant freed back to the device or the OS, so that it counts
    neither for nor against the next one (glibc's ``malloc_trim`` on Linux)."""
    gc.collect()
    torch._dynamo.reset()
    if device.startswith('cuda'):
        torch.cuda.empty_cache()
    elif sys.platform == 'linux':
        ctypes.CDLL('libc.so.6').malloc_trim(0)


def rss_kib(field: str) -> int:
    """``VmRSS`` (resident memory) or ``VmHWM`` (its peak) of this process, in KiB."""
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ':'))


def reset_peak(device: str) -> bool:
    """Reset the peak-memory counter: CUDA's max allocated, or the process's peak RSS (Linux
    ``/proc/self/clear_refs``); False where there is none."""
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats(device)
        return True
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def time_steps(
    model: nn.Module,
    wrapper: OptimWrapper,
    data: Dict,
    args: argparse.Namespace,
    warmup: int,
    base_rss: int,
) -> Tuple[float, Optional[int]]:
    """(seconds per step, peak memory in bytes or None) over ``args.iters`` steps after
    ``warmup`` untimed ones.

    The peak is CUDA's max allocated (parameters, gradients, optimizer state, activations), or
    on CPU the peak resident memory above ``base_rss`` (KiB, measured before the model was
    built), which counts the same tensors plus what the allocator keeps.
    """
    device = args.device
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
    for _ in range(warmup):
        model.train_step(data, wrapper)
    sync()
    has_peak = reset_peak(device)
    start = time.perf_counter()
    for _ in range(args.iters):
        model.train_step(data, wrapper)
    sync()
    seconds = (time.perf_counter() - start) / args.iters
    if not has_peak:
        return seconds, None
    if device.startswith('cuda'):
        return seconds, torch.cuda.max_memory_allocated(device)
    return seconds, (rss_kib('VmHWM') - base_rss) * 1024


def peak_tflops(args: argparse.Namespace) -> Tuple[Optional[float], str]:
    """The peak for MFU and where it comes from."""
    if args.peak_tflops is not None:
        return args.peak_tflops, '--peak-tflops'
    if not args.device.startswith('cuda'):
        return None, 'CPU: give --peak-tflops'
    name = torch.cuda.get_device_name(args.device)
    for key, value in PEAK_TFLOPS:
        if re.search(rf'\b{re.escape(key)}\b', name):
            return value, f'{name}, published dense bf16'
    return None, f'{name} is not in the table: give --peak-tflops'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--batch', type=int, default=8, help='clips per step (B)')
    parser.add_argument('--frames', type=int, default=8, help='frames per clip (T)')
    parser.add_argument('--size', type=int, default=224, help='frame height and width')
    parser.add_argument('--length', type=int, default=40, help='padded caption length (L)')
    parser.add_argument(
        '--variants', default='baseline', help='comma-separated variants, e.g. baseline,amp'
    )
    parser.add_argument('--amp', action='store_true', help='baseline in bf16 autocast')
    parser.add_argument('--compile', action='store_true', help='baseline compiled')
    parser.add_argument('--checkpointing', action='store_true', help='baseline checkpointed')
    parser.add_argument(
        '--fused-attention', choices=['on', 'off'], help="baseline's attention (default: config)"
    )
    parser.add_argument(
        '--iters', type=int, help='timed steps per variant (default: 10 on GPU, 2 on CPU)'
    )
    parser.add_argument(
        '--warmup', type=int, help='untimed steps before them (default: 3 on GPU, 1 on CPU)'
    )
    parser.add_argument('--peak-tflops', type=float, help='peak of the device for MFU')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py (key=value)',
    )
    return parser.parse_args()


def count_flops(model: nn.Module, wrapper: OptimWrapper, data: Dict, batch: int) -> float:
    """Matrix FLOPs per sample of one training step (forward and backward)."""
    with FlopCounterMode(display=False) as counter:
        model.train_step(data, wrapper)
    return counter.get_total_flops() / batch


def print_table(args: argparse.Namespace, flops: float, rows: List[Tuple]) -> None:
    """The run's settings, then one row per variant."""
    peak, source = peak_tflops(args)
    print(
        f'{args.config}: batch {args.batch} x {args.frames} frames x {args.size} px, captions '
        f'of {args.length} tokens, {args.device} ({source}), torch {torch.__version__}'
    )
    if flops is None:
        print('FLOPs per sample (forward + backward): n/a (no variant fit in memory)')
    else:
        print(f'FLOPs per sample (forward + backward): {flops:,.0f} ({flops / 1e9:.3g} GFLOP)')
    if args.device.startswith('cuda'):
        print('peak memory: CUDA max allocated during the timed steps')
    else:
        print("peak memory: the process's peak RSS during the timed steps above its RSS before")
    header = ('variant', 'step ms', 'samples/s', 'speed-up', 'peak MiB', 'TFLOP/s', 'MFU')
    width = max(len(header[0]), *(len(row[0]) for row in rows))
    print(f'{header[0]:<{width}}' + ''.join(f'{h:>11}' for h in header[1:]))
    baseline = rows[0][1]
    for name, seconds, memory in rows:
        if seconds is None:
            print(f'{name:<{width}}' + f'{"out of memory":>{11 * (len(header) - 1)}}')
            continue
        speed = args.batch / seconds
        achieved = None if flops is None else flops * speed / 1e12
        cells = (
            f'{seconds * 1e3:.1f}',
            f'{speed:.2f}',
            'n/a' if baseline is None else f'{baseline / seconds:.2f}x',
            'n/a' if memory is None else f'{memory / 2**20:.0f}',
            'n/a' if achieved is None else f'{achieved:.3g}',
            'n/a' if peak is None or achieved is None else f'{100 * achieved / peak:.1f}%',
        )
        print(f'{name:<{width}}' + ''.join(f'{c:>11}' for c in cells))


def main() -> None:
    args = parse_args()
    cuda = args.device.startswith('cuda')
    args.iters = args.iters or (10 if cuda else 2)
    args.warmup = args.warmup if args.warmup is not None else (3 if cuda else 1)
    MMLogger.get_instance('benchmark_train_step', log_level='WARNING')  # no build logs
    try:
        cfg = read_config(args.config)
    except ConfigError as e:
        sys.exit(f'error: {e}')
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'vtp'))
    base = dict(amp=args.amp, model={})
    for switch in ('compile', 'checkpointing'):
        if getattr(args, switch):
            base['model'][switch] = True
    if args.fused_attention is not None:
        base['model']['fused_attention'] = args.fused_attention == 'on'
    names = [name.strip() for name in args.variants.split(',') if name.strip()]
    names = names if names[:1] == ['baseline'] else ['baseline', *names]
    variants = {name: parse_variant(name, base) for name in names}
    for name, variant in variants.items():
        check_switches(cfg.model, name, variant['model'])

    flops, rows = None, []
    for name, variant in variants.items():
        warmup = args.warmup
        release_freed_memory(args.device)
        base_rss = rss_kib('VmRSS') if sys.platform == 'linux' else 0
        try:
            model, wrapper = build(cfg, variant['model'], variant['amp'], args.device)
            if flops is None:
                text = getattr(model, 'text_encoder', None)
                vocab = text.word_embeddings.num_embeddings if text is not None else 30522
                data = synthetic_batch(
                    args.batch, args.frames, args.size, args.length, vocab, device=args.device
                )
                eager = not (base['model'].get('compile') or base['model'].get('checkpointing'))
                if eager:  # the counting step is the baseline's first warm-up step
                    flops = count_flops(model, wrapper, data, args.batch)
                    warmup = max(warmup - 1, 0)
                else:
                    model_fp32, wrapper_fp32 = build(cfg, {}, False, args.device)
                    flops = count_flops(model_fp32, wrapper_fp32, data, args.batch)
                    del model_fp32, wrapper_fp32
            seconds, peak = time_steps(model, wrapper, data, args, warmup, base_rss)
        except torch.cuda.OutOfMemoryError:  # reported in its row; the next variant runs
            seconds, peak = None, None
        rows.append((name, seconds, peak))
        model = wrapper = None
    print_table(args, flops, rows)


if __name__ == '__main__':
    main()
