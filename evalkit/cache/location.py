"""Where the cache file is, and durations as `cache prune --older-than` takes them.

Layers, later wins (as for every setting): the default file in the user's cache folder
(`store.default_dir`), the config's `cache` key (a path relative to the config's folder,
or "off"), the EVALKIT_CACHE environment variable (a path, or "off"; tests point it at a
temporary folder), and `--no-cache` on the command line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from evalkit.cache.store import FILE_NAME, default_dir
from evalkit.errors import ConfigError

ENV = "EVALKIT_CACHE"
OFF = "off"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def cache_path(configured: str | None, base_dir: Path) -> Path | None:
    """The cache file to use, or None when the cache is off. A folder (an existing one, or
    a path ending in /) holds the file under its default name."""
    setting = os.environ.get(ENV) or configured
    if setting is None:
        return default_dir() / FILE_NAME
    if setting.strip().lower() == OFF:
        return None
    path = Path(setting).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if path.is_dir() or setting.endswith(("/", os.sep)):
        return path / FILE_NAME
    return path


def parse_duration(text: str) -> float:
    """Seconds in a duration such as 30d, 12h, 90m, 45s or 2w; a ConfigError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(
            f"--older-than {text!r}: expected a number and a unit, e.g. 30d, 12h, 90m, 45s, 2w"
        )
    return float(match.group(1)) * _UNITS[match.group(2)]
