"""The one ask-validate-reask loop: a judge's reply is parsed, and an invalid one is sent
back with the validation error a bounded number of times. An invalid reply never becomes a
value; rubric verdicts and pairwise picks both go through it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, NamedTuple, TypeVar

from evalkit.endpoints.pool import CallFailed
from evalkit.judges.verdicts import InvalidVerdict
from evalkit.types import Answer, ErrorInfo

RETRY_PROMPT = (
    "Your reply was not a valid verdict: {error}\n"
    "Reply again with only the JSON object, following the schema exactly."
)

T = TypeVar("T")


class Asked(NamedTuple, Generic[T]):
    """What asking a judge for a structured reply came to."""

    value: T | None
    """The parsed reply; None when the call failed or no reply was valid."""
    reply: Answer | None
    """The last reply received."""
    raw: list[str]
    """Replies that did not validate."""
    error: str
    """The last validation error."""
    failed: CallFailed | None
    """The call failure, when the judge could not be reached."""

    def invalid(self, what: str) -> ErrorInfo:
        """The error of a judge that replied, but never validly."""
        return ErrorInfo(
            kind="InvalidVerdict",
            message=f"no valid {what} after {len(self.raw)} replies: {self.error}",
            role="judge",
            attempts=len(self.raw),
        )


async def ask_validated(
    ask: Callable[[list[dict[str, str]]], Awaitable[Answer]],
    prompt: str,
    parse: Callable[[str], T],
    retries: int,
) -> Asked[T]:
    """Ask, parse, and on an invalid reply ask again `retries` times, showing the judge its
    reply and the validation error. Never turns an invalid reply into a value."""
    messages = [{"role": "user", "content": prompt}]
    raw: list[str] = []
    error, reply = "", None
    for _ in range(retries + 1):
        try:
            reply = await ask(messages)
        except CallFailed as failed:
            return Asked(None, reply, raw, error, failed)
        try:
            return Asked(parse(reply.text), reply, raw, "", None)
        except InvalidVerdict as invalid:
            raw.append(reply.text)
            error = str(invalid)
            messages = [
                *messages[:1],
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": RETRY_PROMPT.format(error=error)},
            ]
    return Asked(None, reply, raw, error, None)
