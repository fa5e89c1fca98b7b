"""Video in every meeting: a stranger and a pro in a real WebRTC call.

Each browser is a fake camera and microphone (see conftest.CHROMIUM_ARGS).
That media really flows is proven from WebRTC's own statistics, not from the
widget's markup: an init script keeps every RTCPeerConnection a page makes,
and the test sums the video frames they decoded, twice, seconds apart.
Each test checks in its own stranger, so each call has a fresh channel.
"""

import json
import time

import psycopg2.errors
from playwright.sync_api import expect

LOBBY = "/lobby/smith-brown-inc"

KEEP_PEER_CONNECTIONS = """
(() => {
    const Original = window.RTCPeerConnection;
    if (!Original) {
        return;
    }
    window.__testPeerConnections = [];
    window.RTCPeerConnection = class extends Original {
        constructor(...args) {
            super(...args);
            window.__testPeerConnections.push(this);
        }
    };
})();
"""

INBOUND = """async (kind) => {
    let frames = 0, packets = 0;
    for (const pc of window.__testPeerConnections || []) {
        if (pc.connectionState !== "connected") {
            continue;
        }
        (await pc.getStats()).forEach((report) => {
            if (report.type === "inbound-rtp" && report.kind === kind) {
                frames += report.framesDecoded || 0;
                packets += report.packetsReceived || 0;
            }
        });
    }
    return { frames, packets };
}"""

REMOTE_VIDEOS = """() => {
    const received = new Set(
        (window.__testPeerConnections || []).flatMap((pc) =>
            pc.getReceivers().map((receiver) => receiver.track)
        )
    );
    return [...document.querySelectorAll("video")]
        .filter((video) => video.srcObject?.getTracks().some((track) => received.has(track)))
        .map((video) => ({ width: video.videoWidth, time: video.currentTime }));
}"""


def keep_peer_connections(page):
    """From the next page load on, keep the page's peer connections."""
    page.context.add_init_script(KEEP_PEER_CONNECTIONS)


def check_in(page, name):
    page.fill("#o_clinic_name", name)
    page.fill("#o_clinic_birthdate", "1980-05-04")
    page.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    page.wait_for_url("**/meeting/*")
    return int(page.url.rsplit("/", 1)[1])


def stranger_in_call(new_page, name, init_script=None, **kwargs):
    """A stranger who checked in and whose page is in the meeting's call."""
    page = new_page(LOBBY, **kwargs)
    keep_peer_connections(page)
    if init_script:
        page.context.add_init_script(init_script)
    meeting_id = check_in(page, name)
    expect(page.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    return page, meeting_id


def leave_meetings(commit_env, login):
    """Take the pro ``login`` out of any meeting an earlier test left them in.

    The server may be hanging up that meeting's call sessions at the same
    instant (pages that went away): the loser of that race retries, as Odoo
    retries a request.
    """
    for attempt in range(5):
        try:
            with commit_env() as env:
                pro = env["clinic.pro"].search([("user_id.login", "=", login)])
                if participation := pro._get_current_participation():
                    participation.meeting_id._leave_pro(pro)
            return
        except psycopg2.errors.SerializationFailure:
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError(f"could not take {login} out of their meeting")


def pro_dashboard(login, commit_env, pro):
    """The pro's dashboard, the pro out of any meeting a failed test left."""
    leave_meetings(commit_env, pro)
    page = login(pro, "/my/clinic")
    keep_peer_connections(page)
    page.reload()
    return page


def join(pro_page, meeting_id):
    pro_page.locator(
        f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}'] .o_clinic_lobby_join"
    ).click()
    expect(pro_page.locator(".o_clinic_lobby_current_meeting")).to_have_attribute(
        "data-meeting-id", str(meeting_id)
    )


def inbound(page, kind="video"):
    return page.evaluate(INBOUND, kind)


def wait_for(predicate, timeout=20, message="condition"):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {message}"
        time.sleep(0.2)
    return value


def assert_media_flows(page, who):
    """Video frames are decoded and keep coming; sound packets too; the
    remote <video> plays."""
    first = wait_for(lambda: inbound(page)["frames"], message=f"frames on {who}'s side")
    sound = inbound(page, "audio")["packets"]
    videos = page.evaluate(REMOTE_VIDEOS)
    time.sleep(2)
    assert inbound(page)["frames"] > first, f"video frames stopped on {who}'s side"
    assert inbound(page, "audio")["packets"] > sound, f"no sound reaches {who}"
    later = page.evaluate(REMOTE_VIDEOS)
    assert videos, f"no remote video element on {who}'s side"
    assert all(video["width"] > 0 for video in later), f"{who}'s remote video has no picture"
    assert later[0]["time"] > videos[0]["time"], f"{who}'s remote video does not play"


def remote(page, role):
    return page.locator(f".o_clinic_meeting_remote[data-role='{role}']")


def test_stranger_and_pro_see_and_hear_each_other(new_page, login, commit_env, screenshot):
    name = "Vera Lopez"  # shown in the README's screenshots
    stranger, meeting_id = stranger_in_call(new_page, name)
    # While waiting: one's own camera and microphone level, no one else.
    expect(stranger.locator(".o_clinic_meeting_device_ok")).to_be_visible()
    expect(stranger.locator(".o_clinic_meeting_call_alone_message")).to_be_visible()

    smith = pro_dashboard(login, commit_env, "smith")
    join(smith, meeting_id)

    expect(remote(stranger, "pro")).to_have_attribute("data-connection", "connected")
    expect(remote(smith, "patient")).to_have_attribute("data-connection", "connected")
    expect(remote(stranger, "pro")).to_contain_text("Dr. Smith")
    expect(remote(smith, "patient")).to_contain_text(name)
    assert_media_flows(stranger, "the patient")
    assert_media_flows(smith, "the pro")
    screenshot(stranger, "video-call-patient")
    screenshot(smith, "video-call-pro")

    # The pro turns the camera off, then mutes: the patient sees both.
    smith.locator(".o_clinic_meeting_call_camera").click()
    expect(remote(stranger, "pro")).to_have_attribute("data-camera", "off")
    expect(remote(stranger, "pro")).to_contain_text("Dr. Smith's camera is off.")
    screenshot(stranger, "video-call-camera-off")
    smith.locator(".o_clinic_meeting_call_mic").click()
    expect(remote(stranger, "pro").locator(".o_clinic_meeting_remote_muted")).to_be_visible()
    smith.locator(".o_clinic_meeting_call_camera").click()
    smith.locator(".o_clinic_meeting_call_mic").click()
    expect(remote(stranger, "pro")).to_have_attribute("data-camera", "on")
    expect(remote(stranger, "pro").locator(".o_clinic_meeting_remote_muted")).to_have_count(0)

    # The patient reloads: the call comes back, same meeting, the pro did nothing.
    stranger.reload()
    expect(remote(stranger, "pro")).to_have_attribute("data-connection", "connected")
    expect(remote(smith, "patient")).to_have_attribute("data-connection", "connected")
    assert_media_flows(stranger, "the patient, after reloading")
    assert_media_flows(smith, "the pro, after the patient reloaded")
    expect(smith.locator(".o_clinic_lobby_current_meeting")).to_have_attribute(
        "data-meeting-id", str(meeting_id)
    )
    expect(
        smith.locator(".o_clinic_lobby_current_meeting .o_clinic_lobby_participants")
    ).to_have_text("2 participants, 1 pro")

    # The pro leaves: back to the dashboard; the patient's call ends, camera off.
    smith.locator(".o_clinic_lobby_leave").click()
    expect(smith.locator(".o_clinic_lobby_no_current")).to_be_visible()
    expect(stranger.locator(".o_clinic_meeting_call_ended")).to_have_text("This visit has ended.")
    expect(stranger.locator(".o_clinic_meeting_self_video")).to_have_count(0)


def test_a_lost_patient_comes_back_into_the_same_call(new_page, login, commit_env, unique):
    stranger, meeting_id = stranger_in_call(new_page, f"Lena {unique}")
    smith = pro_dashboard(login, commit_env, "smith")
    join(smith, meeting_id)
    expect(remote(smith, "patient")).to_have_attribute("data-connection", "connected")

    # The patient's browser vanishes without a word (crash, dead battery,
    # lost network): its page cannot say it leaves.
    context = stranger.context
    stranger.evaluate("navigator.sendBeacon = () => true")
    stranger.close()
    # WebRTC notices after some seconds without an answer to its checks.
    expect(remote(smith, "patient").locator(".o_clinic_meeting_remote_status")).to_contain_text(
        "was lost. Reconnecting…", timeout=30000
    )

    # They come back: same meeting, same call; the pro did nothing.
    back = context.new_page()
    back.goto(f"{LOBBY}/meeting/{meeting_id}")
    expect(remote(back, "pro")).to_have_attribute("data-connection", "connected")
    assert_media_flows(back, "the patient, back")
    assert_media_flows(smith, "the pro, once the patient is back")
    expect(smith.locator(".o_clinic_meeting_remote")).to_have_count(1)
    smith.locator(".o_clinic_lobby_leave").click()


def jsonrpc(page, url, **params):
    """Call a JSON route with the page's cookies (outside the page, so that a
    refusal is not a console error)."""
    response = page.request.post(
        url,
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
        headers={"Content-Type": "application/json"},
    )
    return response.json()


def test_outsiders_cannot_join_the_call_or_read_it(new_page, login, commit_env, unique):
    stranger, meeting_id = stranger_in_call(new_page, f"Olga {unique}")
    smith = pro_dashboard(login, commit_env, "smith")
    join(smith, meeting_id)
    expect(remote(stranger, "pro")).to_have_attribute("data-connection", "connected")
    with commit_env() as env:
        channel = env["discuss.channel"].search([("clinic_meeting_id", "=", meeting_id)])
        channel.message_post(body=f"secret {unique}", message_type="comment")
        channel_id = channel.id
        members = channel.channel_member_ids
        expected_members = {(m.partner_id.name or m.guest_id.name) for m in members}
    assert expected_members == {f"Olga {unique}", "Dr. Smith"}

    # Another stranger with the meeting's URL and the channel's id, and Dr.
    # Brown, a pro of the same lobby who is not in this meeting.
    other = new_page(LOBBY)
    check_in(other, f"Otto {unique}")
    brown = login("brown", "/my/clinic")
    for outsider in (other, brown):
        assert outsider.request.get(f"{LOBBY}/meeting/{meeting_id}").status == 404
        assert outsider.request.get(f"/discuss/channel/{channel_id}").status == 404
        for url, params in [
            (f"/clinic/meeting/{meeting_id}/call/join", {}),
            (f"/clinic/meeting/{meeting_id}/call/ping", {"session_id": 1}),
            ("/mail/rtc/channel/join_call", {"channel_id": channel_id}),
            ("/discuss/channel/messages", {"channel_id": channel_id}),
            ("/discuss/channel/members", {"channel_id": channel_id, "known_member_ids": []}),
            ("/discuss/channel/join", {"channel_id": channel_id}),
        ]:
            answer = jsonrpc(outsider, url, **params)
            assert "error" in answer, f"{url} answered an outsider: {answer}"
            assert f"secret {unique}" not in json.dumps(answer)

    with commit_env() as env:
        channel = env["discuss.channel"].browse(channel_id)
        assert {(m.partner_id.name or m.guest_id.name) for m in channel.channel_member_ids} == (
            expected_members
        )
        assert len(channel.rtc_session_ids) == 2
    expect(stranger.locator(".o_clinic_meeting_remote")).to_have_count(1)
    smith.locator(".o_clinic_lobby_leave").click()


# With --use-fake-ui-for-media-stream, Chromium grants the camera even to a
# context without the permission: refusals and missing devices are played by
# getUserMedia itself.
REFUSE_MEDIA = """
navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
"""
NO_DEVICES = """
navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException("Requested device not found", "NotFoundError"));
navigator.mediaDevices.enumerateDevices = () => Promise.resolve([]);
"""


def test_clear_messages_without_camera_or_webrtc(new_page, login, commit_env, unique):
    # Camera and microphone refused: say so, and still see and hear the pro.
    refused, meeting_id = stranger_in_call(
        new_page, f"Rita {unique}", init_script=REFUSE_MEDIA, camera=False
    )
    expect(refused.locator(".o_clinic_meeting_device_error")).to_contain_text(
        "Access to your camera and microphone was refused."
    )
    expect(refused.locator(".o_clinic_meeting_self_off")).to_contain_text("Your camera is off.")
    smith = pro_dashboard(login, commit_env, "smith")
    join(smith, meeting_id)
    expect(remote(smith, "patient")).to_contain_text(f"Rita {unique}'s camera is off.")
    wait_for(lambda: inbound(refused)["frames"], message="the pro's video on a camera-less page")
    expect(refused.locator(".o_clinic_meeting_device_error")).to_contain_text(
        "You can still see and hear the other side of the call."
    )
    smith.locator(".o_clinic_lobby_leave").click()

    # No camera or microphone at all.
    missing, _meeting_id = stranger_in_call(new_page, f"Max {unique}", init_script=NO_DEVICES)
    expect(missing.locator(".o_clinic_meeting_device_error")).to_contain_text(
        "No camera or microphone was found."
    )

    # A browser without WebRTC.
    old = new_page(LOBBY)
    old.context.add_init_script("delete window.RTCPeerConnection;")
    check_in(old, f"Ida {unique}")
    expect(old.locator(".o_clinic_meeting_call_error")).to_contain_text(
        "This browser cannot make video calls."
    )


def test_a_browser_without_camera_says_so(new_page, login, commit_env, browser_without_devices):
    # A real Chromium with no fake devices, on a machine that has none.
    patient = new_page(LOBBY, chromium=browser_without_devices)
    meeting_id = check_in(patient, "Nora Quinn")
    expect(patient.locator(".o_clinic_meeting_device_error")).to_contain_text(
        "No camera or microphone was found."
    )
    # Nothing crashed: the pro still takes the visit and sees the patient's camera off.
    smith = pro_dashboard(login, commit_env, "smith")
    join(smith, meeting_id)
    expect(remote(smith, "patient")).to_contain_text("Nora Quinn's camera is off.")
    smith.locator(".o_clinic_lobby_leave").click()


def test_video_call_fits_a_phone(new_page, login, commit_env, screenshot):
    phone = {"width": 390, "height": 844}
    stranger = new_page(LOBBY, viewport=phone)
    keep_peer_connections(stranger)
    stranger.context.add_init_script(
        """
        const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        window.__testConstraints = [];
        navigator.mediaDevices.getUserMedia = (constraints) => {
            window.__testConstraints.push(constraints);
            return getUserMedia(constraints);
        };
        """
    )
    meeting_id = check_in(stranger, "Pia Novak")
    smith = pro_dashboard(login, commit_env, "smith")
    join(smith, meeting_id)
    expect(remote(stranger, "pro")).to_have_attribute("data-connection", "connected")
    wait_for(lambda: inbound(stranger)["frames"], message="frames on the phone")
    assert stranger.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The front camera, and buttons big enough for a thumb.
    assert stranger.evaluate("window.__testConstraints[0].video.facingMode") == "user"
    for button in stranger.locator(".o_clinic_meeting_call_controls button").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    screenshot(stranger, "video-call-phone")
    smith.locator(".o_clinic_lobby_leave").click()
