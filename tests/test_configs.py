"""Every shipped config, shrunk to a toy model, trains a few iterations and evaluates on data
in its corpus's released format; every trainable parameter gets a gradient."""

import ast
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel

from vtp.registry import DATASETS, MODELS, RUNNERS
from vtp.testing import CHINESE_VOCAB, QA_ANSWERS, read_scalars, repo_root, write_toy_config

ROOT = repo_root()

CONFIGS = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts
)
OWN_DATA = {
    f'configs/{task}/moving_shapes.py'
    for task in (  # the others: corpus fixtures
        'pretrain',
        'retrieval',
        'videoqa',
        'multiple_choice',
    )
} | {'configs/pretrain/moving_shapes_contrastive.py'}


@pytest.mark.parametrize('config', CONFIGS)
def test_config_train_and_test_step(
    config: str, tmp_path: Path, moving_shapes_root: str, corpora_root: Path, monkeypatch
) -> None:
    if config in OWN_DATA:
        answers = json.loads(Path(moving_shapes_root, 'answer_list.json').read_text())
        toy = write_toy_config(
            tmp_path / 'toy.py',
            config,
            moving_shapes_root,
            iters=3,
            ckpt_interval=3,
            num_answers=len(answers),
        )
    else:
        monkeypatch.chdir(corpora_root)
        vocab_size = len(CHINESE_VOCAB) if 'cnvid' in config else 30522
        toy = write_toy_config(
            tmp_path / 'toy.py',
            config,
            iters=3,
            ckpt_interval=3,
            vocab_size=vocab_size,
            num_answers=len(QA_ANSWERS),
        )
    cfg = Config.fromfile(toy)
    assert cfg.default_scope == 'vtp'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    samples = [train_set[i] for i in range(4)]
    assert not any('failures' in s['data_samples'].metainfo for s in samples)
    data = model.data_preprocessor(pseudo_collate(samples), True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    loss.backward()
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, f'parameters without gradient: {no_grad}'

    cfg.work_dir = str(tmp_path / 'work')
    runner = RUNNERS.build(cfg)
    runner.train()
    # weight decay only on weight matrices: never on norms, biases, the temperature or
    # position-bias tables, whatever the config's custom_keys say
    names = {id(p): n for n, p in runner.model.named_parameters()}
    groups = runner.optim_wrapper.optimizer.param_groups
    for group in groups:
        for param in group['params']:
            if param.ndim <= 1 or 'relative_position_bias_table' in names[id(param)]:
                assert group['weight_decay'] == 0, names[id(param)]
    assert any(group['weight_decay'] > 0 for group in groups)
    rows = read_scalars(cfg.work_dir)
    assert [r['iter'] for r in rows if 'loss' in r] == [1, 2, 3]
    key = {'videoqa': 'qa/acc', 'multiple_choice': 'mc/acc'}.get(
        config.split('/')[1], 'retrieval/t2v_R1'
    )
    evaluated = [r for r in rows if key in r]
    assert len(evaluated) == (0 if 'cnvid' in config else 1), f'{config} evaluation'
    if config.startswith('configs/retrieval/'):
        assert {'retrieval/rerank_t2v_R1', 'retrieval/dsl_v2t_R1'} <= set(evaluated[0])


def inheritance_depth(path: Path) -> int:
    """1 for a config without ``_base_``, else 1 + the deepest of its bases."""
    tree = ast.parse(path.read_text())
    bases = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(getattr(t, 'id', None) == '_base_' for t in node.targets)
    ]
    bases = [b for group in bases for b in (group if isinstance(group, list) else [group])]
    return 1 + max((inheritance_depth((path.parent / b).resolve()) for b in bases), default=0)


@pytest.mark.parametrize('config', CONFIGS)
def test_at_most_three_levels_of_inheritance(config: str) -> None:
    assert inheritance_depth(ROOT / config) <= 3


def _shared_schedule(path: str) -> tuple:
    """A schedule file's optimizer wrapper without the learning rate and its multipliers, its
    loop type and its schedulers without their iteration bounds."""
    cfg = Config.fromfile(str(ROOT / path))
    wrapper = cfg.optim_wrapper.to_dict()
    wrapper['optimizer'].pop('lr')
    wrapper['paramwise_cfg'].pop('custom_keys', None)
    schedulers = [
        {k: v for k, v in s.items() if k not in ('begin', 'end')} for s in cfg.param_scheduler
    ]
    return wrapper, cfg.train_cfg.type, schedulers


def test_fine_tuning_schedule_is_the_pre_training_one_at_a_tenth_of_the_learning_rate() -> None:
    """finetune_iter.py restates pretrain_iter.py (so that the task bases stay within 3
    levels); the two may differ only in learning rate, multipliers, warm-up and length."""
    pretrain = 'configs/_base_/schedules/pretrain_iter.py'
    finetune = 'configs/_base_/schedules/finetune_iter.py'
    assert _shared_schedule(finetune) == _shared_schedule(pretrain)
    lrs = [Config.fromfile(str(ROOT / p)).optim_wrapper.optimizer.lr for p in (pretrain, finetune)]
    assert lrs[1] == pytest.approx(lrs[0] / 10)


@pytest.mark.parametrize('config', [c for c in CONFIGS if 'moving_shapes' not in c])
def test_paper_scale_configs_start_from_pretrained_weights(config: str) -> None:
    """Video Swin-B from mmaction2's Kinetics-400 checkpoint (by URL), BERT from its hub
    weights, and a fusion made of BERT's own upper layers."""
    model = Config.fromfile(str(ROOT / config)).model
    assert model.video_encoder.pretrained.startswith('https://download.openmmlab.com/mmaction/')
    assert model.text_encoder.pretrained in ('bert-base-uncased', 'bert-base-chinese')
    assert model.fusion.type == 'BertFusion'


ENCODERS = ('video_encoder', 'text_encoder', 'fusion')


@pytest.mark.parametrize('config', CONFIGS)
def test_attention_path_per_config_family(config: str) -> None:
    """Paper-scale models attend through SDPA (the GPU path, every encoder's default); the
    CPU-sized moving-shapes model attends explicitly, and the three options its config names
    turn SDPA back on."""
    cfg = Config.fromfile(str(ROOT / config))
    parts = [name for name in ENCODERS if cfg.model.get(name) is not None]
    assert 'video_encoder' in parts and 'text_encoder' in parts
    fused = {name: cfg.model[name].get('fused_attention', True) for name in parts}
    if 'moving_shapes' not in config:
        assert all(fused.values()), fused
        return
    assert not any(fused.values()), fused
    cfg.merge_from_dict({f'model.{name}.fused_attention': True for name in parts})
    assert all(cfg.model[name].fused_attention for name in parts)


class _Line(BaseModel):
    """A one-weight model: enough for a runner to step an optimizer."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return dict(loss=(self.weight * inputs).sum())
        return [dict() for _ in inputs]


class _Ones(torch.utils.data.Dataset):
    """Four samples of input 1; vtp's InfiniteSampler draws indices past the length."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=torch.ones(1))


class _Count(BaseMetric):
    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results: list) -> dict:
        return dict(count=len(results))


class _EvaluatedAt(Hook):
    def __init__(self) -> None:
        self.iters = []

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.iters.append(runner.iter)


def test_a_config_sets_the_length_of_a_run_with_max_iters_alone(tmp_path: Path) -> None:
    """A leaf that changes only ``train_cfg.max_iters`` moves the end of the cosine decay
    (mmengine's Runner ends a scheduler without ``end`` at ``max_iters``) and evaluates once,
    after the last iteration (the training loop's default ``val_interval``)."""
    leaf = tmp_path / 'leaf.py'
    base = ROOT / 'configs/retrieval/msrvtt_9k.py'
    leaf.write_text(f"_base_ = ['{base}']\ntrain_cfg = dict(max_iters=1100)\n")
    cfg = Config.fromfile(str(leaf))
    evaluated_at = _EvaluatedAt()
    runner = RUNNERS.get(cfg.runner_type)(
        model=_Line(),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(
            dataset=_Ones(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate'),
        ),
        train_cfg=cfg.train_cfg,
        optim_wrapper=cfg.optim_wrapper,
        param_scheduler=cfg.param_scheduler,
        val_dataloader=dict(
            dataset=_Ones(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='default_collate'),
        ),
        val_cfg=dict(type='ValLoop'),
        val_evaluator=[_Count()],
        default_hooks=dict(checkpoint=None, logger=dict(type='LoggerHook', interval=1000)),
        custom_hooks=[evaluated_at],
        default_scope='vtp',
    )
    runner.train()
    warmup, cosine = runner.param_schedulers
    assert (warmup.end, cosine.begin, cosine.end) == (100, 100, 1100)
    lr = runner.optim_wrapper.optimizer.param_groups[0]['lr']
    eta_min = cfg.optim_wrapper.optimizer.lr * 0.01
    assert eta_min < lr < 2 * eta_min  # one step short of the minimum, reached at iteration 1100
    assert evaluated_at.iters == [1100]
