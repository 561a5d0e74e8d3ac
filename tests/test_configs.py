"""Every shipped config, shrunk to a toy model, runs a train step and a test step."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from toy_runs import ROOT, write_toy_config

from vtp.registry import DATASETS, MODELS

CONFIGS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_train_and_test_step(config: str, tmp_path: Path,
                                    moving_shapes_root: str) -> None:
    cfg = Config.fromfile(write_toy_config(tmp_path / 'toy.py', config, moving_shapes_root))
    assert cfg.default_scope == 'vtp'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([train_set[i] for i in range(4)]), True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    loss.backward()
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, f'parameters without gradient: {no_grad}'

    model.eval()
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    with torch.no_grad():
        samples = model.test_step(pseudo_collate([test_set[i] for i in range(2)]))
    assert len(samples) == 2 and samples[0].video_embed.dim() == 1
