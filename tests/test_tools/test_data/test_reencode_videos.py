"""tools/data/reencode_videos.py: smaller, slower clips with the same layout, resumable."""

from pathlib import Path

import decord

from vtp.testing import BAND, UPRIGHT_HEIGHT, UPRIGHT_WIDTH, run_tool, write_mp4, write_rotated_mp4


def test_reencodes_to_short_side_and_fps_and_resumes(tmp_path: Path) -> None:
    src, dst = tmp_path / 'raw', tmp_path / 'small'
    write_mp4(src / 'a' / '1.mp4', num_frames=16, fps=8)  # 64x48, 2 s
    write_mp4(src / 'b' / '2.mp4', num_frames=16, fps=8)
    (src / 'b' / 'broken.mp4').write_text('not a video')
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
    assert 'broken.mp4' in (dst / 'failed.txt').read_text()
    assert '1 videos could not be re-encoded' in first.stderr
    assert not list(dst.rglob('*.tmp.mp4'))

    (dst / 'a' / '1.mp4').write_bytes(b'kept')  # finished outputs are not redone
    second = run_tool(*args)
    assert '3 videos under' in second.stdout and '2 already done' in second.stdout
    assert (dst / 'a' / '1.mp4').read_bytes() == b'kept'


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
