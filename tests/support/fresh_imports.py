"""What a fresh interpreter has imported after some code: for tests that a process loads no
library it does not use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.paths import ROOT

SERVING = "import ragtime.cli, ragtime.app, ragtime.web, ragtime.worker, ragtime.wiring"


def loaded_after(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules whose names start with one of ``prefixes`` once ``code`` has run in a new
    interpreter with no Ragtime or Slack settings in its environment."""
    code += (f"\nimport sys, json; print(json.dumps(sorted(m for m in sys.modules "
             f"if m.startswith({prefixes!r}))))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGTIME_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
