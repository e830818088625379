"""The ops console in headless Chromium (Debian's chromium and chromedriver, which `make test` installs) against the
local cloud's API: sign in with a staff key, work a review item to a decision, open a case, search, and see the
dashboard draw every report's chart. A screenshot of each page is written under out/console/."""

import shutil
from pathlib import Path

import pytest

from localcloud.cloud import DEFAULT_STAFF_KEYS
from tests.e2e.test_return_workflow_e2e import ask, order, parcel_and_inspection

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "console"
PHONE, DESKTOP = (390, 844), (1280, 900)
WAIT = 20  # seconds any page element may take to appear


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.implicitly_wait(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def signed_in(cloud, browser):
    from selenium.webdriver.common.by import By

    expensive = [{"line_id": "L1", "sku": "TV-85", "category": "electronics", "unit_price": "2499.00", "quantity": 1}]
    cloud.deliver(order("TM-B1", lines=expensive), ask("RT-B1", "TM-B1"))
    cloud.wait_for_status("RT-B1", "in_review")
    cloud.deliver(order("TM-B2"), ask("RT-B2", "TM-B2"))
    cloud.wait_for_status("RT-B2", "awaiting_parcel")
    cloud.deliver(*parcel_and_inspection("RT-B2"))
    assert cloud.wait_for_end("RT-B2")["status"] == "SUCCEEDED"
    browser.get(f"{cloud.cloud.api_url}/console")
    secret, _ = DEFAULT_STAFF_KEYS["local-clerk"]
    browser.find_element(By.ID, "key").send_keys(f"local-clerk.{secret}")
    browser.find_element(By.CSS_SELECTOR, "#sign-in-form button").click()
    return browser


def shown(browser, css: str, timeout: float = WAIT):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))


def screenshot(browser, name: str) -> None:
    for label, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
        browser.set_window_size(width, height)
        browser.save_screenshot(str(SCREENSHOTS / f"{name}-{label}.png"))
    browser.set_window_size(*PHONE)


def test_a_wrong_key_is_told_and_nothing_is_shown(cloud, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{cloud.cloud.api_url}/console")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    browser.find_element(By.ID, "key").send_keys("local-clerk.not-the-secret")
    browser.find_element(By.CSS_SELECTOR, "#sign-in-form button").click()

    assert "not accepted" in shown(browser, "#sign-in-error").text
    assert not browser.find_element(By.ID, "view-queues").is_displayed()
    screenshot(browser, "sign-in")


def test_a_reviewer_works_a_review_item_to_a_decision_with_a_note(cloud, signed_in):
    from selenium.webdriver.common.by import By

    item = shown(signed_in, "#queue-items article[data-return='RT-B1']")
    assert "HIGH_VALUE" in item.text and ("left" in item.text or "overdue" in item.text)
    assert len(signed_in.find_elements(By.CSS_SELECTOR, "#queue-items article[data-return='RT-B1']")) == 1
    screenshot(signed_in, "queues")
    item.find_element(By.TAG_NAME, "textarea").send_keys("checked the photos: a genuine defect")
    item.find_element(By.CSS_SELECTOR, "button[data-decision='approve']").click()

    assert "RT-B1: approve sent" in shown(signed_in, "#queue-message.notice").text
    record = cloud.wait_for_status("RT-B1", "awaiting_parcel")
    assert (record["review"]["decision"], record["review"]["by"], record["review"]["note"]) == (
        "approve", "local-clerk", "checked the photos: a genuine defect")


def test_a_case_view_shows_the_order_the_decisions_the_tracking_the_refund_and_the_workflow(cloud, signed_in):
    signed_in.get(f"{cloud.cloud.api_url}/console#case/generic/RT-B2")

    title = shown(signed_in, "#case-title")
    assert "generic / RT-B2" in title.text and "refunded" in title.text
    text = shown(signed_in, "#case").text
    for expected in ("TM-B2", "APPROVED", "delivered", "RF-generic.RT-B2", "confirmed", "DispatchRefund", "Notify"):
        assert expected in text
    screenshot(signed_in, "case")


def test_search_by_order_id_finds_the_return_and_opens_its_case(cloud, signed_in):
    from selenium.webdriver.common.by import By

    signed_in.get(f"{cloud.cloud.api_url}/console#search")
    shown(signed_in, "#q").send_keys("TM-B2")
    signed_in.find_element(By.CSS_SELECTOR, "#search-form button").click()

    found = shown(signed_in, "#search-items article[data-return='RT-B2']")
    assert "matched by order id" in found.text
    screenshot(signed_in, "search")
    found.find_element(By.TAG_NAME, "a").click()
    assert "generic / RT-B2" in shown(signed_in, "#case-title").text


def test_the_dashboard_draws_each_reports_chart(cloud, signed_in):
    from chalicelib.domain.reports import REPORTS

    cloud.cloud.lake.flush()
    signed_in.get(f"{cloud.cloud.api_url}/console#dashboard")

    message = shown(signed_in, "#dashboard-message")
    signed_in.execute_script("window.scrollTo(0, 0)")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(signed_in, 60).until(lambda driver: "reports drawn" in message.text)
    assert message.text == f"{len(REPORTS)} of {len(REPORTS)} reports drawn"
    drawn = signed_in.execute_script(
        "return [...document.querySelectorAll('.chart')].filter(c => c.querySelector('svg.main-svg')).length")
    assert drawn == len(REPORTS)
    screenshot(signed_in, "dashboard")
