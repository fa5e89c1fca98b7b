"""How long a check-in takes to appear in a pro's live queue.

Against a running server with the demo data (``bin/serve``), a pro (smith)
keeps the dashboard open while strangers check in one after the other in
fresh browser contexts. For each one it measures, with the browser's clock:

- ``post``: the click on *Check in* to the waiting page being loaded;
- ``queue``: the click on *Check in* to the new patient showing in the pro's
  queue (the bus notification, then the dashboard's data call).

Then the stranger leaves, so the queue stays as it was. Prints the median and
the 95th percentile of each.

    .data/venv/bin/python bench/check_in_to_queue.py --base-url http://localhost:8069 --runs 30
"""

import argparse
import shutil
import statistics
import time

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://localhost:8069")
    parser.add_argument("--lobby", default="smith-brown-inc")
    parser.add_argument("--pro", default="smith", help="login (= password, as in the demo)")
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()

    posts, queues = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        pro = browser.new_context(base_url=options.base_url).new_page()
        pro.goto("/web/login?redirect=/my/clinic")
        pro.fill("input[name=login]", options.pro)
        pro.fill("input[name=password]", options.pro)
        pro.click("button[type=submit]")
        pro.wait_for_selector(".o_clinic_lobby_queue")
        # Record, in the pro's page, when each meeting first shows in the queue.
        pro.evaluate(
            """() => {
                window.benchSeen = {};
                new MutationObserver(() => {
                    for (const el of document.querySelectorAll('.o_clinic_lobby_queue_item')) {
                        const id = el.dataset.meetingId;
                        window.benchSeen[id] ??= performance.timeOrigin + performance.now();
                    }
                }).observe(document.body, { childList: true, subtree: true });
            }"""
        )
        for run in range(options.runs):
            context = browser.new_context(
                base_url=options.base_url, permissions=["camera", "microphone"]
            )
            stranger = context.new_page()
            stranger.goto(f"/lobby/{options.lobby}")
            stranger.fill("#o_clinic_name", f"Bench Patient {run}")
            stranger.fill("#o_clinic_birthdate", "1980-05-04")
            clicked = stranger.evaluate("performance.timeOrigin + performance.now()")
            stranger.click("form.o_clinic_lobby_check_in_form button[type=submit]")
            stranger.wait_for_url("**/meeting/*")
            loaded = stranger.evaluate("performance.timeOrigin + performance.now()")
            meeting_id = stranger.url.rsplit("/", 1)[1]
            pro.wait_for_function(f"window.benchSeen['{meeting_id}']", timeout=10000)
            seen = pro.evaluate(f"window.benchSeen['{meeting_id}']")
            posts.append((loaded - clicked) / 1000)
            queues.append((seen - clicked) / 1000)
            stranger.click(".o_clinic_meeting_call_leave")
            context.close()
            time.sleep(0.2)
        browser.close()

    print(f"runs: {options.runs}")
    for label, values in (("check-in page loaded", posts), ("shown in the pro's queue", queues)):
        print(
            f"{label:26s} median {statistics.median(values):.3f} s"
            f"   p95 {percentile(values, 0.95):.3f} s   max {max(values):.3f} s"
        )


if __name__ == "__main__":
    main()
