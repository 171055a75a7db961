"""`python -m evalkit`: the command line."""

from evalkit.cli import entry

entry()
