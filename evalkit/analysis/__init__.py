"""Stage 5, analysis: readers of run files that compute, never call a model.

`compare` (two runs, row by row and per candidate), `calibrate` (a judge against expert
`labels`), `stats` (bootstrap, Wilcoxon, kappa, Spearman; the bootstrap draws with numpy
through `resampling`), `summary` (the end-of-run summary, streamed), `pairwise` (a
pairwise run's winners and rates), `show` (records selected by filters).
May import: `runfile` and the leaves; never endpoints, judges, litellm or datasets.
"""
