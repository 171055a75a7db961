"""`python -m evalkit`: the command line."""

from evalkit.cli import main

raise SystemExit(main())
