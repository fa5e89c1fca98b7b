"""Seed 004 end to end: a pet owner logs in by SMS code, finds a vet, reserves
a time with a photo that a (fake, local) classifier pre-screens, waits for
the room to open on *My vet reservations*, and meets the vet by video; the
vet's room toggle moves the directory's *Online* badge live. The real
server, its websocket and Chromium; the classifier is a small HTTP server
of the test on 127.0.0.1, reached by the module's real HTTP client.
"""

import io
import json
import re
import threading
import uuid
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from playwright.sync_api import expect
from test_auth_sms import ask_for_code, sms_codes, type_code
from test_video_call import assert_media_flows, keep_peer_connections, leave_meetings, remote

VET = "dr-kim-gangnam"


class FakeClassifier(BaseHTTPRequestHandler):
    """Answers every photo with the same labels, as a real classifier would."""

    requests = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        FakeClassifier.requests.append((self.headers.get("Authorization"), body))
        answer = json.dumps(
            {
                "labels": [
                    {"label": "dermatitis", "confidence": 0.72},
                    {"label": "mites", "confidence": 0.2},
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def classifier(commit_env):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeClassifier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with commit_env() as env:
        ICP = env["ir.config_parameter"]
        ICP.set_param("clinic_vet.classifier_url", f"http://127.0.0.1:{server.server_port}/labels")
        ICP.set_param("clinic_vet.classifier_key", "test-key")
        ICP.set_param("clinic_auth_sms.ip_hourly_limit", 0)
    FakeClassifier.requests = []
    yield FakeClassifier
    server.shutdown()
    with commit_env() as env:
        env["ir.config_parameter"].set_param("clinic_vet.classifier_url", "")


def owner(commit_env, unique):
    number = f"+1212556{int(unique, 16) % 10000:04d}"
    with commit_env() as env:
        env["res.partner"].create(
            {"name": f"Mina Owner{unique}", "phone": number, "is_clinic_patient": True}
        )
    return number, f"Owner{unique}"


def png_photo():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_owner_reserves_with_a_photo_and_meets_the_vet(
    new_page, login, commit_env, classifier, screenshot
):
    number, last_name = owner(commit_env, uuid.uuid4().hex[:8])
    page = new_page("/vets")
    screenshot(page, "vet-directory")
    page.locator(".o_clinic_vet_card", has_text="Dr. Kim").click()
    expect(page.locator("h1")).to_have_text("Dr. Kim Min-jun")
    if not page.locator(".o_clinic_vet_slot_free").count():
        page.locator(".o_clinic_vet_next_week").click()
    screenshot(page, "vet-page")
    page.locator(".o_clinic_vet_slot_free").first.click()
    # Reserving needs an account: the SMS login, then back to the same choice.
    expect(page).to_have_url(re.compile(r"/patient/login"))
    ask_for_code(page, number, last_name)
    type_code(page, sms_codes(commit_env, number)[-1])
    expect(page.locator("form.o_clinic_vet_reserve_form")).to_be_visible()
    page.fill("#o_clinic_vet_pet_name", "Coco")
    page.select_option("#o_clinic_vet_pet_species", "dog")
    page.fill("#o_clinic_vet_pet_problem", "Red, itchy patch on the belly.")
    page.set_input_files(
        "#o_clinic_vet_photo", {"name": "belly.png", "mimeType": "image/png", "buffer": png_photo()}
    )
    page.click("form.o_clinic_vet_reserve_form button[type=submit]")
    expect(page.locator(".o_clinic_vet_confirmed")).to_be_visible()
    expect(page.locator(".o_clinic_vet_prescreen_answer")).to_contain_text("dermatitis, 72%")
    expect(page.locator(".o_clinic_vet_prescreen")).to_contain_text("This is not a diagnosis.")
    screenshot(page, "vet-reservation")
    assert classifier.requests and classifier.requests[0][0] == "Bearer test-key"
    reservation_id = int(re.search(r"/my/vet/(\d+)", page.url)[1])

    # The room opens 5 minutes before: move the reservation so that it opens
    # in a few seconds; the button turns active without a reload.
    leave_meetings(commit_env, "vet_kim")
    with commit_env() as env:
        reservation = env["clinic.appointment"].browse(reservation_id)
        start = datetime.now().replace(microsecond=0) + timedelta(minutes=5, seconds=8)
        stop = start + timedelta(minutes=30)
        # An earlier run of this test may hold that time.
        env["clinic.appointment"].search(
            [
                ("id", "!=", reservation_id),
                ("pro_id", "=", reservation.pro_id.id),
                ("state", "=", "confirmed"),
                ("start", "<", stop),
                ("stop", ">", start),
            ]
        ).action_cancel()
        reservation.write({"start": start, "stop": stop})
    page.goto("/my/vet")
    enter = page.locator(
        f".o_clinic_vet_reservation[data-reservation-id='{reservation_id}'] .o_clinic_vet_enter"
    )
    expect(enter).to_have_attribute("aria-disabled", "true")
    expect(enter).to_have_attribute("aria-disabled", "false", timeout=20000)

    vet = login("vet_kim", f"/my/vet/{reservation_id}/room")
    keep_peer_connections(vet)
    vet.reload()
    keep_peer_connections(page)
    enter.click()
    expect(page.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    expect(remote(page, "pro")).to_have_attribute("data-connection", "connected", timeout=20000)
    expect(remote(vet, "patient")).to_have_attribute("data-connection", "connected")
    assert_media_flows(page, "the owner")
    assert_media_flows(vet, "the vet")
    screenshot(vet, "vet-room")


def test_the_room_toggle_moves_the_directory_badge_live(new_page, login):
    directory = new_page("/vets")
    expect(directory.locator(".o_clinic_vet_directory[data-live='1']")).to_be_attached()
    badge = directory.locator(".o_clinic_vet_card", has_text="Dr. Lee").locator(
        ".o_clinic_vet_online"
    )
    vet = login("vet_lee", "/my/clinic")
    toggle = vet.locator(".o_clinic_vet_room_toggle")
    if vet.locator(".o_clinic_vet_pro_online").count():
        toggle.click()  # a failed earlier run left it open
        expect(vet.locator(".o_clinic_vet_pro_offline")).to_be_visible()
        expect(badge).to_be_hidden()
    expect(badge).to_be_hidden()
    toggle.click()
    expect(vet.locator(".o_clinic_vet_pro_online")).to_be_visible()
    expect(badge).to_be_visible()
    toggle.click()
    expect(badge).to_be_hidden()


def test_near_me_sorts_by_distance_from_the_browser(new_page):
    page = new_page("/vets")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 37.5560, "longitude": 126.9220})  # Mapo
    page.reload()  # the page asks for the position only on the click
    expect(page.locator(".o_clinic_vet_directory[data-live='1']")).to_be_attached()
    page.locator(".o_clinic_vet_near_me").click()
    page.wait_for_url(re.compile(r"lat=37\.556"))
    names = page.locator(".o_clinic_vet_name").all_inner_texts()
    assert names[0] == "Dr. Park Ji-woo", names
    expect(page.locator(".o_clinic_vet_distance").first).to_contain_text("km")
