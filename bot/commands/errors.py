"""The two ways a command is refused, each with a message the user can act on.

Kept apart from the grammar (`registry`) and the handler context (`context`) so that both, and
every handler, can raise them without importing each other.
"""


class UsageError(Exception):
    """The user typed something we can't act on; the message says what to type instead."""


class PermissionDenied(Exception):
    """The caller may not run this command; the message says who can."""
