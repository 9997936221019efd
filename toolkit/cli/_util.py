"""What every command module shares: the command classes, the help example, and the choice types."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from typer.core import TyperCommand, TyperGroup

from toolkit.tasks import TASKS

__all__ = ["Command", "Group", "example", "Task", "Split", "LABEL_STUDIO_SETTINGS"]

# Said once, here, and shown by `toolkit labelstudio --help`; the other Label Studio commands point to it.
LABEL_STUDIO_SETTINGS = """\
Where the Label Studio commands (labelstudio init, push, pull) find the server and the API key, first found wins:

URL: $LABEL_STUDIO_URL, then LABEL_STUDIO_URL in ./.env, then http://127.0.0.1:PORT with PORT from
$LABEL_STUDIO_PORT, LABEL_STUDIO_PORT in ./.env, or 8080.

API key: $LABEL_STUDIO_API_KEY, then LABEL_STUDIO_API_KEY in ./.env (`make label-studio` writes one there);
a legacy token or a personal access token. It is never printed.

Timeout: $LABEL_STUDIO_TIMEOUT, then ./.env, then 60 seconds. Empty values count as unset; ./.env is read
from the current directory."""


def _flags_without_type(params: list[Any]) -> list[Any]:
    """Show a boolean flag as `--rules`, not `--rules <bool>` (a flag takes no value), and a repeatable option
    as `<str>...`, not `<list[str]>` (each occurrence takes one value)."""
    for param in params:
        if getattr(param, "is_flag", False) and not getattr(param, "count", False):
            param.display_type_rich = lambda ctx: None
        elif (getattr(param, "multiple", False) or param.nargs == -1) and hasattr(param, "display_type"):
            shown = param.display_type
            param.display_type_rich = lambda ctx, shown=shown: shown(ctx).replace("<list[", "<")[:-2] + ">..."
    return params


class Command(TyperCommand):
    def get_params(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        return _flags_without_type(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        return _flags_without_type(super().get_params(ctx))


def example(*lines: str) -> str:
    """A command's epilog: one example per line, under a heading (rich markup escaped)."""
    from rich.markup import escape

    return "Example:\n\n" + "\n".join(f"  $ {escape(line)}" for line in lines)


# The values a user may type, as click choices: a typo is a usage error (exit 2) before the library runs.
Task = StrEnum("Task", {name: name for name in TASKS})


class Split(StrEnum):
    train = "train"
    validation = "validation"
    test = "test"
