"""How long after a pro clicks Join the two sides see each other.

Against a running server with the demo data (``bin/serve``), a pro (smith)
keeps the dashboard open. For each run, a stranger checks in in a fresh
browser context and waits, camera on, until their page is in the meeting's
call; then the pro clicks *Join* in the queue. Both pages record, with the
browser's clock, when their peer connections decoded the first video frame
of the other side (WebRTC statistics, polled every 10 ms, so the figures are
late by 5 ms on average). Then the pro leaves and the next run begins.

Prints, over the runs, the median and the 95th percentile of the time from
the click on *Join* to the first frame decoded on the patient's side, on the
pro's side, and on both.

    .data/venv/bin/python bench/video_join.py --base-url http://localhost:8069 --runs 20

Chromium gets a fake camera and microphone; on a machine with only loopback
its peer connections need --allow-loopback-in-peer-connection (set here).
"""

import argparse
import shutil
import statistics

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]

# Keep the page's peer connections; once armed, note when video frames were
# first decoded on a connected one.
FIRST_FRAME = """
(() => {
    const Original = window.RTCPeerConnection;
    const connections = [];
    window.RTCPeerConnection = class extends Original {
        constructor(...args) {
            super(...args);
            connections.push(this);
        }
    };
    window.benchFirstFrame = null;
    window.benchArmed = true;
    setInterval(async () => {
        if (!window.benchArmed) {
            return;
        }
        for (const pc of connections) {
            if (pc.connectionState !== "connected") {
                continue;
            }
            const stats = await pc.getStats();
            for (const report of stats.values()) {
                const video = report.type === "inbound-rtp" && report.kind === "video";
                if (video && report.framesDecoded > 0) {
                    window.benchFirstFrame ??= performance.timeOrigin + performance.now();
                    window.benchArmed = false;
                }
            }
        }
    }, 10);
})();
"""
CLICK_JOIN = """(meetingId) => {
    const item = `.o_clinic_lobby_queue_item[data-meeting-id='${meetingId}']`;
    window.benchFirstFrame = null;
    window.benchArmed = true;
    const clicked = performance.timeOrigin + performance.now();
    document.querySelector(`${item} .o_clinic_lobby_join`).click();
    return clicked;
}"""


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_once(browser, pro, options, run):
    context = browser.new_context(base_url=options.base_url, permissions=["camera", "microphone"])
    context.add_init_script(FIRST_FRAME)
    stranger = context.new_page()
    stranger.goto(f"/lobby/{options.lobby}")
    stranger.fill("#o_clinic_name", f"Bench Video {run}")
    stranger.fill("#o_clinic_birthdate", "1980-05-04")
    stranger.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    stranger.wait_for_url("**/meeting/*")
    meeting_id = stranger.url.rsplit("/", 1)[1]
    # Waiting, as a patient does: camera on, in the meeting's call.
    stranger.wait_for_selector(
        ".o_clinic_meeting_call[data-phase='joined'] .o_clinic_meeting_self_video"
    )
    pro.wait_for_selector(f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}']")
    stranger.wait_for_timeout(300)  # let both pages settle

    clicked = pro.evaluate(CLICK_JOIN, meeting_id)
    stranger.wait_for_function("window.benchFirstFrame", timeout=20000)
    pro.wait_for_function("window.benchFirstFrame", timeout=20000)
    patient_side = (stranger.evaluate("window.benchFirstFrame") - clicked) / 1000
    pro_side = (pro.evaluate("window.benchFirstFrame") - clicked) / 1000

    pro.click(".o_clinic_lobby_leave")
    pro.wait_for_selector(".o_clinic_lobby_no_current")
    context.close()
    return patient_side, pro_side


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://localhost:8069")
    parser.add_argument("--lobby", default="smith-brown-inc")
    parser.add_argument("--pro", default="smith", help="login (= password, as in the demo)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="runs not counted")
    options = parser.parse_args()

    patients, pros = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        pro_context = browser.new_context(
            base_url=options.base_url, permissions=["camera", "microphone"]
        )
        pro_context.add_init_script(FIRST_FRAME)
        pro = pro_context.new_page()
        pro.goto("/web/login?redirect=/my/clinic")
        pro.fill("input[name=login]", options.pro)
        pro.fill("input[name=password]", options.pro)
        pro.click("button[type=submit]")
        pro.wait_for_selector(".o_clinic_lobby_queue")
        if pro.locator(".o_clinic_lobby_leave").count():
            pro.click(".o_clinic_lobby_leave")  # left in a meeting by an earlier run
            pro.wait_for_selector(".o_clinic_lobby_no_current")
        for run in range(options.warmup + options.runs):
            patient_side, pro_side = run_once(browser, pro, options, run)
            if run >= options.warmup:
                patients.append(patient_side)
                pros.append(pro_side)
                number = run - options.warmup + 1
                print(f"run {number:3d}: patient {patient_side:.3f} s, pro {pro_side:.3f} s")
        browser.close()

    both = [max(pair) for pair in zip(patients, pros, strict=True)]
    print(f"runs: {options.runs}; from the pro's click on Join to the first decoded frame")
    for label, values in (
        ("on the patient's side", patients),
        ("on the pro's side", pros),
        ("on both sides", both),
    ):
        print(
            f"{label:22s} median {statistics.median(values):.3f} s"
            f"   p95 {percentile(values, 0.95):.3f} s   max {max(values):.3f} s"
        )


if __name__ == "__main__":
    main()
