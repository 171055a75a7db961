"""The run file (JSONL): the format every stage after `run` reads.

`writer` appends lines with group commit and fsync (what a crash can cost is in its
docstring); `reader` reads the manifest and the latest record of every key, strictly, with
file, line and field named on a bad line. The reader imports nothing of the writer, so the
commands that only read files load neither asyncio's writer nor any model code.
May import: the leaves only.
"""
