"""The exceptions evalkit raises, and when to catch each.

```
EvalkitError                 anything evalkit raises on purpose; the CLI exits 2 with its message
├── InputError               bad input from a file: names the file, the row or line, and the field
│   ├── SuiteError           a suite that cannot be loaded or a row that does not validate
│   ├── RunFileError         a run file that is corrupt, truncated mid-file, or not a run file
│   └── LabelsError          a human-labels file with a bad line
├── ConfigError              evalkit.toml, a judge file or a flag that does not make sense
│   └── UnknownJudgeError    a judge name that is neither a file nor a plugin
├── ResumeMismatchError      resuming a run file with a different suite, profile, model or judge
├── RunFileBusyError         another process is writing the run file, or wrote it since it was read
├── CacheError               the cache file cannot be opened (not a cache, or no room to create it)
└── MergeMismatchError       merging run files of different suites, profiles, models or judges
```

Failures of a model call are not exceptions that reach the user: the runner records them
in the run file as `unavailable`, `error` or `judge_error` with their reason
(`endpoints.CallFailed` carries them from the call site to the record).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class EvalkitError(Exception):
    """Base class: an error evalkit raises on purpose, with a message meant for a person."""


class InputError(EvalkitError):
    """Bad input read from a file. The message names the file, the row or line, and the field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | str | None = None,
        line: int | None = None,
    ) -> None:
        parts = (
            path,
            f"row {row}" if row is not None else None,
            f"line {line}" if line is not None else None,
        )
        where = ", ".join(part for part in parts if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.row = row


class SuiteError(InputError):
    """A suite that cannot be loaded, or a row that is not a valid Task."""


class RunFileError(InputError):
    """A run file that is corrupt, foreign or missing its manifest."""


class LabelsError(InputError):
    """A human-labels file with a bad line."""


class ConfigError(EvalkitError):
    """A config file, judge file or command-line flag that does not make sense."""


class UnknownJudgeError(ConfigError):
    """A judge name that matches no judges/<name>.toml and no installed plugin."""


class ResumeMismatchError(EvalkitError):
    """Resuming a run file whose manifest differs from what this run would use."""


class RunFileBusyError(EvalkitError):
    """A run file another process is writing (its lock is held), or that another process
    wrote to after this one read it. Nothing was written; run the command again later."""


class CacheError(EvalkitError):
    """The cache file cannot be opened: it is not a cache, or it cannot be created. Remove
    it, point the config's `cache` key elsewhere, or run with --no-cache."""


class MergeMismatchError(EvalkitError):
    """Merging run files whose manifests differ in what makes their records comparable."""


def describe_validation(exc: ValidationError, skip: int = 0) -> str:
    """Pydantic's errors as `field.path: message; ...`, without its URLs; `skip` leaves
    out that many leading parts of each path (a tagged union's tag)."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"][skip:])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (a typo?)"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
