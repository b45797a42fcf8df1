"""The dashboard in real headless Chromium (Debian's package, driven by Playwright) against a
running `gst demo` whose gold lives in the machine's PostgreSQL, so a second `gst api` process can
serve the same data and be restarted. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from gamestream.embedded.ports import free_port
from realtime_api.app import DASHBOARD
from tests.support.postgres import fresh_database

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def wait_for_demo(check, timeout: float, what: str, data: Path):
    """wait_for, and on a timeout the demo's last log events (what it was doing) in the message."""
    try:
        return wait_for(check, timeout, what)
    except AssertionError as exc:
        log = data / "logs" / "demo.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        events = [line[:400] for line in lines if '"demo_health"' not in line][-25:]
        raise AssertionError(f"{exc}; the demo's last events:\n" + "\n".join(events)) from None


def start_api(env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gamestream", "api"],
        env={**env, "GST_API_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200, 60, "the API")
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory, postgres_url):
    if not (DASHBOARD / "index.html").is_file():
        pytest.fail(f"{DASHBOARD} is not built: `make test` builds it (cd frontend && npm ci && npm run build)")
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium package (scripts/system-packages.sh)"
        )
    warehouse = fresh_database(postgres_url, "gst_dashboard")
    data = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")}
    env.update(
        GST_API_PORT=str(port),
        # a load 30 s after the last ends: the pages read gold while one runs (on PostgreSQL the
        # first, with the history, takes about 40 s here) without loads back to back all along
        GST_GOLD_LOAD_SECONDS="30",
        # the demo's pace before it was sized for a light machine: the live pages fill sooner
        GST_SYNTHETIC_POLL_SECONDS="5",
        GST_STREAM_TRIGGER_SECONDS="30",
        GST_POLL_GRACE_SECONDS="10",
        GST_DEMO_HISTORY_DAYS="0.5",
        GST_WAREHOUSE_URL=warehouse,
        PYSPARK_PYTHON=sys.executable,
    )
    console = data.parent / "console.txt"  # what a person at the terminal would see
    sink = console.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gamestream", "demo", "--data-dir", str(data)],
        env=env,
        cwd=data,
        stdout=sink,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_demo(
            lambda: httpx.get(f"{base_url}/api/live/twitch", timeout=2).json()["games"], 180, "live Twitch data", data
        )
        wait_for_demo(
            lambda: httpx.get(f"{base_url}/api/games/top", params={"window": "now"}, timeout=5).json()["items"],
            180,
            "gold loaded",
            data,
        )
        # the demo's history brings the games' identities with it: Just Chatting is known not to be a game
        assert httpx.get(f"{base_url}/api/games/just%20chatting", timeout=5).json()["is_game"] is False
        stack_env = dict(line.split("=", 1) for line in (data / "stack.env").read_text().splitlines())
        yield base_url, {**env, **stack_env}
    finally:
        # Ctrl-C, while the queries write their batches (polls every 5 s): the demo stops them between
        # batches and says so, with no ERROR line or trace on the console
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        sink.close()
        said = console.read_text(errors="replace")
        assert "Stopped cleanly." in said, said[-3000:]
        assert "ERROR" not in said and "Traceback" not in said, said[-6000:]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    # with the stack: an error thrown in the page is found in the bundle by where it was thrown
    opened.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack}"))
    opened.console_errors = errors
    yield opened
    context.close()


def app_errors(page) -> list[str]:
    """The page's console errors, but for Chromium's line about a 503: the API answers 503 with
    Retry-After while a gold load holds the tables a read needs (the demo loads every 30 s here), and
    the page retries; the test checks what it then shows."""
    return [e for e in page.console_errors if "status of 503" not in e]


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def number(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)([kMB]?)", text.strip())
    assert match, f"not a number on screen: {text!r}"
    return float(match.group(1)) * {"": 1, "k": 1e3, "M": 1e6, "B": 1e9}[match.group(2)]


def test_home_shows_every_platform_live_and_a_change_reaches_the_screen(demo, page):
    base_url, _ = demo
    page.goto(f"{base_url}/#/")
    page.wait_for_selector("[data-testid=live-status]:has-text('live')", timeout=30_000)
    for platform in ("steam", "twitch", "youtube"):
        card = page.locator(f"[data-testid=card-{platform}]")
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=total-{platform}]').textContent !== '–'", timeout=60_000
        )
        assert number(card.locator(f"[data-testid=total-{platform}]").inner_text()) > 0
        assert card.locator("tbody tr").count() >= 5
        assert "data age" in card.locator(f"[data-testid=age-{platform}]").inner_text()
    page.wait_for_function(  # Just Chatting has the most viewers, and is not a game: left out
        "() => { const t = document.querySelector('[data-testid=card-twitch] tbody').innerText;"
        " return t.length > 0 && !t.includes('Just Chatting'); }",
        timeout=10_000,
    )
    # growth over the latest complete hour: the history holds whole hours, so the top games have one
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=card-twitch] [data-testid=growth]')]"
        ".some((cell) => cell.textContent.includes('%'))",
        timeout=30_000,
    )
    for platform in ("steam", "twitch", "youtube"):  # the last hour: the history's 5-minute totals, then live ones
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=recent-{platform}]')?.dataset.points >= 6", timeout=30_000
        )
        assert page.locator(f"[data-testid=recent-{platform}] canvas").count() == 1
    before = page.locator("[data-testid=card-twitch] tbody").inner_text()
    page.wait_for_function(
        "(before) => document.querySelector('[data-testid=card-twitch] tbody').innerText !== before",
        arg=before,
        timeout=120_000,
    )  # the synthetic producer polls every 5 s; a loaded machine's poll batches take up to a minute
    screenshot(page, "home")
    assert app_errors(page) == []


def test_platform_page_ranks_sorts_searches_and_hides_non_games(demo, page):
    base_url, _ = demo
    page.goto(f"{base_url}/#/platform/twitch")
    rows = page.locator("[data-testid=rankings] tbody tr")
    rows.first.wait_for(timeout=30_000)
    names = rows.locator("td:nth-child(2)").all_inner_texts()
    assert len(names) >= 10 and "Just Chatting" not in names
    page.locator("[data-testid=non-games]").check()
    page.wait_for_function("() => document.querySelector('[data-testid=rankings]').innerText.includes('Just Chatting')")
    page.locator("[data-testid=search]").fill(names[1][:5])
    page.wait_for_function(
        "(n) => [...document.querySelectorAll('[data-testid=rankings] tbody tr')].length < n", arg=len(names)
    )
    assert all(names[1][:5].lower() in t.lower() for t in rows.locator("td:nth-child(2)").all_inner_texts())
    page.locator("[data-testid=search]").fill("")
    page.locator("th", has_text="peak viewers").click()
    peaks = [number(t) for t in rows.locator("td:nth-child(4)").all_inner_texts()]
    assert peaks == sorted(peaks, reverse=True)
    page.locator("[data-testid=window-now]").click()
    rows.first.wait_for()
    screenshot(page, "platform-twitch")
    # any from/to as whole UTC days: the day of an hour ago, which the demo's 12 hours of history and
    # its live polls cover for an hour at least (yesterday held no data at all after noon UTC, and a
    # run minutes after midnight did not show today's span within 15 s)
    day = (datetime.now(UTC) - timedelta(hours=1)).date().isoformat()
    page.locator("[data-testid=range-from]").fill(day)
    page.locator("[data-testid=range-to]").fill(day)
    page.locator("[data-testid=range-apply]").click()
    page.wait_for_selector(f"[data-testid=window-span]:has-text('{day}T00:00:00')", timeout=15_000)
    rows.first.wait_for()
    assert rows.count() >= 10
    screenshot(page, "platform-twitch-range")
    assert app_errors(page) == []


def test_months_page_ranks_the_months_games_like_the_statistics_sites(demo, page):
    base_url, _ = demo
    month = datetime.now(UTC).strftime("%Y-%m")
    expected = httpx.get(f"{base_url}/api/platforms/twitch/months/{month}").json()["items"]
    page.goto(f"{base_url}/#/platform/twitch")
    page.locator("[data-testid=months-link]").click()
    rows = page.locator("[data-testid=month-table] tbody tr")
    rows.first.wait_for(timeout=30_000)
    assert page.locator("[data-testid=month-title]").inner_text() == datetime.now(UTC).strftime("%B %Y")
    names = rows.locator("td:nth-child(2)").all_inner_texts()
    assert names[:5] == [item["name"] for item in expected[:5]] and "Just Chatting" not in names
    headers = page.locator("[data-testid=month-table] th").all_inner_texts()
    assert headers[:6] == ["#", "game", "avg viewers", "gain", "% gain", "peak viewers"]
    assert number(rows.first.locator("td:nth-child(3)").inner_text()) > 0
    every_month = httpx.get(f"{base_url}/api/platforms/twitch/months").json()["months"]
    month_rows = page.locator("[data-testid=platform-months] tbody tr")
    assert month_rows.count() == len(every_month) >= 1
    for index, row in enumerate(every_month):  # a finished month covered below 95% is marked (the history's first)
        marked = month_rows.nth(index).locator("[data-testid=low-coverage]").count() == 1
        assert marked == (not row["is_partial"] and row["coverage"] < 0.95), row
    screenshot(page, "months-twitch")
    rows.first.locator("a").click()  # a game's page, at its slug, with its own months
    page.wait_for_url(re.compile(r".*#/game/[a-z0-9-]+$"), timeout=15_000)
    page.wait_for_selector("[data-testid=game-months-twitch] tbody tr", timeout=30_000)
    newest = page.locator("[data-testid=game-months-twitch] tbody tr").first.locator("td").first.inner_text()
    assert newest.startswith(datetime.now(UTC).strftime("%B %Y"))
    assert app_errors(page) == []


def test_game_page_charts_players_and_viewers_with_stats(demo, page):
    base_url, _ = demo
    top = httpx.get(f"{base_url}/api/games/top", params={"platform": "steam", "window": "now"}).json()["items"][0]
    slug = httpx.get(f"{base_url}/api/games/{top['game_key']}").json()["slug"]
    page.goto(f"{base_url}/#/game/{top['name'].upper()}")  # as someone might type it: the page moves to the slug
    page.wait_for_url(f"**/#/game/{slug}", timeout=15_000)
    page.wait_for_selector("[data-testid=game-chart] canvas", timeout=30_000)
    page.wait_for_function(
        "(name) => document.querySelector('[data-testid=game-name]').textContent === name",
        arg=top["name"],
        timeout=15_000,
    )
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stats-steam] dd').textContent !== '–'", timeout=30_000
    )
    assert number(page.locator("[data-testid=stats-steam] dd").first.inner_text()) > 0
    gaps = re.fullmatch(r"(\d+) of (\d+) buckets", page.locator("[data-testid=stats-steam] dd").nth(2).inner_text())
    # the demo's 12 hours of history (5-minute polls) fill the day's chart from its middle on
    assert gaps and int(gaps[2]) >= 280 and int(gaps[1]) <= int(gaps[2]) // 2 + 3
    page.get_by_role("button", name="1h").click()
    page.wait_for_selector("text=buckets: 1h")
    screenshot(page, "game")
    assert app_errors(page) == []


def test_channels_are_ranked_per_month_and_each_has_a_page_linked_to_its_games_and_back(demo, page):
    base_url, _ = demo
    month = datetime.now(UTC).strftime("%Y-%m")
    expected = wait_for(
        lambda: httpx.get(f"{base_url}/api/platforms/twitch/channels/{month}", timeout=5).json()["items"],
        120,
        "channels in gold",
    )
    page.goto(f"{base_url}/#/platform/twitch")
    page.locator("[data-testid=channels-link]").click()
    rows = page.locator("[data-testid=channels-table] tbody tr")
    rows.first.wait_for(timeout=30_000)
    assert page.locator("[data-testid=channels-title]").inner_text().startswith(datetime.now(UTC).strftime("%B %Y"))
    names = rows.locator("td:nth-child(2)").all_inner_texts()
    assert names[:3] == [item["channel_name"] for item in expected[:3]]
    assert number(rows.first.locator("td:nth-child(3)").inner_text()) > 0  # hours watched
    page.locator("[data-testid=channel-metric]").select_option("peak_viewers")
    by_peak = httpx.get(f"{base_url}/api/platforms/twitch/channels/{month}", params={"metric": "peak_viewers"}).json()
    page.wait_for_function(
        "(name) => document.querySelector('[data-testid=channels-table] tbody tr td:nth-child(2)').textContent === name",
        arg=by_peak["items"][0]["channel_name"],
        timeout=15_000,
    )
    screenshot(page, "channels-twitch")

    rows.first.locator("a").click()  # the channel's page, at its login
    page.wait_for_url(re.compile(r".*#/channel/twitch/[a-z0-9_]+$"), timeout=15_000)
    page.wait_for_selector("[data-testid=channel-months] tbody tr", timeout=30_000)
    assert page.locator("[data-testid=channel-name]").inner_text() == by_peak["items"][0]["channel_name"]
    assert (
        page.locator("[data-testid=channel-months] tbody tr")
        .first.inner_text()
        .startswith(datetime.now(UTC).strftime("%B %Y"))
    )
    page.wait_for_selector("[data-testid=channel-chart] canvas", timeout=30_000)
    page.get_by_role("button", name="24h").click()
    page.get_by_role("button", name="5m").click()
    page.wait_for_selector("text=buckets: 5m")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=channel-chart]').dataset.points) > 0", timeout=30_000
    )
    game_link = page.locator("[data-testid=channel-games] tbody tr a").first
    game_link.wait_for(timeout=30_000)
    screenshot(page, "channel")

    game_link.click()  # the game's page: its top channels and its languages
    page.wait_for_url(re.compile(r".*#/game/[a-z0-9-]+$"), timeout=15_000)
    page.wait_for_selector("[data-testid=game-channels] tbody tr", timeout=30_000)
    channels = page.locator("[data-testid=game-channels] tbody tr td:nth-child(2)").all_inner_texts()
    assert 1 <= len(channels) <= 10
    # the channel is among the game's channels, though not always in its top 10 by hours watched (it
    # was picked by its month's peak viewers): page through them all
    slug, game_channels = page.url.rsplit("/", 1)[-1], []
    for offset in range(0, 10_000, 100):
        page_of = httpx.get(
            f"{base_url}/api/games/{slug}/channels", params={"platform": "twitch", "limit": 100, "offset": offset}
        ).json()["items"]
        game_channels += [item["channel_name"] for item in page_of]
        if len(page_of) < 100:
            break
    assert by_peak["items"][0]["channel_name"] in game_channels
    page.wait_for_selector("[data-testid=game-languages] .bar-row", timeout=30_000)
    shares = page.locator("[data-testid=game-languages] .bar-value").all_inner_texts()
    assert sum(float(share.rstrip("%")) for share in shares) == pytest.approx(100, abs=0.5)
    screenshot(page, "game-audience")
    page.locator("[data-testid=game-channels] tbody tr a").first.click()  # and back to a channel
    page.wait_for_url(re.compile(r".*#/channel/twitch/.+$"), timeout=15_000)
    assert app_errors(page) == []


def test_the_page_reconnects_after_the_api_restarts(demo, page):
    _, env = demo
    port = free_port()
    api = start_api(env, port)
    try:
        page.goto(f"http://127.0.0.1:{port}/#/")
        page.wait_for_selector("[data-testid=live-status]:has-text('live')", timeout=30_000)
        api.kill()
        api.wait()
        page.wait_for_selector("[data-testid=live-status]:has-text('reconnecting')", timeout=15_000)
        api = start_api(env, port)
        page.wait_for_selector("[data-testid=live-status]:has-text('live')", timeout=30_000)
        screenshot(page, "reconnected")
    finally:
        api.kill()
        api.wait()
    # while the API was down the browser logged refused, reset or cut connections (a request in flight
    # when the API was killed gets an empty or a truncated response), and nothing else
    dropped = ("ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE", "ERR_CONTENT_LENGTH_MISMATCH")
    assert all(any(code in e for code in dropped) for e in page.console_errors), page.console_errors
