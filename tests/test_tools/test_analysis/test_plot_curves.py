"""tools/analysis/plot_curves.py on a synthetic work dir of two runs (a resumed one): losses and
metrics are read from both in order, validation drawn at the step it follows, the PNG is
written at the figure's size; bad input is refused with the file and line."""

import json

import pytest
from PIL import Image

from vtp.testing import run_tool


def write_scalars(path, rows):
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))


def test_draws_losses_and_metrics_of_every_run(tmp_path):
    work = tmp_path / 'work'
    first = [dict(loss=4.0 - i, loss_itc=2.0 - i / 2, lr=0.1, iter=i, step=i) for i in (1, 2)]
    first.append({'retrieval/t2v_R1': 10.0, 'retrieval/t2v_MnR': 3.0, 'step': 0})
    resumed = [dict(loss=1.0, loss_itc=0.5, lr=0.1, iter=3, step=3)]
    resumed.append({'retrieval/t2v_R1': 30.0, 'step': 0})
    write_scalars(work / '20240101_000000' / 'vis_data' / 'scalars.json', first)
    write_scalars(work / '20240102_000000' / 'vis_data' / 'scalars.json', resumed)
    out = run_tool('tools/analysis/plot_curves.py', str(work), '--dpi', '50').stdout
    assert 'loss: 3 points, last 1 at step 3' in out
    assert 'loss_itc: 3 points, last 0.5 at step 3' in out
    assert 'retrieval/t2v_R1: 2 points, last 30 at step 3' in out  # after the 3rd step
    assert 'lr' not in out and 'MnR' not in out  # not asked for
    with Image.open(work / 'curves.png') as image:
        assert image.format == 'PNG' and image.size == (12 * 50, 4 * 50)  # two 6x4 in panels


def test_a_broken_line_is_named(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text('{"loss": 1.0, "iter": 1, "step": 1}\n{"loss": \n')
    with pytest.raises(AssertionError, match='scalars.json, line 2: not JSON'):
        run_tool('tools/analysis/plot_curves.py', str(path))


@pytest.mark.parametrize(
    'line, message',
    [
        ('[1, 2]', 'line 2: not a JSON object of scalars'),
        ('5', 'line 2: not a JSON object of scalars'),
        ('{"loss": 1.0, "iter": "abc"}', "line 2: step 'abc' is not a number"),
        ('{"loss": 1.0, "iter": null}', 'line 2: step None is not a number'),
    ],
)
def test_lines_that_are_not_scalars_are_named(tmp_path, line, message):
    """Each was a traceback (AttributeError, TypeError, ValueError)."""
    path = tmp_path / 'scalars.json'
    path.write_text('{"loss": 1.0, "iter": 1, "step": 1}\n' + line + '\n')
    with pytest.raises(AssertionError, match=f'scalars.json, {message}'):
        run_tool('tools/analysis/plot_curves.py', str(path))


@pytest.mark.parametrize(
    'args, message',
    [(['--dpi', '0'], '--dpi must be >= 1'), (['--out', 'plot'], '--out plot: give a .png file')],
)
def test_bad_options_are_one_line(tmp_path, args, message):
    path = tmp_path / 'scalars.json'
    path.write_text('{"loss": 1.0, "iter": 1, "step": 1}\n')
    with pytest.raises(AssertionError, match=message):
        run_tool('tools/analysis/plot_curves.py', str(path), *args)
