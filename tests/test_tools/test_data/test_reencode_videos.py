"""tools/data/reencode_videos.py: smaller, slower clips with the same layout, resumable."""

import re
from pathlib import Path

import decord
import pytest

from vtp.testing import (
    BAND,
    UPRIGHT_HEIGHT,
    UPRIGHT_WIDTH,
    import_tool,
    run_tool,
    set_codec,
    write_mp4,
    write_rotated_mp4,
)

reencode_videos = import_tool('tools/data/reencode_videos.py')


def test_reencodes_to_short_side_and_fps_and_resumes(tmp_path: Path) -> None:
    src, dst = tmp_path / 'raw', tmp_path / 'small'
    write_mp4(src / 'a' / '1.mp4', num_frames=16, fps=8)  # 64x48, 2 s
    write_mp4(src / 'b' / '2.mp4', num_frames=16, fps=8)
    (src / 'b' / 'broken.mp4').write_text('not a video')
    set_codec(write_mp4(src / 'b' / 'unknown_codec.mp4'), b'zzzz')  # no decoder: crashed the run
    args = (
        'tools/data/reencode_videos.py',
        '--src',
        str(src),
        '--dst',
        str(dst),
        '--short-side',
        '24',
        '--fps',
        '2',
        '--workers',
        '1',
    )
    first = run_tool(*args)
    reader = decord.VideoReader(str(dst / 'a' / '1.mp4'))
    assert reader[0].shape == (24, 32, 3)  # short side 24, aspect kept
    assert reader.get_avg_fps() == 2 and len(reader) == 4  # 2 s at 2 fps
    assert (dst / 'b' / '2.mp4').is_file() and not (dst / 'b' / 'broken.mp4').exists()
    failed = (dst / 'failed.txt').read_text()
    assert (
        'broken.mp4' in failed and 'unknown_codec.mp4: ValueError: FFmpeg has no decoder' in failed
    )
    assert '2 videos could not be re-encoded' in first.stderr
    assert not list(dst.rglob('*.part'))

    (dst / 'a' / '1.mp4').write_bytes(b'kept')  # finished outputs are not redone
    second = run_tool(*args)
    assert '4 videos under' in second.stdout and '2 already done' in second.stdout
    assert (dst / 'a' / '1.mp4').read_bytes() == b'kept'
    assert len((dst / 'failed.txt').read_text().splitlines()) == 2  # this run's, not appended

    other = list(args)
    other[other.index('--short-side') + 1] = '32'
    with pytest.raises(SystemExit, match=r'holds videos re-encoded with .*short_side.: 24'):
        reencode_videos.main(other[1:])


@pytest.mark.parametrize(
    'layout, message',
    [
        ('clash', r'1 outputs would be written from two inputs .*for example a.mkv, a.mp4'),
        ('inside', r'is --src or inside it: its outputs would be inputs'),
        ('same', r'is --src or inside it'),
    ],
)
def test_layouts_that_would_lose_or_loop_are_refused_before_writing(
    tmp_path, capsys, layout, message
):
    src = tmp_path / 'raw'
    write_mp4(src / 'a.mp4', num_frames=4)
    write_mp4(src / 'b.mp4', num_frames=4)
    if layout == 'clash':
        write_mp4(src / 'a.mkv', num_frames=4)
    dst = {'clash': tmp_path / 'small', 'inside': src / 'small', 'same': src}[layout]
    with pytest.raises(SystemExit) as exit_info:
        reencode_videos.main(['--src', str(src), '--dst', str(dst), '--workers', '1'])
    assert re.search(message, str(exit_info.value) + capsys.readouterr().err)
    assert not (tmp_path / 'small').exists() and not (src / 'small').exists()


@pytest.mark.parametrize(
    'option', [('--short-side', '0'), ('--fps', '0'), ('--crf', '60'), ('--workers', '0')]
)
def test_bad_settings_are_one_line(tmp_path, capsys, option):
    write_mp4(tmp_path / 'raw' / 'a.mp4', num_frames=4)
    with pytest.raises(SystemExit):
        reencode_videos.main(
            ['--src', str(tmp_path / 'raw'), '--dst', str(tmp_path / 'out'), *option]
        )
    assert 'error:' in capsys.readouterr().err


def test_phone_videos_come_out_upright(tmp_path: Path) -> None:
    src, dst = tmp_path / 'raw', tmp_path / 'small'
    for rotation in (90, 180, 270):
        write_rotated_mp4(src / f'{rotation}.mp4', rotation)
    run_tool(
        'tools/data/reencode_videos.py',
        '--src',
        str(src),
        '--dst',
        str(dst),
        '--short-side',
        str(UPRIGHT_WIDTH),
        '--fps',
        '8',
        '--workers',
        '1',
    )
    for rotation in (90, 180, 270):
        frame = decord.VideoReader(str(dst / f'{rotation}.mp4'))[0].asnumpy().astype(int)
        assert frame.shape == (UPRIGHT_HEIGHT, UPRIGHT_WIDTH, 3), rotation
        red_top, green_left = (
            frame[BAND // 2, UPRIGHT_WIDTH // 2],
            frame[UPRIGHT_HEIGHT // 2, BAND // 2],
        )
        assert red_top[0] > 200 and red_top[1] < 60, (rotation, red_top)
        assert green_left[1] > 200 and green_left[0] < 60, (rotation, green_left)
