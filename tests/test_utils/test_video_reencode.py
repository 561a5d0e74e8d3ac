"""``reencode_video``: short side, frame rate, upright output; a failure writes nothing."""

from pathlib import Path

import decord

from vtp.testing import BASE, STEP, UPRIGHT_HEIGHT, UPRIGHT_WIDTH, write_mp4, write_rotated_mp4
from vtp.utils.video_reencode import display_rotation, reencode_video


def test_short_side_and_frame_rate(tmp_path: Path) -> None:
    src = write_mp4(tmp_path / 'clip.mp4', num_frames=16, fps=8)  # 64x48, 2 s
    assert reencode_video(src, str(tmp_path / 'out' / 'small.mp4'), 24, 2.0) is None
    reader = decord.VideoReader(str(tmp_path / 'out' / 'small.mp4'))
    assert reader[0].shape == (24, 32, 3)  # short side 24, aspect kept
    assert len(reader) == 4 and abs(reader.get_avg_fps() - 2.0) < 1e-6  # 2 s at 2 fps
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['small.mp4']


def test_rotated_video_comes_out_upright(tmp_path: Path) -> None:
    src = write_rotated_mp4(tmp_path / 'phone.mp4', rotation=90)
    assert display_rotation(src) == 90
    out = tmp_path / 'upright.mp4'
    assert reencode_video(src, str(out), UPRIGHT_WIDTH, 4.0) is None
    assert display_rotation(str(out)) == 0
    height, width, _ = decord.VideoReader(str(out))[0].shape
    assert (height, width) == (UPRIGHT_HEIGHT, UPRIGHT_WIDTH)


def test_an_undecodable_file_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    src = tmp_path / 'broken.mp4'
    src.write_text('not a video')
    error = reencode_video(str(src), str(tmp_path / 'out.mp4'), 24, 2.0)
    assert error is not None and error.startswith(f'{src}: ')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['broken.mp4']


def test_a_segment_is_cut_and_starts_at_zero(tmp_path: Path) -> None:
    src = write_mp4(tmp_path / 'long.mp4', num_frames=16, fps=8)  # frame i shows grey level i
    out = tmp_path / 'segment.mp4'
    assert reencode_video(src, str(out), 48, 4.0, start=0.5, end=1.5) is None
    reader = decord.VideoReader(str(out))
    assert len(reader) == 4  # 1 s at 4 fps
    assert reader.get_frame_timestamp(0)[0] == 0.0
    levels = [float(reader[i].asnumpy()[30:, :, 1].mean()) for i in range(4)]
    expected = [BASE + STEP * i for i in (4, 6, 8, 10)]  # 0.5, 0.75, 1.0, 1.25 s of the source
    assert max(abs(a - b) for a, b in zip(levels, expected)) < STEP / 2
    error = reencode_video(src, str(tmp_path / 'none.mp4'), 48, 4.0, start=5.0, end=6.0)
    assert error is not None and 'no frame in [5.0, 6.0) s' in error
