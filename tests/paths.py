"""Where things are in the repository, for tests at any depth."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
EXAMPLE = ROOT / "bot" / "framework" / "example" / "sutg.yaml"
TEMPLATES = ROOT / "bot" / "reports" / "templates"
