"""Stage 4, run: prepare -> fan out -> grade -> append.

Takes: the user's choices (suite, profile, judge, resume). Gives: a run file, every key's
record appended the moment it is durable. `prepare` resolves config, suite, judge and run
file; `runner` fans keys out in per-candidate lanes, grades each answer as soon as it
exists, and appends through the group-commit writer; `regrade` grades a run file's answers
with another judge; `pairwise` judges two candidates' answers side by side.
May import: `suites`, `endpoints`, `judges`, `runfile`, `config` and the leaves.
"""
