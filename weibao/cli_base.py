"""What every `weibao` command module shares: the registry of commands and the user error.

`weibao.cli` and the `cli_*` modules both import from here, so that none of them imports
another back.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


class CommandError(Exception):
    """A user error: printed as one line, exit code 2."""


def command(name: str) -> Callable[[Handler], Handler]:
    """Registers the decorated function as the handler of `weibao <name>`."""

    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn

    return register
