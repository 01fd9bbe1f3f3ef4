"""A throwaway PostgreSQL cluster of our own, so a test can restart the server without
disturbing anyone else's tests (the shared test server of ``.ci/postgres.sh`` stays up).

``PostgresCluster.create(folder)`` runs ``initdb`` into ``folder`` and starts the server on a free
port; ``restart()`` is ``pg_ctl restart -m fast`` (every client connection is cut, as when the
database is restarted for maintenance); ``stop()`` ends it. Needs the PostgreSQL server binaries
(``/usr/lib/postgresql/*/bin``); when run as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load.servers import free_port as _free_port


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


@dataclass
class PostgresCluster:
    bin: Path
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def create(cls, folder: Path) -> PostgresCluster:
        binaries = postgres_bin()
        if binaries is None:
            raise FileNotFoundError("PostgreSQL server binaries not found")
        data = folder / "pgdata"
        data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
            shutil.chown(data, "postgres")
        cluster = cls(binaries, data, _free_port())
        cluster._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
        cluster.start()
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stderr.strip()}")

    def _ctl(self, action: str, *args: str) -> None:
        options = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=50")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w",
                  "-o", options, action, *args)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """Fast restart: open connections are terminated, the server comes back on the port."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")
