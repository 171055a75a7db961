"""Stage 1, suites: a suite folder, path or hub id -> validated `Task`s.

Takes: a suite reference (a folder in suites/, a path, or a Hugging Face hub id). Gives: a
`Suite` (`loader.load_suite`): its info and fingerprint, and its tasks, held or streamed
from a spool file for large suites. Every bad row stops the load with the file, the row and
the field named.

Modules: `loader` (load_suite, TaskStream), `rows` (datasets, lint, validation,
fingerprint), `spool` (large suites read once by a helper process).
May import: the leaves (`types`, `errors`). `datasets` is imported in `rows` only.
"""
