"""Errors that point a person at the exact place to fix."""

from __future__ import annotations


class OpsbotError(Exception):
    """Base class for every error opsbot reports to a user."""


class InputError(OpsbotError):
    """Bad user-supplied input (a file, a flag, a field), with where it is.

    ``source`` is a file path or a logical name (``--args``), ``line`` is 1-based,
    ``field`` is a dotted path inside the document.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source
            if self.line:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class UnknownUserError(OpsbotError):
    """A chat user id that no policy file names."""
