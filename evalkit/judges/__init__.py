"""Stage 3, judges: an answer to a task -> a `Grading` (a verdict, or why there is none).

Takes: a `Task` and an answer's text. Gives: a `Grading`; a judge never raises for a bad
grade. `protocol` holds the contract plugins implement (`Judge`, `JudgeContext`); `rubric`
the judge defined by a TOML file; `panel` panels and repeated sampling; `pairwise` the judge
asked to compare two answers; `prompt` the template, schema and verdict checks; `asking`
the one ask-validate-reask loop; `loading` finds a judge by name (file, path or plugin).
May import: `endpoints`, `config` and the leaves.
"""
