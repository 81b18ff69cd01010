"""The DPO's review in a real browser: Debian's Chromium, driven by Selenium, on the Prefect UI
of a local stack at the gate. Log in with the stack's credentials, open the paused run, read the
release card, see every evidence artifact on the run, try to submit the form without a decision
(the form refuses and the run still waits), then approve: the release appears.

Screenshots go to ``$CLEARANCE_UI_SCREENSHOTS`` when set (the test's folder otherwise)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.runtime import audit
from tasks.synthetic.demo_inputs import build_demo
from tests.conftest import DEMO_INPUTS, write_request
from tests.stack_support import api_auth, api_url, clearance, local_stack

pytestmark = pytest.mark.integration

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip(
        "Debian's chromium and chromium-driver are not installed (.ci/install-browser.sh)",
        allow_module_level=True,
    )

from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

APPROVER = "Mme Durand (DPO)"
REQUEST_ID = "ui-gate"
EVIDENCE = {  # artifact key suffix -> text its page shows
    "summary": "awaits DPO sign-off",
    "pixels": "Burned-in text",
    "checks": "Re-identification and quality checks",
    "expectations": "residual_identifiers",
}
WAIT = 60  # seconds for the UI to render on a loaded machine


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _request(root: Path) -> Path:
    return write_request(
        root,
        request_id=REQUEST_ID,
        purpose="browser review",
        inputs=DEMO_INPUTS,
        profile="demo",
        destination=f"out/{REQUEST_ID}",
    )


def _state(env: dict[str, str], run_id: str) -> str:
    return clearance(env, "status", run_id).stdout.upper()


def _wait_for(env: dict[str, str], run_id: str, wanted: str, seconds: float) -> str:
    deadline, state = time.monotonic() + seconds, ""
    while time.monotonic() < deadline and wanted not in (state := _state(env, run_id)):
        time.sleep(2)
    return state


def _text(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def _wait_text(driver: WebDriver, *needles: str, within: WebElement | None = None) -> str:
    """The visible text once every needle shows (of ``within`` or the whole page)."""

    def shown(d: WebDriver) -> str | bool:
        text = (within or d.find_element(By.TAG_NAME, "body")).text
        return text if all(n in text for n in needles) else False

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.5).until(shown)
    except TimeoutException:
        raise AssertionError(f"not shown: {needles}; page: {_text(driver)[:2000]}") from None


def _tab(driver: WebDriver, label: str) -> WebElement:
    tabs = driver.find_elements(
        By.XPATH, f"//li[contains(@class, 'p-tab')][normalize-space(.)='{label}']"
    )
    assert tabs, f"no {label!r} tab"
    return tabs[0]


def _button(scope: WebDriver | WebElement, label: str) -> WebElement:
    buttons = [b for b in scope.find_elements(By.TAG_NAME, "button") if b.text.strip() == label]
    assert buttons, f"no {label!r} button"
    return buttons[0]


def test_a_dpo_reviews_and_approves_in_the_browser(
    browser: WebDriver, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = Path(os.environ.get("CLEARANCE_UI_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("inputs")
    demo = build_demo(root / "in", patients=2, image_size=256)
    home = tmp_path_factory.mktemp("clearance-home")
    with local_stack(home) as env:
        submitted = clearance(env, "submit", str(_request(root)), check=True)
        run_id = submitted.stdout.strip().splitlines()[-1]
        assert "PAUSED" in _wait_for(env, run_id, "PAUSED", 900)
        base = api_url(home).removesuffix("/api")

        # the UI asks for the stack's credentials before showing anything
        browser.get(f"{base}/runs/flow-run/{run_id}")
        browser.get(f"{base}/login")
        WebDriverWait(browser, WAIT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "input[type=password]")
        )
        password = browser.find_element(By.CSS_SELECTOR, "input[type=password]")
        password.send_keys(api_auth(home), Keys.ENTER)
        WebDriverWait(browser, WAIT).until(lambda d: "/login" not in d.current_url)

        browser.get(f"{base}/runs/flow-run/{run_id}")
        page = _wait_text(browser, "Suspended", "Resume", "Artifacts")
        browser.save_screenshot(str(shots / "1-paused-run.png"))

        run_page = browser.current_url
        _tab(browser, "Artifacts").click()
        artifacts = _wait_text(browser, *(f"{REQUEST_ID}-{kind}" for kind in EVIDENCE))
        browser.save_screenshot(str(shots / "2-evidence-artifacts.png"))
        for kind, content in EVIDENCE.items():  # each opens and shows its evidence
            browser.find_element(By.XPATH, f"//*[normalize-space(.)='{REQUEST_ID}-{kind}']").click()
            artifacts += _wait_text(browser, content)
            browser.save_screenshot(str(shots / f"2-artifact-{kind}.png"))
            browser.get(run_page)
            _wait_text(browser, "Suspended", "Resume", "Artifacts")
            _tab(browser, "Artifacts").click()
            _wait_text(browser, *(f"{REQUEST_ID}-{kind}" for kind in EVIDENCE))

        _button(browser, "Resume").click()
        dialog = WebDriverWait(browser, WAIT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "[role=dialog]")
        )[0]
        form = _wait_text(browser, "awaits DPO sign-off", "release card", within=dialog)
        for row in ("requester", "Lab X", "profile", "dates", "ages", "UIDs", "Decision"):
            assert row in form, row
        assert form.index("Choose decision") < form.index("release card")  # instruction first
        browser.save_screenshot(str(shots / "3-resume-form.png"))

        # a name without a decision: the form refuses, the release still waits
        dialog.find_elements(By.TAG_NAME, "textarea")[0].send_keys(APPROVER)
        _button(dialog, "Submit").click()
        _wait_text(browser, "'decision' is a required property", within=dialog)
        browser.save_screenshot(str(shots / "4-refused-without-decision.png"))
        time.sleep(3)
        assert "PAUSED" in _state(env, run_id)
        assert not (root / "out" / REQUEST_ID).exists()

        Select(dialog.find_elements(By.TAG_NAME, "select")[0]).select_by_value("approve")
        _button(dialog, "Submit").click()
        WebDriverWait(browser, WAIT).until_not(
            lambda d: d.find_elements(By.CSS_SELECTOR, "[role=dialog]")
        )
        state = _wait_for(env, run_id, "COMPLETED", 900)
        browser.get(f"{base}/runs/flow-run/{run_id}")
        _wait_text(browser, "Completed")
        browser.save_screenshot(str(shots / "5-released.png"))

    assert "COMPLETED" in state, state
    destination = root / "out" / REQUEST_ID
    assert (destination / "MANIFEST.sha256").is_file()
    assert any(p.suffix == ".dcm" for p in destination.rglob("*"))
    events = audit.read(root / "ws" / REQUEST_ID / "audit" / "audit.jsonl")
    approvals = [e for e in events if e["event"] == "approved"]
    assert len(approvals) == 1 and events[-1]["event"] == "released"
    shown = (page + artifacts + form).casefold()
    assert [v for v in demo.planted_values() if v.casefold() in shown] == []
