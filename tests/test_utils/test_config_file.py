"""``read_config``: a broken config file is one error naming it, not a traceback from mmengine."""

import sys

import pytest

from vtp.testing import import_tool
from vtp.utils.config_file import ConfigError, read_config


def write(folder, **files):
    for name, text in files.items():
        (folder / f'{name}.py').write_text(text)
    return folder


@pytest.mark.parametrize(
    'name, message',
    [
        ('a', r'a.py: its _base_ files include each other \(a cycle\), or nest too deep'),
        ('missing_base', r'missing_base.py: config file not found: .*gone.py'),
        ('nowhere', r'nowhere.py: config file not found: .*nowhere.py'),
        ('broken', r"broken.py: syntax error at line 2 of it: '\(' was never closed \('y = \('\)"),
        ('on_broken', r'on_broken.py: syntax error at line 2 of one of its _base_ files'),
    ],
)
def test_a_broken_config_is_one_error_naming_it(tmp_path, name, message):
    write(
        tmp_path,
        a="_base_ = ['b.py']\n",
        b="_base_ = ['a.py']\n",
        missing_base="_base_ = ['gone.py']\n",
        broken='x = 1\ny = (\n',
        on_broken="_base_ = ['broken.py']\n",
    )
    with pytest.raises(ConfigError, match=message):
        read_config(str(tmp_path / f'{name}.py'))


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/test.py'])
def test_tools_print_it_on_one_line(tmp_path, monkeypatch, tool):
    write(tmp_path, a="_base_ = ['b.py']\n", b="_base_ = ['a.py']\n")
    monkeypatch.setattr(
        sys, 'argv', [tool, str(tmp_path / 'a.py'), 'ckpt.pth'][: 3 if 'test' in tool else 2]
    )
    with pytest.raises(
        SystemExit, match=f'^error: {tmp_path}/a.py: its _base_ files include each other'
    ):
        import_tool(tool).main()
