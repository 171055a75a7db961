"""The command line (the last stage): parse flags, call the library, print, exit.

Takes: argv. Gives: an exit code (0 ok, 2 bad input, 3 records not ok, 4 regression, 1 bug).
May import: anything, inside its command functions, so `--help` and the read-only commands
load neither litellm nor datasets. `main` (the root) imports the command modules (`run`,
`judges`, `readers`); they share `common`, and never import the root.

`evalkit.cli:entry` (the `evalkit` script) and `evalkit.cli:main` stay importable here.
"""

from __future__ import annotations

from evalkit.cli.main import entry, main

__all__ = ["entry", "main"]
