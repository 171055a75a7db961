"""Stage 7, display: the terminal (rich), used by the CLI only.

`console` holds the consoles, errors and notes; `run`, `compare`, `show` and `judges` draw
each command family's tables and progress. rich is imported here only.
May import: `analysis`, `report` and the leaves.
"""
