"""Every file the packages read at run time matches pyproject's package-data, so the wheel (and
the Docker image, which installs it) carries it: checked here in a moment, without building
(tests/scenario/test_wheel_install.py builds and installs the wheel)."""

from __future__ import annotations

import subprocess
import tomllib
from fnmatch import fnmatch

from tests.paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = [name.rstrip("*") for name in
            PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]


def test_every_data_file_of_the_packages_is_package_data():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             *PACKAGES], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.splitlines()
    data = [path for path in listed if not path.endswith(".py") and (ROOT / path).is_file()]

    assert any(path.endswith(".html") for path in data)  # the web form's templates
    assert [path for path in data
            if not any(fnmatch(path.rsplit("/", 1)[-1], pattern) for pattern in patterns)] == []
