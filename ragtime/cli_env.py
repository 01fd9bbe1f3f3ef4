"""``ragtime --env-file FILE COMMAND …``: run any command on a deployment's settings file, e.g.
``sudo -u ragtime /opt/ragtime/.venv/bin/ragtime --env-file /etc/ragtime/ragtime.env round
status 2024/25 Q3`` beside a systemd service whose ``EnvironmentFile`` is that file.

The file's values are put in this process's environment (never over a variable already set,
the precedence the settings give the environment over ``.env``), so child processes — the
worker ``ragtime serve`` starts — read the same settings. A file that cannot be read stops the
command with one line.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Annotated

import typer
from dotenv import dotenv_values

from ragtime.cli_support import UserError


def register(app: typer.Typer) -> None:
    app.callback()(use_env_file)


def use_env_file(
    env_file: Annotated[Path | None, typer.Option(
        "--env-file", metavar="FILE",
        help="Read settings from FILE (KEY=VALUE lines, as systemd's EnvironmentFile and "
             "Docker's --env-file), e.g. /etc/ragtime/ragtime.env; variables already set win.")]
    = None,
) -> None:
    """Ragtime: run the quarterly RAG progress cycle in Slack and compile the board report."""
    if env_file is None:
        return
    try:
        text = env_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"--env-file {env_file}: no such file") from None
    except PermissionError:
        raise UserError(f"--env-file {env_file}: permission denied (run the command as the "
                        "service's user, e.g. sudo -u ragtime …, or as a member of its "
                        "group)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"--env-file {env_file}: cannot read it ({error})") from None
    for key, value in dotenv_values(stream=io.StringIO(text)).items():
        if value is not None and key not in os.environ:
            os.environ[key] = value

