"""`cache stats` (what the cache across runs holds) and `cache prune --older-than
DURATION` (remove what was stored longer ago). The cache file is the one `run` uses: the
config's `cache` key, EVALKIT_CACHE, or the default in the user's cache folder."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.cli.common import EXIT_OK

if TYPE_CHECKING:
    from evalkit.cache import CacheStore

CACHE_EPILOG = """\
examples:
  python -m evalkit cache stats
  python -m evalkit cache prune --older-than 30d
  EVALKIT_CACHE=/tmp/evalkit-cache.sqlite3 python -m evalkit run big-brain
"""


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `cache` with its subcommands `stats` and `prune`."""
    cache = commands.add_parser(
        "cache",
        help="show or prune the cache of answers and verdicts across runs",
        description="The cache across runs: answers and verdicts already paid for.",
        epilog=CACHE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = cache.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="what the cache holds, and where")
    prune = actions.add_parser("prune", help="remove entries stored longer ago than DURATION")
    prune.add_argument(
        "--older-than", required=True, metavar="DURATION", help="e.g. 30d, 12h, 90m, 45s, 2w"
    )
    for parser in (stats, prune):
        parser.add_argument(
            "--config", default=os.environ.get("EVALKIT_CONFIG"), help="config file (evalkit.toml)"
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
    stats.set_defaults(handler=cmd_stats)
    prune.set_defaults(handler=cmd_prune)


def cmd_stats(args: argparse.Namespace) -> int:
    """Print the cache's file, size, entries and their age."""
    store = _open(args.config)
    stats = store.stats()
    store.close()
    if args.format == "json":
        print(stats.model_dump_json(indent=2))
        return EXIT_OK
    print(f"cache:    {stats.path}")
    print(f"size:     {stats.bytes / 1e6:,.1f} MB")
    print(f"answers:  {stats.answers:,}")
    print(f"verdicts: {stats.verdicts:,}")
    print(f"runs:     {stats.runs:,}")
    if stats.oldest:
        print(f"stored:   {stats.oldest} .. {stats.newest}")
    return EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    """Remove entries older than --older-than; print how many."""
    from evalkit.cache import parse_duration

    seconds = parse_duration(args.older_than)
    store = _open(args.config)
    pruned = store.prune(seconds)
    store.close()
    if args.format == "json":
        print(pruned.model_dump_json(indent=2))
    else:
        print(
            f"removed {pruned.answers:,} answer(s) and {pruned.verdicts:,} verdict(s)"
            f" stored before {pruned.before} from {store.path}"
        )
    return EXIT_OK


def _open(config: str | None) -> CacheStore:
    """The cache file `run` would use with this config (none needed: without one, the
    default file, or EVALKIT_CACHE's)."""
    from evalkit.cache import CacheStore, cache_path
    from evalkit.config import CONFIG_NAME, load_config
    from evalkit.errors import ConfigError

    configured, base = None, Path.cwd()
    if config or (Path.cwd() / CONFIG_NAME).is_file():
        loaded = load_config(config)
        configured, base = loaded.config.cache, loaded.base_dir
    path = cache_path(configured, base)
    if path is None:
        raise ConfigError("the cache is off (the config's `cache` key or EVALKIT_CACHE)")
    return CacheStore(path)
