"""Read the samples of one WebDataset-layout tar shard in order, skipping without reading."""

import posixpath
import tarfile
from typing import IO, Dict, Iterator, List, Optional, Tuple

from vtp.datasets.sample_error import SampleError
from vtp.datasets.shard_files import open_binary

# What tarfile (and the file under it) raise for a shard cut off or damaged after its start.
TAR_ERRORS = (tarfile.TarError, OSError, EOFError)
CHUNK = 1 << 20  # bytes read at a time when checking what follows the last member
# The end-of-archive marker (2 zero blocks) and the padding of the last record: 10 KiB records
# (tar, Python's tarfile) leave at most 11 KiB of zeros, tar's largest (-b 2048) 1 MiB + 1 KiB.
MAX_ZERO_TAIL = (1 << 20) + 1024


def split_member(name: str) -> Tuple[str, str]:
    """``(key, extension)`` of a member name, as WebDataset groups them: the key is the name up
    to the first dot of its last component (``a/b.c.mp4`` -> ``('a/b', 'c.mp4')``)."""
    folder, base = posixpath.split(name)
    stem, _, extension = base.partition('.')
    return posixpath.join(folder, stem) if folder else stem, extension.lower()


class TarSamples:
    """The samples of one tar shard, read front to back.

    A sample is a run of consecutive files sharing a key (``KEY.mp4``, ``KEY.txt``,
    ``KEY.json``); :meth:`skip` walks over samples reading only their 512-byte headers (a
    seek over each file on a local disk or a seekable fsspec file), :meth:`read` returns the
    next one's files. An empty file is a shard without samples. A shard cut off or damaged
    part-way ends early: :attr:`truncated` is then set, and the samples before the one the
    damage falls in remain readable (that one is left out, even when only its last files
    are lost). Data after the end-of-archive marker (tars joined with ``cat``, which
    tarfile would silently cut) sets :attr:`trailing_data` to its offset.

    Args:
        path: the shard, a local path or an fsspec URL.

    Raises:
        SampleError: ``'missing shard'`` (cannot be opened) or ``'unreadable shard'`` (not a
            tar).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.position = 0  # index of the next sample
        self.truncated = False
        self.trailing_data: Optional[int] = None
        try:
            self._file: IO[bytes] = open_binary(path)
        except (OSError, ValueError) as e:
            raise SampleError(path, 'missing shard', str(e)) from None
        self.size = self._file.seek(0, 2)
        self._file.seek(0)
        self._tar: Optional[tarfile.TarFile] = None
        if self.size:
            try:
                self._tar = tarfile.open(fileobj=self._file, mode='r:')
            except TAR_ERRORS as e:
                self._file.close()
                raise SampleError(path, 'unreadable shard', f'not a tar: {e}') from None
        self._groups = self._walk()

    def _members(self) -> Iterator[tarfile.TarInfo]:
        while self._tar is not None:
            try:
                member = self._tar.next()
            except TAR_ERRORS:
                self.truncated = True
                return
            if member is None:
                self._check_end(self._tar.offset)
                return
            if member.isfile():
                yield member

    def _check_end(self, end: int) -> None:
        """Look at what follows the last member, which ends at ``end``: a whole archive has
        only zero blocks there, at most :data:`MAX_ZERO_TAIL` bytes of them (more: the rest of
        a preallocated download, :attr:`truncated`). tarfile also ends quietly at a header cut
        part-way or damaged (non-zero bytes in the block at ``end``: :attr:`truncated`) and at
        the end-of-archive marker of the first of several joined tars (non-zero bytes after a
        zero block: :attr:`trailing_data`). Reads ``CHUNK`` bytes at a time, up to the first
        non-zero one."""
        position = end
        self._file.seek(end)
        while position < self.size:
            chunk = self._file.read(min(CHUNK, self.size - position))
            if not chunk:  # the file shrank while read
                break
            data = chunk.lstrip(b'\0')
            if data:
                first = position + len(chunk) - len(data)
                if first < end + tarfile.BLOCKSIZE:
                    self.truncated = True
                else:
                    self.trailing_data = first
                return
            position += len(chunk)
        # no end-of-archive marker at all, or more zeros than a tar writer pads with: the rest
        # of a file preallocated by a download that stopped (its last sample is left out)
        self.truncated = end >= self.size or self.size - end > MAX_ZERO_TAIL

    def _walk(self) -> Iterator[List[tarfile.TarInfo]]:
        """Runs of consecutive members sharing a key."""
        group: List[tarfile.TarInfo] = []
        for member in self._members():
            if group and split_member(member.name)[0] != split_member(group[0].name)[0]:
                yield group
                group = []
            group.append(member)
        if group and not self.truncated:  # cut off, the last run may lack files
            yield group

    def _next_group(self) -> Optional[List[tarfile.TarInfo]]:
        group = next(self._groups, None)
        if group is not None:
            self.position += 1
        return group

    def skip(self, count: int) -> int:
        """Walk over the next ``count`` samples (or to the end); the number walked over."""
        for done in range(count):
            if self._next_group() is None:
                return done
        return count

    def read(self) -> Optional[Tuple[str, Dict[str, bytes]]]:
        """``(key, {extension: bytes})`` of the next sample; None at the end of the shard.

        Raises:
            SampleError: ``'truncated shard'`` when the sample's data cannot be read,
                ``'duplicate member'`` when two of its files have the same extension.
        """
        group = self._next_group()
        if group is None:
            return None
        assert self._tar is not None  # a group was read from it
        key = split_member(group[0].name)[0]
        files: Dict[str, bytes] = {}
        try:
            for member in group:
                extension = split_member(member.name)[1]
                if extension in files:
                    raise SampleError(
                        f'{self.path}/{key}', 'duplicate member', f'{member.name} appears twice'
                    )
                data = self._tar.extractfile(member)
                assert data is not None  # a regular file
                files[extension] = data.read()
        except TAR_ERRORS as e:
            self.truncated = True
            raise SampleError(
                self.path, 'truncated shard', f'sample {group[0].name}: {e}'
            ) from None
        return key, files

    def count(self) -> int:
        """Samples left (the rest of the shard is walked)."""
        return sum(1 for _ in self._groups)

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
        self._file.close()


def count_samples(path: str) -> Tuple[int, bool]:
    """``(complete samples, whether the shard is truncated)`` of shard ``path``: an empty file
    has none; a shard cut off or damaged part-way counts the samples before the damage.

    Raises:
        SampleError: ``'missing shard'`` (cannot be opened) or ``'unreadable shard'`` (not a
            tar, or data after its end-of-archive marker: tars joined with ``cat``, of which
            only the first would be read).
    """
    samples = TarSamples(path)
    try:
        count = samples.count()
    finally:
        samples.close()
    if samples.trailing_data is not None:
        raise SampleError(
            path,
            'unreadable shard',
            f'data after the end-of-archive marker at byte {samples.trailing_data}: tars '
            'joined with cat? Only the first would be read; join them with tar --concatenate',
        )
    return count, samples.truncated
