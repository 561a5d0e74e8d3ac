"""A head defined outside vtp is registered by a plugin module and trained via custom_imports."""

from pathlib import Path

from vtp.testing import read_scalars, run_tool, write_toy_config

PLUGIN = '''
from mmengine.model import BaseModule
from torch import nn

from vtp.registry import MODELS


@MODELS.register_module()
class CaptionLengthHead(BaseModule):
    """Regress each caption's token count from its joint-space embedding."""

    def __init__(self, in_dims: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dims, 1)

    def loss(self, feats, data_samples):
        target = feats.text_mask.sum(1).float()
        prediction = self.fc(feats.text_embed).squeeze(1)
        return dict(loss_length=((prediction - target) ** 2).mean())
'''

EXTRA = """
custom_imports = dict(imports=['vtp_test_plugin'], allow_failed_imports=False)
model['heads']['length'] = dict(type='CaptionLengthHead', in_dims=16)
"""


def test_custom_imports_plugin_head(tmp_path: Path, moving_shapes_root: str) -> None:
    (tmp_path / 'vtp_test_plugin.py').write_text(PLUGIN)
    config = write_toy_config(
        tmp_path / 'toy.py',
        'configs/pretrain/moving_shapes.py',
        moving_shapes_root,
        iters=2,
        ckpt_interval=2,
        extra=EXTRA,
    )
    work_dir = str(tmp_path / 'work')
    run_tool(
        'tools/train.py',
        str(config),
        '--work-dir',
        work_dir,
        env={'PYTHONPATH': f'{tmp_path}:{Path(__file__).resolve().parents[1]}'},
    )
    rows = [r for r in read_scalars(work_dir) if 'loss' in r]
    assert len(rows) == 2
    assert {'loss_length', 'loss_itc', 'loss_itm', 'loss_mlm'} <= set(rows[-1])
    parts = sum(rows[-1][k] for k in ('loss_length', 'loss_itc', 'loss_itm', 'loss_mlm'))
    assert abs(rows[-1]['loss'] - parts) < 1e-3
