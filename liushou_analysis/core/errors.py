"""Errors a user can fix: shown as one plain sentence, never a traceback."""


class UserError(Exception):
    """A problem with the user's input or command. The message names the
    file (and sheet, row, column where they apply) and says what to do."""


class Incomplete(Exception):
    """The command finished, but its results are not usable as they are
    (``liushou`` exits with code 3)."""
