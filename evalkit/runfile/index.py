"""Run files as `show` reads them: for every record, its key and status and the cells of its
table row; each record in full only when `--full` asks for it.

`read_index` reads every line once (natively, `runfile.lines.read_lines`, no pydantic while
the file is good) and checks, on every result line, the fields it keeps (the key, the
status, the answer's text, finish reason and latency, the verdict's score and label, the
reason it is not ok, its checks); a line that is not JSON, or whose type or kept fields are
wrong, is an error naming the file, the line and the field, as `read_run` gives. With
`keep_lines` (`show --full`) it reads line by line and keeps the bytes of the latest line of
each key, so `RunIndex.record` validates a record in full (every field, as `read_run` does)
when it is shown: 100 records out of 10,000 validated in full, not 10,000. A bad field
elsewhere in a record that is not shown goes unreported, as a field `compare` does not
read does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from evalkit.keys import RecordKey
from evalkit.runfile.heads import ManifestHead, head_of
from evalkit.runfile.lines import KeyLine, lines_through_twin, read_lines

if TYPE_CHECKING:
    from evalkit.types import Record


class RunIndex(msgspec.Struct, gc=False):
    """A run file's manifest, the latest line of every key as `show` reads it, and, when
    kept, that line's bytes, to read the record in full (`record`)."""

    path: str
    """Where it was read from."""
    manifest: ManifestHead
    """Line 1."""
    records: dict[RecordKey, KeyLine]
    """The last result line of each key (`Record.key`), in first-seen key order (the
    order of `read_run`'s records)."""
    lines: dict[RecordKey, tuple[int, bytes]]
    """With `keep_lines`: the number and bytes of the line each of `records` came from;
    empty otherwise."""
    partial_tail: bool = False
    """True when the file ended in a partial line (a crash mid-write), which was skipped."""

    def record(self, key: RecordKey) -> Record:
        """The key's record, every field validated; a bad one is an error naming the
        file, the line and the field. Only for an index read with `keep_lines`."""
        from pydantic import ValidationError

        from evalkit.runfile.reader import line_decoder, line_error
        from evalkit.types import Record

        number, line = self.lines[key]
        try:
            return line_decoder(Record, False)(line)
        except ValidationError as exc:
            raise line_error(exc, Path(self.path), number) from None


def read_index(path: str | Path, keep_lines: bool = False) -> RunIndex:
    """Read a run file's keys, statuses and table cells in one pass (see the module
    docstring); with `keep_lines`, also each key's latest line, for `RunIndex.record`."""
    if not keep_lines:
        read = read_lines(path, KeyLine)
        records = {line.key: line for line in read.items}
        return RunIndex(str(path), read.manifest, records, {}, read.partial_tail)
    lines = lines_through_twin(path, KeyLine)
    records: dict[RecordKey, KeyLine] = {}
    kept: dict[RecordKey, tuple[int, bytes]] = {}
    for number, line, item in lines.numbered():
        key = item.key
        records[key] = item
        kept[key] = (number, line)
    return RunIndex(str(path), head_of(lines.manifest), records, kept, lines.partial)
