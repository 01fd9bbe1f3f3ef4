"""Reading deployment files as the tools that use them do, for tests that cannot run those
tools here (no Docker engine): Docker's ``--env-file`` rules and a Dockerfile's instructions.

- ``docker_env_file(text)``: what ``docker run --env-file`` gives the container: every
  ``KEY=VALUE`` line taken literally (quotes and ``#`` after the value kept, nothing
  substituted), ``#`` lines and blank lines skipped, a bare ``KEY`` taken from the host.
- ``dockerfile(text)``: the instructions in order, continuation lines joined, with ``ENV``
  pairs, ``USER``, ``VOLUME`` and ``WORKDIR`` read out.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field


def docker_env_file(text: str, host: dict[str, str] | None = None) -> dict[str, str]:
    host = os.environ if host is None else host
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if equals:
            values[key] = value
        elif key in host:
            values[key] = host[key]
    return values


@dataclass
class Dockerfile:
    instructions: list[tuple[str, str]]
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    volumes: list[str] = field(default_factory=list)
    workdir: str | None = None

    def all(self, name: str) -> list[str]:
        return [args for instruction, args in self.instructions if instruction == name]


def dockerfile(text: str) -> Dockerfile:
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        name, _, args = whole.partition(" ")
        instructions.append((name.upper(), args.strip()))
    result = Dockerfile(instructions)
    for name, args in instructions:
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                result.env[key] = value
        elif name == "USER":
            result.user = args
        elif name == "VOLUME":
            result.volumes += json.loads(args) if args.startswith("[") else args.split()
        elif name == "WORKDIR":
            result.workdir = args
    return result
