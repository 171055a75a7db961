"""Run files as `show` reads them: the key, status and answer's ending of every record, and
each record in full only when it is asked for.

`read_index` reads every line once (natively, `runfile.lines`) and checks, on every
result line, the fields it keeps (the key, the status, the answer's text and finish
reason); a line that is not JSON, or whose type or kept fields are wrong, is an error
naming the file, the line and the field, as `read_run` gives. The bytes of the latest
line of each key are kept, so `RunIndex.record` validates a record in full (every field,
as `read_run` does) when it is shown: a table of 100 records out of 10,000 validates 100
records in full, not 10,000. A bad field elsewhere in a record that is not shown goes
unreported, as a field `compare` does not read does.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
from pydantic import ValidationError

from evalkit.runfile.lines import KeyLine, KeyLineModel, fast_decoder
from evalkit.runfile.reader import RunLines, line_decoder, line_error
from evalkit.types import Record, RecordKey, RunManifest


class RunIndex(msgspec.Struct, gc=False):
    """A run file's manifest, the key and status of the latest line of every key, and
    that line's bytes, to read the record in full (`record`)."""

    path: str
    """Where it was read from."""
    manifest: RunManifest
    """Line 1."""
    records: dict[RecordKey, KeyLine]
    """The last result line of each key (`Record.key`), in first-seen key order (the
    order of `read_run`'s records)."""
    lines: dict[RecordKey, tuple[int, bytes]]
    """The number and bytes of the line each of `records` came from."""
    partial_tail: bool = False
    """True when the file ended in a partial line (a crash mid-write), which was skipped."""

    def record(self, key: RecordKey) -> Record:
        """The key's record, every field validated; a bad one is an error naming the
        file, the line and the field."""
        number, line = self.lines[key]
        try:
            return line_decoder(Record, False)(line)
        except ValidationError as exc:
            raise line_error(exc, Path(self.path), number) from None


def read_index(path: str | Path) -> RunIndex:
    """Read a run file's keys and statuses in one pass (see the module docstring)."""
    decoder = fast_decoder(KeyLine, KeyLineModel, False)
    lines = RunLines(Path(path), KeyLine, decoder=decoder)
    records: dict[RecordKey, KeyLine] = {}
    kept: dict[RecordKey, tuple[int, bytes]] = {}
    for number, line, item in lines.numbered():
        key = item.key
        records[key] = item
        kept[key] = (number, line)
    return RunIndex(
        path=str(path),
        manifest=lines.manifest,
        records=records,
        lines=kept,
        partial_tail=lines.partial,
    )
