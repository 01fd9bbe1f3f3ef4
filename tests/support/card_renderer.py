"""Adaptive Cards as people see them: the Adaptive Cards JavaScript renderer (npm
``adaptivecards``, installed into a cache folder outside the repository on first use) in
headless chromium, with a Teams-like host config (Segoe-ish fonts, Teams' colours).

``render(driver, card)`` renders one card in the page and returns what it drew (the text, the
inputs, the buttons, any parse warnings); ``screenshot`` keeps it as a PNG.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

RENDERER_DIR = Path(os.environ.get("RAGTIME_ADAPTIVECARDS_DIR", "/tmp/ragtime-adaptivecards"))
VERSION = "3"

HOST_CONFIG = {
    "fontFamily": "'Segoe UI', 'Helvetica Neue', sans-serif",
    "spacing": {"small": 4, "default": 8, "medium": 16, "large": 20, "extraLarge": 24,
                "padding": 16},
    "containerStyles": {"default": {"backgroundColor": "#FFFFFF", "foregroundColors": {
        "default": {"default": "#242424", "subtle": "#616161"},
        "attention": {"default": "#C4314B"}, "good": {"default": "#237B4B"},
        "warning": {"default": "#835B00"}, "accent": {"default": "#5B5FC7"}}}},
    "actions": {"maxActions": 6, "buttonSpacing": 8, "actionsOrientation": "horizontal"},
    "supportsInteractivity": True,
}

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>body{margin:0;padding:16px;background:#f5f5f5;font-family:'Segoe UI',sans-serif}
#card{width:420px;background:#fff;border-radius:6px;box-shadow:0 1px 3px #0003}
.ac-pushButton{border:1px solid #d1d1d1;border-radius:4px;background:#fff;padding:6px 12px;
font-weight:600;color:#242424}
.ac-input{border:1px solid #d1d1d1;border-radius:4px;padding:4px}</style>
<script>%(script)s</script></head><body><div id="card"></div>
<script>
window.renderCard = function (payload, hostConfig) {
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
  const errors = [];
  const context = new AdaptiveCards.SerializationContext();
  card.parse(payload, context);
  for (let i = 0; i < context.eventCount; i++) { errors.push(context.getEventAt(i).message); }
  const el = card.render();
  const target = document.getElementById("card");
  target.innerHTML = "";
  target.appendChild(el);
  const results = card.validateProperties();
  for (const e of (results.validationEvents || [])) { errors.push(e.message); }
  return {
    text: target.innerText,
    inputs: Array.from(target.querySelectorAll("input,textarea"))
      .map(i => i.getAttribute("aria-label") || i.id || i.type),
    buttons: Array.from(target.querySelectorAll("button")).map(b => b.innerText),
    errors: errors,
  };
};
</script></body></html>"""


def renderer_script() -> str:
    """adaptivecards.js, installed with npm into ``RENDERER_DIR`` when not there yet."""
    script = RENDERER_DIR / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install the Adaptive Cards renderer")
        RENDERER_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent",
                        f"adaptivecards@{VERSION}"], cwd=RENDERER_DIR, check=True,
                       timeout=300)
    return script.read_text(encoding="utf-8")


def page(folder: Path) -> Path:
    path = folder / "cards.html"
    path.write_text(PAGE % {"script": renderer_script()}, encoding="utf-8")
    return path


def render(driver: Any, card: dict[str, Any]) -> dict[str, Any]:
    return driver.execute_script("return window.renderCard(arguments[0], arguments[1]);",
                                 json.loads(json.dumps(card)), HOST_CONFIG)


def screenshot(driver: Any, path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "card").screenshot(str(path))
