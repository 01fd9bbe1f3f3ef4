"""The web form in a real browser: Debian's chromium driven headless by Selenium against Ragtime
served by waitress. An SRO not on Slack fills it in, sees a rule error beside the field, follows
the error summary to it by keyboard, corrects it and sees the confirmation; axe-core (shipped by
axe-selenium-python, no network) finds no serious or critical accessibility violation on any of
those pages, with no JavaScript of ours. Screenshots go to ``WEB_FORM_SHOTS`` when it is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.web_form import WebWorld

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-sync")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and DRIVER),
                       reason="needs Debian chromium and chromium-driver (.ci/run installs)"),
]


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1600")
    driver = webdriver.Chrome(options=options, service=Service(DRIVER or ""))
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: WebDriver, name: str) -> None:
    folder = os.environ.get("WEB_FORM_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        width = driver.get_window_size()["width"]
        driver.set_window_size(width, 800)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(800, int(height) + 140))
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def _no_serious_violations(driver: WebDriver) -> None:
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert results["passes"]  # axe really ran


def test_fill_in_see_the_error_correct_it_and_see_the_confirmation(
    web_sqlite: WebWorld, browser: WebDriver
):
    web = web_sqlite
    item = web.world.wellbeing
    browser.get(web.link("rarnold"))

    assert "Your update for 2024/25 Q2" in browser.title
    assert "On track in Q1." in browser.find_element(By.CSS_SELECTOR, ".inset").text
    _no_serious_violations(browser)
    _shot(browser, "1-form-empty")

    browser.find_element(By.CSS_SELECTOR, f"label[for='d{item}-rag-red']").click()
    browser.find_element(By.ID, f"d{item}-narrative").send_keys(
        "Two of five wellbeing hubs are delayed by estates work.")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    WebDriverWait(browser, 10).until(lambda driver: driver.title.startswith("Error: "))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert "A red rating needs a recovery action" in summary.text
    beside = browser.find_element(By.ID, f"d{item}-recovery_action-error")
    assert "A red rating needs a recovery action" in beside.text
    assert browser.find_element(By.ID, f"d{item}-narrative").get_attribute("value").startswith(
        "Two of five")
    assert browser.find_element(By.ID, f"d{item}-rag-red").is_selected()
    _no_serious_violations(browser)
    _shot(browser, "2-form-with-errors")

    # By keyboard: the summary's link takes the focus to the field.
    link = browser.find_element(By.CSS_SELECTOR,
                                f".error-summary a[href='#d{item}-recovery_action']")
    link.send_keys(Keys.ENTER)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == f"d{item}-recovery_action"
    focused.send_keys("Temporary space agreed in two community hospitals.")
    browser.find_element(By.ID, f"d{item}-recovery_date").send_keys("31/03/2025")
    browser.find_element(By.ID, f"d{item}-change_reason").send_keys(
        "Estates delays to two of the five hubs.")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").send_keys(Keys.ENTER)

    WebDriverWait(browser, 10).until(lambda driver: driver.title.startswith("Update sent"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Update sent"
    assert "Red (version 1)" in browser.find_element(By.TAG_NAME, "main").text
    _no_serious_violations(browser)
    _shot(browser, "3-confirmation")
    assert [u.rag.value for u in web.updates(item)] == ["green", "red"]

    browser.set_window_size(390, 844)  # a phone
    browser.get(web.link("rarnold"))
    scroll = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert scroll <= 0  # nothing wider than the screen
    assert "Saved by Rachel Arnold" in browser.find_element(By.TAG_NAME, "main").text
    _no_serious_violations(browser)
    _shot(browser, "4-phone")


def test_a_refused_link_reads_clearly_in_the_browser(web_sqlite: WebWorld, browser: WebDriver):
    browser.get(web_sqlite.link("rarnold") + "tampered")

    assert browser.find_element(By.TAG_NAME, "h1").text == "This link is not valid"
    assert browser.find_elements(By.TAG_NAME, "form") == []
    _no_serious_violations(browser)
    _shot(browser, "5-refused-link")


def test_recording_an_absence_from_the_page(web_sqlite: WebWorld, browser: WebDriver):
    web = web_sqlite
    browser.get(web.link("rarnold"))
    section = browser.find_element(By.CSS_SELECTOR, "section.away")
    assert "Going to be away?" in section.text
    browser.find_element(By.ID, "away_from").send_keys("14/10/2024")
    browser.find_element(By.ID, "away_to").send_keys("25/10/2024")
    browser.find_element(By.ID, "away_cover").send_keys("Owen Side")
    browser.find_element(By.ID, "away_note").send_keys("Annual leave")
    _no_serious_violations(browser)
    _shot(browser, "5-away-section")
    section.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    WebDriverWait(browser, 10).until(lambda driver: driver.title.startswith("Absence recorded"))
    assert ("Recorded: you are away Mon 14 Oct 2024 – Fri 25 Oct 2024, covered by Owen Side."
            in browser.find_element(By.TAG_NAME, "main").text)
    _no_serious_violations(browser)
    _shot(browser, "6-away-recorded")
