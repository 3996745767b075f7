"""Headless Chromium driven by Selenium, for the browser test of MLTE's web UI.

Chromium and its driver come from Debian's packages (`chromium`,
`chromium-driver`); the driver's path is given to Selenium and Selenium
Manager is kept offline, so nothing is downloaded at run time. Screens and
page sources are written when a step fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = Path(os.environ.get("MLTE_STORE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("MLTE_STORE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))

#: Chromium's flags: headless, as root in a container, and quiet on the network.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)

#: Seconds to wait for a page to show what a step expects.
WAIT = 30


def missing() -> str | None:
    """What of the browser is missing, or None."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if not absent:
        return None
    return f"{', '.join(absent)} missing: apt-get install chromium chromium-driver"


@contextmanager
def chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile in `profile`, quit at the end."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager never downloads anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Ui:
    """MLTE's web UI at `base_url`, as a person uses it: labels, buttons, links, alerts."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path) -> None:
        self.driver, self.base_url, self.shots = driver, base_url, shots

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def body(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait_for(self, text: str) -> None:
        """Until the page shows `text`."""
        WebDriverWait(self.driver, WAIT).until(lambda _: text in self.body())

    def wait_url(self, part: str) -> None:
        WebDriverWait(self.driver, WAIT).until(lambda d: part in d.current_url)

    def field(self, label: str, index: int = 0) -> WebElement:
        """The input, textarea or select of the `index`-th label starting with `label`."""

        def found(_: object) -> WebElement | None:
            labels = [
                item
                for item in self.driver.find_elements(By.TAG_NAME, "label")
                if item.text.strip().startswith(label)
            ]
            if len(labels) <= index:
                return None
            return self.driver.find_element(By.ID, labels[index].get_attribute("for") or "")

        element: WebElement = WebDriverWait(self.driver, WAIT).until(found)
        return element

    def type(self, label: str, text: str, index: int = 0) -> None:
        """Replace the field's text (select all, then type: the UI sees every key)."""
        element = self.field(label, index)
        element.send_keys(Keys.CONTROL, "a")
        element.send_keys(Keys.DELETE)
        element.send_keys(text)

    def choose(self, label: str, value: str) -> None:
        """Select the option `value` of a dropdown once it is offered."""
        WebDriverWait(self.driver, WAIT).until(
            lambda _: value in [o.get_attribute("value") for o in Select(self.field(label)).options]
        )
        Select(self.field(label)).select_by_value(value)

    def click(self, text: str, index: int = 0) -> None:
        """Click the `index`-th enabled button showing `text`."""

        def found(_: object) -> WebElement | None:
            buttons = [
                b
                for b in self.driver.find_elements(By.TAG_NAME, "button")
                if b.text.strip() == text and b.is_enabled() and b.is_displayed()
            ]
            return buttons[index] if len(buttons) > index else None

        WebDriverWait(self.driver, WAIT).until(found).click()

    def link(self, text: str, href_part: str) -> str:
        """The address of the link showing `text` whose address holds `href_part`."""

        def found(_: object) -> str | None:
            for anchor in self.driver.find_elements(By.TAG_NAME, "a"):
                href = anchor.get_attribute("href") or ""
                if anchor.text.strip() == text and href_part in href:
                    return href
            return None

        href: str = WebDriverWait(self.driver, WAIT).until(found)
        return href

    def alert(self) -> str:
        """Accept the alert the UI shows; return its text."""

        def shown(driver: webdriver.Chrome) -> object:
            try:
                return driver.switch_to.alert
            except NoAlertPresentException:
                return False

        alert = WebDriverWait(self.driver, WAIT).until(shown)
        text = str(alert.text)  # type: ignore[attr-defined]
        alert.accept()  # type: ignore[attr-defined]
        return text

    def cookie(self, name: str) -> str | None:
        cookie = self.driver.get_cookie(name)
        return None if cookie is None else str(cookie["value"])

    def shot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """A named step: on failure, its screen and page source are written to `shots`."""
        try:
            yield
        except BaseException as exc:
            self.shots.mkdir(parents=True, exist_ok=True)
            screen = self.shots / f"{name}.png"
            try:
                self.driver.save_screenshot(str(screen))
                (self.shots / f"{name}.html").write_text(self.driver.page_source)
            except Exception:  # the browser itself may be gone
                pass
            raise AssertionError(f"UI step {name!r} failed ({exc!r}); screen: {screen}") from exc
