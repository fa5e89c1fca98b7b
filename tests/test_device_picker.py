"""The device picker of the video call: another camera or microphone, such
as a USB otoscope or a digital stethoscope, during the call.

Chromium's fake capture shows several cameras with
``--use-fake-device-for-media-stream=device-count=N``: ``fake_device_0`` (the
default), ``fake_device_1`` (a depth camera, whose frames WebRTC does not
send: not used here) and ``fake_device_2``; and, with or without it, three
microphones (``Fake Default Audio Input``, ``Fake Audio Input 1`` and
``2``). A switch must not reconnect: the test keeps every RTCPeerConnection
of the pages (as test_video_call does) and checks that the same connection
stays connected and sends the new track.
"""

import html
import json
import re
import shutil

import pytest
from conftest import CHROMIUM_ARGS
from playwright.sync_api import expect
from test_video_call import (
    LOBBY,
    assert_media_flows,
    check_in,
    join,
    keep_peer_connections,
    leave_meetings,
    remote,
    stranger_in_call,
    wait_for,
)

FAKE_DEVICES = "--use-fake-device-for-media-stream"

# The connection of the call (there is one other person), and what it sends.
KEEP_CALL_CONNECTION = """() => {
    window.__testCallConnection = window.__testPeerConnections.find(
        (pc) => pc.connectionState === "connected"
    );
    return window.__testPeerConnections.length;
}"""
SENT_TRACKS = """() => {
    const pc = window.__testCallConnection;
    const sent = {};
    for (const sender of pc.getSenders()) {
        if (sender.track) {
            sent[sender.track.kind] = {
                label: sender.track.label,
                deviceId: sender.track.getSettings().deviceId,
                enabled: sender.track.enabled,
                live: sender.track.readyState === "live",
            };
        }
    }
    return {
        sent,
        connection: pc.connectionState,
        connections: window.__testPeerConnections.length,
    };
}"""
# Keep the tracks sent now, to check that a switch stops the old one.
KEEP_SENT_TRACKS = """() => {
    window.__testOldTracks = window.__testCallConnection
        .getSenders()
        .map((sender) => sender.track)
        .filter(Boolean);
}"""
OLD_TRACK_STOPPED = """(kind) =>
    window.__testOldTracks.find((track) => track.kind === kind).readyState === "ended"
"""
OWN_CAMERA = """() => {
    const video = document.querySelector(".o_clinic_meeting_self_video");
    const track = video?.srcObject?.getVideoTracks()[0];
    return track && track.readyState === "live" ? track.label : null;
}"""

KNOWN_DEVICES = [
    {
        "name": "Otoscope",
        "kind": "camera",
        "label": "FAKE_DEVICE_2",  # matched case-insensitively
        "instructions": "Put the speculum on before use.",
    },
    {
        "name": "Stethoscope",
        "kind": "microphone",
        "label": "audio input 2",
        "instructions": "Hold the chest piece still.",
    },
]


@pytest.fixture(scope="module")
def cameras_browser(browser):
    """A Chromium with three fake cameras."""
    chromium = browser.browser_type.launch(
        executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
        args=[
            f"{FAKE_DEVICES}=device-count=3" if arg == FAKE_DEVICES else arg
            for arg in CHROMIUM_ARGS
        ],
    )
    yield chromium
    chromium.close()


def pro_dashboard(login, commit_env, pro, chromium):
    """The pro's dashboard in ``chromium``, the pro out of any meeting a
    failed test left."""
    leave_meetings(commit_env, pro)
    page = login(pro, "/my/clinic", chromium=chromium)
    keep_peer_connections(page)
    page.reload()
    return page


def options(page, kind):
    """{deviceId: shown name} of the picker's <select> of ``kind``."""
    return {
        option.get_attribute("value"): option.inner_text()
        for option in page.locator(f"select.o_clinic_meeting_device_{kind} option").all()
        if option.get_attribute("value")
    }


def call_root(page):
    return page.locator(".o_clinic_meeting_call")


def sent(page, kind):
    """What the page's call connection sends of ``kind`` ("video", "audio")."""
    return page.evaluate(SENT_TRACKS)["sent"].get(kind)


def switch(page, kind, name):
    """Choose the device ``name`` in the picker of ``page``, in a call: the
    call's connection sends it at once, and the old device is stopped."""
    device_id = next(id_ for id_, shown in options(page, kind).items() if shown == name)
    track_kind = "video" if kind == "camera" else "audio"
    page.evaluate(KEEP_SENT_TRACKS)
    page.locator(f"select.o_clinic_meeting_device_{kind}").select_option(device_id)
    expect(call_root(page)).to_have_attribute(f"data-{kind}-id", device_id)
    wait_for(
        lambda: sent(page, track_kind)["deviceId"] == device_id,
        message=f"the call to send {name}",
    )
    wait_for(
        lambda: page.evaluate(OLD_TRACK_STOPPED, track_kind),
        message=f"the {kind} used before {name} to stop",
    )
    track = sent(page, track_kind)
    assert track["label"] == name and track["live"]
    return track


def assert_same_connection(page, connections, who):
    """The page made no new peer connection and its call's one is connected."""
    state = page.evaluate(SENT_TRACKS)
    assert state["connections"] == connections, f"{who} reconnected"
    assert state["connection"] == "connected", f"{who}'s connection is {state['connection']}"


def pro_in_call(login, commit_env, meeting_id, stranger, chromium):
    """Dr. Smith, in ``chromium``, joins the stranger's meeting; media flows."""
    smith = pro_dashboard(login, commit_env, "smith", chromium)
    join(smith, meeting_id)
    expect(remote(stranger, "pro")).to_have_attribute("data-connection", "connected")
    expect(remote(smith, "patient")).to_have_attribute("data-connection", "connected")
    assert_media_flows(stranger, "the patient")
    return smith


def test_the_pro_switches_camera_and_microphone_without_reconnecting(
    new_page, login, commit_env, unique, cameras_browser
):
    stranger, meeting_id = stranger_in_call(new_page, f"Ben {unique}")
    smith = pro_in_call(login, commit_env, meeting_id, stranger, cameras_browser)
    smith_connections = smith.evaluate(KEEP_CALL_CONNECTION)
    stranger_connections = stranger.evaluate(KEEP_CALL_CONNECTION)

    # The picker lists the cameras and the microphones, the ones in use chosen.
    devices = smith.get_by_role("button", name="Devices")
    expect(devices).to_have_attribute("aria-expanded", "false")
    devices.click()
    expect(devices).to_have_attribute("aria-expanded", "true")
    camera = smith.get_by_label("Camera", exact=True)
    expect(camera.locator("option")).to_have_count(3)
    cameras = options(smith, "camera")
    assert sorted(cameras.values()) == [f"fake_device_{i}" for i in range(3)]
    microphones = set(options(smith, "microphone").values())
    assert {"Fake Audio Input 1", "Fake Audio Input 2"} <= microphones
    assert sent(smith, "video")["label"] == "fake_device_0"
    expect(camera).to_have_value(sent(smith, "video")["deviceId"])
    expect(call_root(smith)).to_have_attribute("data-camera-id", sent(smith, "video")["deviceId"])

    # Another camera: sent at once over the same connection; the patient sees it.
    switch(smith, "camera", "fake_device_2")
    wait_for(lambda: smith.evaluate(OWN_CAMERA) == "fake_device_2", message="the pro's own view")
    assert_same_connection(smith, smith_connections, "the pro")
    assert_media_flows(stranger, "the patient, after the pro's camera switch")
    assert_same_connection(stranger, stranger_connections, "the patient")
    expect(remote(stranger, "pro")).to_have_attribute("data-camera", "on")

    # Muted, then another microphone: still muted, on both sides.
    smith.locator(".o_clinic_meeting_call_mic").click()
    expect(remote(stranger, "pro").locator(".o_clinic_meeting_remote_muted")).to_be_visible()
    assert switch(smith, "microphone", "Fake Audio Input 2")["enabled"] is False
    expect(smith.locator(".o_clinic_meeting_call_mic")).to_have_attribute("aria-pressed", "true")
    expect(remote(stranger, "pro").locator(".o_clinic_meeting_remote_muted")).to_be_visible()
    smith.locator(".o_clinic_meeting_call_mic").click()
    expect(remote(stranger, "pro").locator(".o_clinic_meeting_remote_muted")).to_have_count(0)
    assert sent(smith, "audio")["enabled"] is True
    assert_same_connection(smith, smith_connections, "the pro")
    assert_media_flows(stranger, "the patient, after the pro's microphone switch")

    # Camera off, then another camera: it stays off until turned on, then
    # the camera chosen is sent.
    smith.locator(".o_clinic_meeting_call_camera").click()
    expect(remote(stranger, "pro")).to_have_attribute("data-camera", "off")
    first_camera = next(id_ for id_, name in cameras.items() if name == "fake_device_0")
    camera.select_option(first_camera)
    expect(call_root(smith)).to_have_attribute("data-camera-id", first_camera)
    expect(remote(stranger, "pro")).to_have_attribute("data-camera", "off")
    assert smith.evaluate(OWN_CAMERA) is None
    smith.locator(".o_clinic_meeting_call_camera").click()
    expect(remote(stranger, "pro")).to_have_attribute("data-camera", "on")
    wait_for(
        lambda: (sent(smith, "video") or {}).get("label") == "fake_device_0",
        message="the call to send the camera chosen while it was off",
    )
    assert_same_connection(smith, smith_connections, "the pro")
    assert_same_connection(stranger, stranger_connections, "the patient")
    assert_media_flows(stranger, "the patient, once the pro's camera is back")
    smith.locator(".o_clinic_lobby_leave").click()


def add_known_devices(route):
    """Serve the patient's page with ``KNOWN_DEVICES`` in the props of its
    video call, as a page of the clinic would pass them."""
    response = route.fetch()

    def with_known_devices(match):
        props = json.loads(html.unescape(match[1]))
        props["knownDevices"] = KNOWN_DEVICES
        return f'name="clinic_meeting.video_call" props="{html.escape(json.dumps(props))}"'

    body, count = re.subn(
        r'name="clinic_meeting\.video_call" props="([^"]*)"', with_known_devices, response.text()
    )
    assert count == 1, "no video call on the patient's page"
    route.fulfill(response=response, body=body)


def test_known_devices_are_named_and_the_choice_is_remembered(new_page, unique, cameras_browser):
    phone = {"width": 390, "height": 844}
    patient = new_page(LOBBY, chromium=cameras_browser, viewport=phone)
    meeting_id = check_in(patient, f"Cleo {unique}")
    patient.route(f"**{LOBBY}/meeting/{meeting_id}", add_known_devices)
    patient.reload()
    expect(call_root(patient)).to_have_attribute("data-phase", "joined")
    expect(patient.locator(".o_clinic_meeting_self_video")).to_be_visible()
    assert patient.evaluate(OWN_CAMERA) == "fake_device_0"

    patient.get_by_role("button", name="Devices").click()
    camera = patient.get_by_label("Camera", exact=True)
    microphone = patient.get_by_label("Microphone", exact=True)
    expect(camera.locator("option")).to_have_count(3)
    cameras = options(patient, "camera")
    assert sorted(cameras.values()) == [
        "Otoscope (fake_device_2)",
        "fake_device_0",
        "fake_device_1",
    ]
    assert "Stethoscope (Fake Audio Input 2)" in options(patient, "microphone").values()
    instructions = patient.locator(".o_clinic_meeting_device_instructions")
    expect(instructions).to_have_count(0)

    # The otoscope: its instructions under it; the level meter follows the
    # new microphone (the old one, stopped, would stay silent).
    otoscope = next(id_ for id_, name in cameras.items() if name.startswith("Otoscope"))
    camera.select_option(otoscope)
    expect(call_root(patient)).to_have_attribute("data-camera-id", otoscope)
    expect(instructions).to_have_text("Put the speculum on before use.")
    expect(camera).to_have_accessible_description("Put the speculum on before use.")
    wait_for(lambda: patient.evaluate(OWN_CAMERA) == "fake_device_2", message="the otoscope")
    microphone.select_option(label="Stethoscope (Fake Audio Input 2)")
    expect(patient.locator(".o_clinic_meeting_device_instructions")).to_have_count(2)
    expect(microphone).to_have_accessible_description("Hold the chest piece still.")
    level = patient.locator(".o_clinic_meeting_mic_level")
    wait_for(lambda: int(level.get_attribute("value") or 0) > 0, message="the level to move")

    # Fits a phone: nothing wider than the screen, selects big enough for a thumb.
    assert patient.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for control in (camera, microphone, patient.get_by_role("button", name="Devices")):
        box = control.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44

    # Next time, the call starts with the devices chosen.
    microphone_id = call_root(patient).get_attribute("data-microphone-id")
    patient.reload()
    expect(call_root(patient)).to_have_attribute("data-phase", "joined")
    wait_for(lambda: patient.evaluate(OWN_CAMERA) == "fake_device_2", message="the otoscope again")
    expect(call_root(patient)).to_have_attribute("data-camera-id", otoscope)
    expect(call_root(patient)).to_have_attribute("data-microphone-id", microphone_id)
    patient.get_by_role("button", name="Devices").click()
    expect(patient.get_by_label("Camera", exact=True)).to_have_value(otoscope)
    expect(patient.get_by_label("Microphone", exact=True)).to_have_value(microphone_id)
