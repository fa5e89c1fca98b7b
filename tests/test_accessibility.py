"""Accessibility (WCAG 2.1 AA) of every public and portal page, in each
state a person sees it: axe-core finds no violation of the WCAG 2.0/2.1 A
and AA rules; check-in, waiting, the call, leaving, booking and the chat
work with the keyboard alone and a visible focus; live changes are
announced politely; the pages fit a 360 px phone with 200 % text. The real
server, its websocket and Chromium, as the other browser tests.
"""

import re
from urllib.parse import unquote

import pytest
import pytz
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from test_appointments import make_type, move_to_soon, show_day
from test_auth_sms import ask_for_code, sms_codes, type_code
from test_therapy import make_session
from test_video_call import leave_meetings, remote

LOBBY = "/lobby/smith-brown-inc"
VET = "/vets/dr-kim-gangnam"
WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
AXE = Axe()


def audit(page):
    """Run axe-core on ``page``; fail with each violation's rule, impact,
    help and the elements at fault."""
    page.evaluate("document.fonts.ready")
    results = AXE.run(page, options=WCAG_AA)
    if results.violations_count:
        lines = [f"{results.violations_count} accessibility violation(s) on {page.url}:"]
        for violation in results.response["violations"]:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                summary = " ".join((node.get("failureSummary") or "").split())
                lines.append(f"    {', '.join(map(str, node['target']))}: {summary}")
        pytest.fail("\n".join(lines), pytrace=False)


class Scene:
    """What a state needs to be reached: the fixtures of the test, and the
    viewport of the person's browser."""

    def __init__(self, new_page, login, commit_env, unique, viewport=None):
        self.new_page_fixture = new_page
        self.login_fixture = login
        self.commit_env = commit_env
        self.unique = unique
        self.viewport = viewport

    def new_page(self, path, **kwargs):
        return self.new_page_fixture(path, viewport=self.viewport, **kwargs)

    def login(self, login, path, **kwargs):
        return self.login_fixture(login, path, viewport=self.viewport, **kwargs)

    def expect_error(self, text):
        self.new_page_fixture.expected_errors.append(text)


@pytest.fixture
def scene(new_page, login, commit_env, unique):
    return Scene(new_page, login, commit_env, unique)


@pytest.fixture(autouse=True)
def no_ip_cap(commit_env):
    """Every browser here comes from 127.0.0.1: lift the per-IP cap of SMS
    codes, as tests/test_auth_sms.py does."""
    with commit_env() as env:
        ICP = env["ir.config_parameter"]
        previous = ICP.get_param("clinic_auth_sms.ip_hourly_limit")
        ICP.set_param("clinic_auth_sms.ip_hourly_limit", 0)
    yield
    with commit_env() as env:
        env["ir.config_parameter"].set_param("clinic_auth_sms.ip_hourly_limit", previous)


# ------------------------------------------------------------
# WALK-IN LOBBY
# ------------------------------------------------------------


def check_in(page, name, birthdate="1980-05-04"):
    page.fill("#o_clinic_name", name)
    page.fill("#o_clinic_birthdate", birthdate)
    page.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    page.wait_for_url("**/meeting/*")
    return int(page.url.rsplit("/", 1)[1])


def pro_dashboard(s, login_name="smith"):
    leave_meetings(s.commit_env, login_name)
    page = s.login(login_name, "/my/clinic")
    expect(page.locator(".o_clinic_lobby_dashboard")).to_be_visible()
    return page


def join(pro, meeting_id):
    pro.locator(
        f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}'] .o_clinic_lobby_join"
    ).click()
    expect(pro.locator(".o_clinic_lobby_current_meeting")).to_have_attribute(
        "data-meeting-id", str(meeting_id)
    )


def lobby_check_in(s):
    page = s.new_page(LOBBY)
    expect(page.locator("h1")).to_contain_text("Welcome to")
    return page


def lobby_check_in_errors(s):
    s.expect_error("status of 400 (BAD REQUEST)")
    page = s.new_page(LOBBY)
    page.fill("#o_clinic_birthdate", "2999-01-01")
    page.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    expect(page.locator("#o_clinic_name_error")).to_be_visible()
    return page


def lobby_waiting(s):
    page = s.new_page(LOBBY)
    check_in(page, f"Wanda Wait {s.unique}")
    expect(page.locator(".o_clinic_meeting_device_ok")).to_be_visible()
    expect(page.locator(".o_clinic_insight_place")).to_be_visible()
    return page


def lobby_in_call(s):
    page = s.new_page(LOBBY)
    meeting_id = check_in(page, f"Carl Call {s.unique}")
    pro = pro_dashboard(s)
    join(pro, meeting_id)
    expect(remote(page, "pro")).to_have_attribute("data-connection", "connected", timeout=20000)
    expect(page.locator(".o_clinic_lobby_waiting_status")).to_contain_text("joined your meeting")
    s.pro = pro
    return page


def lobby_ended(s):
    page = lobby_in_call(s)
    s.pro.locator(".o_clinic_lobby_leave").click()
    expect(page.locator(".o_clinic_meeting_call_ended")).to_be_visible()
    return page


def lobby_left(s):
    page = s.new_page(LOBBY)
    check_in(page, f"Lea Left {s.unique}")
    page.locator(".o_clinic_meeting_call_leave").click()
    expect(page.locator("h1")).to_contain_text("You have left")
    return page


# ------------------------------------------------------------
# PATIENT LOGIN BY SMS
# ------------------------------------------------------------


def make_patient(s):
    number = f"+1212557{int(s.unique, 16) % 10000:04d}"
    with s.commit_env() as env:
        env["res.partner"].create(
            {"name": f"Ana Patient{s.unique}", "phone": number, "is_clinic_patient": True}
        )
    return number, f"Patient{s.unique}"


def patient_login(s):
    page = s.new_page("/patient/login")
    expect(page.locator("h1")).to_have_text("Patient login")
    return page


def patient_login_errors(s):
    page = s.new_page("/patient/login")
    ask_for_code(page, "12345", "")
    expect(page.locator(".invalid-feedback")).to_have_count(2)
    return page


def patient_login_code(s):
    page = s.new_page("/patient/login")
    number, last_name = make_patient(s)
    ask_for_code(page, number, last_name)
    expect(page.locator(".o_clinic_auth_sms_countdown")).to_be_visible()
    return page


def patient_login_wrong_code(s):
    page = patient_login_code(s)
    type_code(page, "000000")
    expect(page.locator(".o_clinic_auth_sms_notice")).to_be_visible()
    return page


def sms_login(s, page):
    """On the patient login page: log a new patient in."""
    number, last_name = make_patient(s)
    ask_for_code(page, number, last_name)
    type_code(page, sms_codes(s.commit_env, number)[-1])


# ------------------------------------------------------------
# VIDEO APPOINTMENTS
# ------------------------------------------------------------


def own_type(s, pros=("smith", "brown")):
    with s.commit_env() as env:
        s.slug = make_type(env, s.unique, pros=pros).slug
    return s.slug


def appointment_day(s):
    """Today, with past times, a taken time and free times."""
    page, _token = book(s, pros=("smith",))
    page.goto(f"/appointment/{s.slug}")
    expect(page.locator(".o_clinic_appointment_slot_free").first).to_be_visible()
    return page


def appointment_form(s):
    page = s.new_page(f"/appointment/{own_type(s)}")
    page.locator(".o_clinic_appointment_slot_free").first.click()
    expect(page.locator("form.o_clinic_appointment_form")).to_be_visible()
    return page


def appointment_form_errors(s):
    s.expect_error("status of 400 (BAD REQUEST)")
    page = appointment_form(s)
    page.fill("#o_clinic_appointment_email", "not an email")
    page.click("form.o_clinic_appointment_form button[type=submit]")
    expect(page.locator("#o_clinic_appointment_name_error")).to_be_visible()
    return page


def book(s, pros=("smith", "brown")):
    """A stranger books the first free time; return their page and the token."""
    page = s.new_page(f"/appointment/{own_type(s, pros)}")
    page.locator(".o_clinic_appointment_slot_free").first.click()
    page.fill("#o_clinic_appointment_name", f"Bea Booker {s.unique}")
    page.fill("#o_clinic_appointment_email", f"bea.{s.unique}@example.com")
    page.click("form.o_clinic_appointment_form button[type=submit]")
    expect(page.locator(".o_clinic_appointment_confirmed")).to_be_visible()
    return page, re.search(r"/appointment/visit/([^/]+)/confirmed", page.url)[1]


def move_booking(s, token, minutes):
    with s.commit_env() as env:
        appointment = env["clinic.appointment"]._get_by_token(token)
        return move_to_soon(env, appointment, minutes).user_id.login, appointment.id


def appointment_confirmed(s):
    return book(s)[0]


def appointment_link_early(s):
    page, token = book(s)
    move_booking(s, token, 3 * 24 * 60)
    page.goto(f"/appointment/visit/{token}")
    expect(page.locator(".o_clinic_appointment_early")).to_be_visible()
    return page


def appointment_link_waiting(s):
    page, token = book(s)
    move_booking(s, token, 5)
    page.goto(f"/appointment/visit/{token}")
    expect(page.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    return page


def appointment_link_left(s):
    page = appointment_link_waiting(s)
    page.locator(".o_clinic_meeting_call_leave").click()
    expect(page.locator("h1")).to_have_text("You have left the call.")
    return page


def appointment_cancel(s):
    page, token = book(s)
    page.goto(f"/appointment/visit/{token}/cancel")
    expect(page.locator(".o_clinic_appointment_cancel_form")).to_be_visible()
    return page


def appointment_cancelled(s):
    page = appointment_cancel(s)
    page.click(".o_clinic_appointment_cancel_form button[type=submit]")
    expect(page.locator(".o_clinic_appointment_is_cancelled")).to_be_visible()
    return page


# ------------------------------------------------------------
# VETS
# ------------------------------------------------------------


def vet_directory(s):
    page = s.new_page("/vets")
    expect(page.locator(".o_clinic_vet_directory[data-live='1']")).to_be_attached()
    return page


def vet_page(s):
    page = s.new_page(VET)
    expect(page.locator(".o_clinic_vet_timetable")).to_be_visible()
    return page


def first_free_vet_slot(page):
    if not page.locator(".o_clinic_vet_slot_free").count():
        page.locator(".o_clinic_vet_next_week").click()
    page.locator(".o_clinic_vet_slot_free").first.click()


def vet_reserve_form(s):
    page = s.new_page(VET)
    first_free_vet_slot(page)
    page.wait_for_url(re.compile(r"/patient/login\?redirect="))
    reserve = unquote(page.url.split("redirect=", 1)[1])
    sms_login(s, page)
    if "/reserve" not in page.url:
        # Now and then the login forgets where to go back to (its session
        # key is lost to a concurrent request): the owner clicks again.
        page.goto(reserve)
    expect(page.locator("form.o_clinic_vet_reserve_form")).to_be_visible()
    return page


def vet_reserve_errors(s):
    s.expect_error("status of 400 (BAD REQUEST)")
    page = vet_reserve_form(s)
    page.click("form.o_clinic_vet_reserve_form button[type=submit]")
    expect(page.locator(".o_clinic_vet_reserve_form .is-invalid").first).to_be_visible()
    return page


def vet_reserved(s):
    page = vet_reserve_form(s)
    page.fill("#o_clinic_vet_pet_name", "Coco")
    page.select_option("#o_clinic_vet_pet_species", "dog")
    page.fill("#o_clinic_vet_pet_problem", "Red, itchy patch on the belly.")
    page.click("form.o_clinic_vet_reserve_form button[type=submit]")
    expect(page.locator(".o_clinic_vet_confirmed")).to_be_visible()
    s.reservation_id = int(re.search(r"/my/vet/(\d+)", page.url)[1])
    return page


def my_vet(s):
    page = vet_reserved(s)
    page.goto("/my/vet")
    expect(page.locator(".o_clinic_vet_reservation").first).to_be_visible()
    return page


def vet_room_owner(s):
    page = vet_reserved(s)
    leave_meetings(s.commit_env, "vet_kim")
    with s.commit_env() as env:
        reservation = env["clinic.appointment"].browse(s.reservation_id)
        move_to_soon(env, reservation, 2)
    page.goto(f"/my/vet/{s.reservation_id}/room")
    expect(page.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    return page


def vet_dashboard(s):
    page = pro_dashboard(s, "vet_kim")
    expect(page.locator(".o_clinic_vet_pro")).to_be_visible()
    return page


# ------------------------------------------------------------
# GROUP THERAPY
# ------------------------------------------------------------


def therapy_session_of(s):
    leave_meetings(s.commit_env, "brown")
    with s.commit_env() as env:
        session_id, logins, _ids = make_session(env, s.unique)
        survey = env.ref("clinic_therapy.survey_post_session")
        env["clinic.therapy.assessment"].create(
            {"session_id": session_id, "survey_id": survey.id, "timing": "after"}
        )
    return session_id, logins


def therapy_list(s):
    _session_id, (ada, _ben) = therapy_session_of(s)
    page = s.login(ada, "/my/therapy")
    expect(page.locator(".o_clinic_therapy_session_item").first).to_be_visible()
    return page


def therapy_session(s):
    session_id, (ada, ben) = therapy_session_of(s)
    ada_page = s.login(ada, f"/my/therapy/{session_id}")
    ben_page = s.login(ben, f"/my/therapy/{session_id}")
    ben_page.locator(".o_clinic_therapy_draft").fill("Hello everyone, @Ada Patient")
    ben_page.locator(".o_clinic_therapy_send").click()
    expect(ada_page.locator(".o_clinic_therapy_message", has_text="Hello everyone")).to_be_visible()
    expect(ada_page.locator(".o_clinic_meeting_remote[data-connection='connected']")).to_have_count(
        1
    )
    return ada_page


def therapy_not_allowed(s):
    session_id, _logins = therapy_session_of(s)
    s.expect_error("status of 403 (FORBIDDEN)")
    page = s.login("smith", "/my")
    page.goto(f"/my/therapy/{session_id}")
    expect(page.locator(".o_clinic_therapy_not_allowed")).to_be_visible()
    return page


def portal_home(s):
    _session_id, (ada, _ben) = therapy_session_of(s)
    page = s.login(ada, "/my/home")
    expect(page.locator(".o_portal_docs")).to_be_visible()
    return page


# ------------------------------------------------------------
# ONE-TO-ONE VISITS
# ------------------------------------------------------------


def visit_links(s, login_name="smith"):
    """Open a visit from Dr. Smith's dashboard; return its patient and pro paths."""
    dashboard = pro_dashboard(s, login_name)
    dashboard.locator(".o_clinic_visit_new").click()
    dashboard.fill("#o_clinic_visit_name", f"Vic Visit {s.unique}")
    dashboard.fill("#o_clinic_visit_email", "patient@example.com")
    dashboard.locator(".o_clinic_visit_create").click()
    item = dashboard.locator(".o_clinic_visit_pro_item", has_text=f"Vic Visit {s.unique}")
    expect(item).to_be_visible()
    paths = {}
    for role in ("patient", "pro"):
        url = item.locator(
            f".o_clinic_visit_pro_participant[data-role='{role}'] .o_clinic_visit_link"
        ).input_value()
        paths[role] = re.sub(r"^https?://[^/]+", "", url)
    s.dashboard = dashboard
    return paths


def visit_patient(s):
    paths = visit_links(s)
    page = s.new_page(paths["patient"])
    expect(page.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    doctor = s.login("smith", paths["pro"])
    expect(remote(page, "pro")).to_have_attribute("data-connection", "connected", timeout=20000)
    doctor.locator("#o_clinic_visit_draft").fill("Hello, how are you?")
    doctor.locator(".o_clinic_visit_send").click()
    expect(page.locator(".o_clinic_visit_message", has_text="Hello, how")).to_be_visible()
    doctor.locator(".o_clinic_visit_upload").set_input_files(
        {"name": "advice.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 advice"}
    )
    expect(page.locator(".o_clinic_visit_document_link")).to_be_visible()
    s.doctor = doctor
    return page


def visit_doctor(s):
    visit_patient(s)
    return s.doctor


def visit_doctor_new_device(s):
    paths = visit_links(s)
    doctor = s.login("smith", paths["pro"])
    s.new_page(paths["patient"])
    second = s.new_page(paths["patient"])
    expect(second.locator(".o_clinic_visit_waiting")).to_be_visible()
    expect(doctor.locator(".o_clinic_visit_request")).to_be_visible()
    s.second = second
    return doctor


def visit_waiting(s):
    visit_doctor_new_device(s)
    return s.second


def visit_refused(s):
    doctor = visit_doctor_new_device(s)
    doctor.locator(".o_clinic_visit_refuse").click()
    expect(s.second.locator(".o_clinic_visit_refused")).to_be_visible()
    return s.second


def visit_ended(s):
    paths = visit_links(s)
    item = s.dashboard.locator(".o_clinic_visit_pro_item", has_text=f"Vic Visit {s.unique}")
    item.locator(".o_clinic_visit_pro_kill").click()
    item.locator(".o_clinic_visit_pro_kill_confirm").click()
    expect(item).to_have_count(0)
    s.expect_error("status of 410 (GONE)")
    page = s.new_page(paths["patient"])
    expect(page.locator(".o_clinic_visit_ended")).to_be_visible()
    return page


# ------------------------------------------------------------
# THE PRO DASHBOARD
# ------------------------------------------------------------


def dashboard_queue(s):
    stranger = s.new_page(LOBBY)
    meeting_id = check_in(stranger, f"Quinn Queue {s.unique}")
    page = pro_dashboard(s)
    expect(
        page.locator(f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}']")
    ).to_be_visible()
    return page


def dashboard_current_meeting(s):
    lobby_in_call(s)
    expect(remote(s.pro, "patient")).to_have_attribute("data-connection", "connected")
    return s.pro


def dashboard_my_meetings(s):
    lobby_ended(s)
    expect(s.pro.locator(".o_clinic_lobby_my_meeting").first).to_be_visible()
    return s.pro


def dashboard_in_progress(s):
    """Dr. Brown sees the meeting Dr. Smith runs, and may join it."""
    lobby_in_call(s)
    page = pro_dashboard(s, "brown")
    expect(page.locator(".o_clinic_lobby_in_progress_item").first).to_be_visible()
    return page


def dashboard_appointments(s):
    _page, token = book(s, pros=("smith",))
    login_name, appointment_id = move_booking(s, token, 20)
    page = pro_dashboard(s, login_name)
    with s.commit_env() as env:
        appointment = env["clinic.appointment"].browse(appointment_id)
        tz = pytz.timezone(appointment.type_id.tz)
        day = pytz.utc.localize(appointment.start).astimezone(tz).date()
    show_day(page, day)
    item = page.locator(f".o_clinic_appointment_pro_item[data-appointment-id='{appointment_id}']")
    expect(item.locator(".o_clinic_appointment_start")).to_be_visible()
    item.locator(".o_clinic_appointment_cancel").click()
    expect(item.locator(".o_clinic_appointment_reason")).to_be_visible()
    return page


def dashboard_visits(s):
    visit_links(s)
    page = s.dashboard
    page.locator(".o_clinic_visit_new").click()
    page.locator(".o_clinic_visit_create").click()
    expect(page.locator(".o_clinic_visit_form .is-invalid").first).to_be_visible()
    return page


STATES = {
    "lobby check-in": lobby_check_in,
    "lobby check-in, errors shown": lobby_check_in_errors,
    "lobby waiting room": lobby_waiting,
    "lobby in the call": lobby_in_call,
    "lobby visit ended": lobby_ended,
    "lobby left": lobby_left,
    "patient login": patient_login,
    "patient login, errors shown": patient_login_errors,
    "patient login code": patient_login_code,
    "patient login code, wrong code": patient_login_wrong_code,
    "appointment day view": appointment_day,
    "appointment form": appointment_form,
    "appointment form, errors shown": appointment_form_errors,
    "appointment confirmed": appointment_confirmed,
    "appointment link, before the call opens": appointment_link_early,
    "appointment link, waiting room": appointment_link_waiting,
    "appointment link, left": appointment_link_left,
    "appointment cancel": appointment_cancel,
    "appointment cancelled": appointment_cancelled,
    "vet directory": vet_directory,
    "vet page": vet_page,
    "vet reservation form": vet_reserve_form,
    "vet reservation form, errors shown": vet_reserve_errors,
    "vet reservation confirmed": vet_reserved,
    "my vet reservations": my_vet,
    "vet room, owner": vet_room_owner,
    "therapy list": therapy_list,
    "therapy session": therapy_session,
    "therapy session, not allowed": therapy_not_allowed,
    "portal home": portal_home,
    "visit, patient": visit_patient,
    "visit, doctor": visit_doctor,
    "visit, doctor asked to let a device in": visit_doctor_new_device,
    "visit, device waiting for approval": visit_waiting,
    "visit, device refused": visit_refused,
    "visit ended": visit_ended,
    "dashboard, queue": dashboard_queue,
    "dashboard, current meeting": dashboard_current_meeting,
    "dashboard, my meetings": dashboard_my_meetings,
    "dashboard, in progress": dashboard_in_progress,
    "dashboard, appointments": dashboard_appointments,
    "dashboard, visits": dashboard_visits,
    "dashboard, vet room": vet_dashboard,
}


@pytest.mark.parametrize("state", STATES)
def test_no_axe_violations(scene, state):
    audit(STATES[state](scene))


# ------------------------------------------------------------
# KEYBOARD ONLY
# ------------------------------------------------------------

# The focused element shows it: a focus ring (outline or box-shadow) drawn
# because it was reached by the keyboard (:focus-visible).
FOCUS_SHOWN = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) {
        return false;
    }
    if (element.matches("input[type=date]") && !element.matches(":focus")) {
        // Chromium's own calendar button inside the date field has the
        // focus, and its own ring, which no style of the page can read.
        return true;
    }
    if (!element.matches(":focus-visible")) {
        return false;
    }
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== "none" && !style.boxShadow.startsWith("rgba(0, 0, 0, 0)");
    const box = element.getBoundingClientRect();
    return (outline || shadow) && box.width > 0 && box.height > 0;
}"""
FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const ring = `outline: ${style.outline}; box-shadow: ${style.boxShadow}`;
    return `${element.outerHTML.slice(0, 160)} (${ring})`;
}"""


def assert_focus_shown(page):
    try:
        page.wait_for_function(FOCUS_SHOWN, timeout=2000)
    except Exception:  # noqa: BLE001 - say which element, whatever the failure
        pytest.fail(f"no visible focus on {page.evaluate(FOCUSED)}", pytrace=False)


def tab_to(page, selector, back=False, limit=80):
    """Press Tab (Shift+Tab when ``back``) until ``selector`` has the focus,
    checking at each step that the focus is visible."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        assert_focus_shown(page)
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    pytest.fail(f"{selector} never got the focus with the keyboard", pytrace=False)


def politeness(locator):
    """How a screen reader announces changes inside ``locator``: the
    aria-live of its closest live region (status and log are polite)."""
    return locator.evaluate(
        """(element) => {
            const region = element.closest("[aria-live], [role=status], [role=log], [role=alert]");
            if (!region) {
                return "off";
            }
            const implicit = { status: "polite", log: "polite", alert: "assertive" };
            return region.getAttribute("aria-live") || implicit[region.getAttribute("role")];
        }"""
    )


def test_check_in_wait_call_and_leave_with_the_keyboard_only(scene):
    """The patient's side uses the keyboard alone; the pro clicks."""
    stranger = scene.new_page(LOBBY)
    name = f"Kim Keys {scene.unique}"
    tab_to(stranger, "#o_clinic_name")
    stranger.keyboard.type(name)
    tab_to(stranger, "#o_clinic_birthdate")
    stranger.keyboard.type("05041980")
    expect(stranger.locator("#o_clinic_birthdate")).to_have_value("1980-05-04")
    tab_to(stranger, "form.o_clinic_lobby_check_in_form button[type=submit]")
    stranger.keyboard.press("Enter")
    stranger.wait_for_url("**/meeting/*")
    meeting_id = int(stranger.url.rsplit("/", 1)[1])

    # Waiting: the place in line, in a polite live region.
    status = stranger.locator(".o_clinic_lobby_waiting_status")
    expect(status.locator(".o_clinic_insight_position")).to_be_visible()
    assert politeness(status.locator(".o_clinic_insight_position")) == "polite"
    expect(stranger.locator(".o_clinic_meeting_device_ok")).to_be_visible()

    pro = pro_dashboard(scene)
    join(pro, meeting_id)
    expect(status).to_contain_text("Dr. Smith joined your meeting.")
    assert politeness(status.locator(".alert")) == "polite"
    expect(remote(stranger, "pro")).to_have_attribute("data-connection", "connected")

    # Mute and unmute, camera off and on: the buttons say their state.
    mic = stranger.locator(".o_clinic_meeting_call_mic")
    camera = stranger.locator(".o_clinic_meeting_call_camera")
    tab_to(stranger, ".o_clinic_meeting_call_mic")
    expect(mic).to_have_attribute("aria-pressed", "false")
    stranger.keyboard.press("Space")
    expect(mic).to_have_attribute("aria-pressed", "true")
    expect(remote(pro, "patient").locator(".o_clinic_meeting_remote_muted")).to_be_visible()
    stranger.keyboard.press("Enter")
    expect(mic).to_have_attribute("aria-pressed", "false")
    expect(remote(pro, "patient").locator(".o_clinic_meeting_remote_muted")).to_have_count(0)
    tab_to(stranger, ".o_clinic_meeting_call_camera")
    stranger.keyboard.press("Space")
    expect(camera).to_have_attribute("aria-pressed", "true")
    expect(remote(pro, "patient")).to_have_attribute("data-camera", "off")
    stranger.keyboard.press("Space")
    expect(camera).to_have_attribute("aria-pressed", "false")
    expect(remote(pro, "patient")).to_have_attribute("data-camera", "on")
    # Back and forth: Shift+Tab reaches the microphone again.
    tab_to(stranger, ".o_clinic_meeting_call_mic", back=True)

    # Leave.
    tab_to(stranger, ".o_clinic_meeting_call_leave")
    stranger.keyboard.press("Enter")
    expect(stranger.locator("h1")).to_contain_text("You have left")
    expect(remote(pro, "patient")).to_have_count(0)
    pro.locator(".o_clinic_lobby_leave").click()


def test_book_an_appointment_with_the_keyboard_only(scene):
    page = scene.new_page(f"/appointment/{own_type(scene)}")
    tab_to(page, ".o_clinic_appointment_slot_free")
    page.keyboard.press("Enter")
    expect(page.locator("form.o_clinic_appointment_form")).to_be_visible()
    tab_to(page, "#o_clinic_appointment_name")
    page.keyboard.type(f"Kai Keys {scene.unique}")
    tab_to(page, "#o_clinic_appointment_email")
    page.keyboard.type(f"kai.{scene.unique}@example.com")
    tab_to(page, "form.o_clinic_appointment_form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".o_clinic_appointment_confirmed h1")).to_have_text(
        "Your appointment is confirmed"
    )


def test_send_a_therapy_chat_message_with_the_keyboard_only(scene):
    session_id, (ada, ben) = therapy_session_of(scene)
    ben_page = scene.login(ben, f"/my/therapy/{session_id}")
    ada_page = scene.login(ada, f"/my/therapy/{session_id}")
    expect(ada_page.locator(".o_clinic_therapy_chat")).to_be_visible()
    tab_to(ada_page, ".o_clinic_therapy_draft")
    ada_page.keyboard.type("Typed without a mouse")
    tab_to(ada_page, ".o_clinic_therapy_send")
    ada_page.keyboard.press("Enter")
    # Enter in the message sends it too.
    tab_to(ada_page, ".o_clinic_therapy_draft", back=True)
    ada_page.keyboard.type("And sent with Enter")
    ada_page.keyboard.press("Enter")
    for text in ("Typed without a mouse", "And sent with Enter"):
        arrived = ben_page.locator(".o_clinic_therapy_message", has_text=text)
        expect(arrived).to_be_visible()
        assert politeness(arrived) == "polite", "a new chat message is announced"


# ------------------------------------------------------------
# SCREEN READERS
# ------------------------------------------------------------


def test_live_changes_states_and_names_for_screen_readers(scene):
    # A new place in line, then the pro joining, are announced politely.
    with scene.commit_env() as env:
        smith = env["clinic.pro"].search([("user_id.login", "=", "smith")])
        slug = (
            env["clinic.lobby"]
            .create(
                {
                    "name": f"Quiet office {scene.unique}",
                    "slug": f"quiet-{scene.unique}",
                    "pro_ids": [(6, 0, smith.ids)],
                }
            )
            .slug
        )
    first, second = scene.new_page(f"/lobby/{slug}"), scene.new_page(f"/lobby/{slug}")
    check_in(first, f"Ann First {scene.unique}")
    second_id = check_in(second, f"Bob Second {scene.unique}")
    place = second.locator(".o_clinic_insight_position")
    expect(place).to_have_text("You are 2nd in line.")
    assert politeness(place) == "polite"
    first.locator(".o_clinic_meeting_call_leave").click()
    expect(place).to_have_text("Your turn is next.")
    assert politeness(place) == "polite"
    pro = pro_dashboard(scene)
    join(pro, second_id)
    joined = second.locator(".o_clinic_lobby_waiting_status .alert")
    expect(joined).to_have_text("Dr. Smith joined your meeting.")
    assert politeness(joined) == "polite"

    # The remote video has a name; the controls say their state.
    expect(remote(second, "pro").locator("video")).to_have_attribute("aria-label", "Dr. Smith")
    expect(remote(pro, "patient").locator("video")).to_have_attribute(
        "aria-label", f"Bob Second {scene.unique}"
    )
    expect(second.locator(".o_clinic_meeting_self_video")).to_have_attribute(
        "aria-label", "Your camera"
    )
    for page in (second, pro):
        for control in (".o_clinic_meeting_call_mic", ".o_clinic_meeting_call_camera"):
            expect(page.locator(control)).to_have_attribute("aria-pressed", "false")
    pro.locator(".o_clinic_lobby_leave").click()
    expect(pro.locator(".o_clinic_lobby_no_current")).to_be_visible()
    for page in (first, second, pro):
        page.close()

    # A visit: a new message is announced; who is connected is said in
    # words and shapes, not by colour alone.
    patient = visit_patient(scene)
    message = patient.locator(".o_clinic_visit_message", has_text="Hello, how")
    assert politeness(message) == "polite"
    for badge in patient.locator(".o_clinic_visit_participants .badge").all():
        expect(badge).to_have_attribute("data-connected", "1")
        expect(badge).to_contain_text("(connected)")
        expect(badge.locator("i.fa-circle")).to_have_count(1)
    scene.doctor.locator(".o_clinic_meeting_call_leave").click()
    gone = patient.locator(".o_clinic_visit_participants .badge[data-connected='0']")
    expect(gone.first).to_be_visible()
    for badge in gone.all():
        expect(badge).not_to_contain_text("(connected)")
        expect(badge.locator("i.fa-circle-o")).to_have_count(1)

    # The vets' Online badges are words.
    directory = scene.new_page("/vets")
    for badge in directory.locator(".o_clinic_vet_online").all():
        assert badge.text_content().strip() == "Online"


# ------------------------------------------------------------
# PHONES: 360 PX WIDE, TEXT AT 200 %
# ------------------------------------------------------------

PHONE = {"width": 360, "height": 740}
PHONE_PAGES = {
    "lobby check-in": (lobby_check_in, ["form.o_clinic_lobby_check_in_form [type=submit]"]),
    "lobby waiting room": (
        lobby_waiting,
        [".o_clinic_meeting_call_mic", ".o_clinic_meeting_call_leave"],
    ),
    "patient login": (patient_login, ["form.o_clinic_auth_sms_login_form [type=submit]"]),
    "patient login code": (patient_login_code, ["form.o_clinic_auth_sms_code_form [type=submit]"]),
    "appointment day view": (
        appointment_day,
        [".o_clinic_appointment_slot_free", ".o_clinic_appointment_next"],
    ),
    "appointment form": (appointment_form, ["form.o_clinic_appointment_form [type=submit]"]),
    "appointment confirmed": (
        appointment_confirmed,
        [".o_clinic_appointment_confirmed a.btn-primary", ".o_clinic_appointment_ics"],
    ),
    "appointment link, waiting room": (appointment_link_waiting, [".o_clinic_meeting_call_leave"]),
    "vet directory": (
        vet_directory,
        [".o_clinic_vet_search [type=submit]", ".o_clinic_vet_near_me", ".o_clinic_vet_card"],
    ),
    "vet page": (vet_page, [".o_clinic_vet_slot_free", ".o_clinic_vet_next_week"]),
    "vet reservation form": (vet_reserve_form, ["form.o_clinic_vet_reserve_form [type=submit]"]),
    "my vet reservations": (my_vet, [".o_clinic_vet_reservation a"]),
    "therapy list": (therapy_list, [".o_clinic_therapy_enter"]),
    "therapy session": (therapy_session, [".o_clinic_therapy_send", ".o_clinic_meeting_call_mic"]),
    "visit, patient": (visit_patient, [".o_clinic_visit_send", ".o_clinic_meeting_call_leave"]),
    "dashboard, queue": (dashboard_queue, [".o_clinic_lobby_join", ".o_clinic_visit_new"]),
}


PAST_THE_EDGE = """() => [...document.body.querySelectorAll("*")]
    .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-5)
    .map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join(".")}`)"""


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_pages_fit_a_phone_with_large_text(new_page, login, commit_env, unique, name):
    state, buttons = PHONE_PAGES[name]
    page = state(Scene(new_page, login, commit_env, unique, viewport=PHONE))
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.evaluate("new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 300)))")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth") + 1, (
        f"{name}: {width}px wide on a {PHONE['width']}px phone: it scrolls sideways; "
        f"past the edge: {page.evaluate(PAST_THE_EDGE)}"
    )
    for selector in buttons:
        button = page.locator(selector).first
        button.scroll_into_view_if_needed()
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (
            f"{name}: {selector} is cut off ({box})"
        )
        button.click(trial=True)  # nothing covers it; it takes the click
