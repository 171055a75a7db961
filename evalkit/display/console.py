"""What every command prints with: the consoles, one-line errors and notes, status colours.
Each command family's tables live in a module of their own beside this one: `run`
(progress, endpoint health, the end-of-run summary), `judges` (calibration, pairwise),
`compare`, `show`."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

console = Console()
errors = Console(stderr=True)

STATUS_STYLE = {"ok": "green", "unavailable": "yellow", "error": "red", "judge_error": "magenta"}


def error(message: str) -> None:
    """One line on stderr, for a bad input or config."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """One line on stderr that the user should act on, though the command goes on."""
    errors.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """An informational line."""
    console.print(escape(message), highlight=False)


def status(status: str | None) -> str:
    if status is None:
        return "[dim]absent[/]"
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def more(count: int, limit: int, what: str) -> None:
    if limit and count > limit:
        note(f"... {count - limit} more {what} (--limit 0 shows all)")
