"""Stage 6, report: a run file -> the document people read (Markdown or HTML).

`build` fills a `document.Report` from a run file (and the suite's prompts, via
`suite_text`); `prose` computes its sentences, `environment` its environment table;
`markdown`, `html` and `svg` render it; `compare_markdown` renders a comparison.
May import: `analysis`, `runfile`, `suites.rows` (prompts and fingerprint, no datasets)
and the leaves.
"""
