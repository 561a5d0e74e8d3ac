"""Read the samples of one WebDataset-layout tar shard in order, skipping without reading."""

import posixpath
import tarfile
from typing import IO, Dict, Iterator, List, Optional, Tuple

from vtp.datasets.sample_error import SampleError
from vtp.datasets.shard_files import open_binary

# What tarfile (and the file under it) raise for a shard cut off or damaged after its start.
TAR_ERRORS = (tarfile.TarError, OSError, EOFError)


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
    part-way ends early: :attr:`truncated` is then set, and the samples before the damage
    remain readable.

    Args:
        path: the shard, a local path or an fsspec URL.

    Raises:
        SampleError: ``'missing shard'`` (cannot be opened) or ``'unreadable shard'`` (no tar).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.position = 0  # index of the next sample
        self.truncated = False
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
                raise SampleError(path, 'unreadable shard', str(e)) from None
        self._groups = self._walk()

    def _members(self) -> Iterator[tarfile.TarInfo]:
        while self._tar is not None:
            try:
                member = self._tar.next()
            except TAR_ERRORS:
                self.truncated = True
                return
            if member is None:
                self.truncated = self._cut_off(self._tar.offset)
                return
            if member.isfile():
                yield member

    def _cut_off(self, end: int) -> bool:
        """Whether the archive, whose last member ends at ``end``, was cut off: tarfile ends
        quietly at a header cut part-way, where a whole archive has zero blocks."""
        if end >= self.size:
            return True
        self._file.seek(end)
        return bool(self._file.read(self.size - end).strip(b'\0'))

    def _walk(self) -> Iterator[List[tarfile.TarInfo]]:
        """Runs of consecutive members sharing a key."""
        group: List[tarfile.TarInfo] = []
        for member in self._members():
            if group and split_member(member.name)[0] != split_member(group[0].name)[0]:
                yield group
                group = []
            group.append(member)
        if group:
            yield group

    def _next_group(self) -> Optional[List[tarfile.TarInfo]]:
        group = next(self._groups, None)
        if group is not None:
            self.position += 1
        return group

    def complete(self, group: List[tarfile.TarInfo]) -> bool:
        """Whether the data of every file of ``group`` lies inside the shard."""
        return all(m.offset_data + m.size <= self.size for m in group)

    def skip(self, count: int) -> int:
        """Walk over the next ``count`` samples (or to the end); the number walked over."""
        for done in range(count):
            if self._next_group() is None:
                return done
        return count

    def read(self) -> Optional[Tuple[str, Dict[str, bytes]]]:
        """``(key, {extension: bytes})`` of the next sample; None at the end of the shard.

        Raises:
            SampleError: ``'truncated shard'`` when the sample's data is cut off.
        """
        group = self._next_group()
        if group is None:
            return None
        assert self._tar is not None  # a group was read from it
        files: Dict[str, bytes] = {}
        try:
            if not self.complete(group):
                raise tarfile.ReadError('unexpected end of data')
            for member in group:
                data = self._tar.extractfile(member)
                assert data is not None  # a regular file
                files[split_member(member.name)[1]] = data.read()
        except TAR_ERRORS as e:
            self.truncated = True
            raise SampleError(
                self.path, 'truncated shard', f'sample {group[0].name}: {e}'
            ) from None
        return split_member(group[0].name)[0], files

    def count(self) -> int:
        """Samples left whose data is complete (the rest of the shard is walked)."""
        return sum(self.complete(group) for group in self._groups)

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
        self._file.close()


def count_samples(path: str) -> int:
    """Complete samples of shard ``path`` (0 for a missing, empty or unreadable shard)."""
    try:
        samples = TarSamples(path)
    except SampleError:
        return 0
    try:
        return samples.count()
    finally:
        samples.close()
