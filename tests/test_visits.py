"""Seed 003 end to end: a doctor opens a one-to-one visit; the patient's link
binds to their browser; a second browser with the same link waits until the
doctor lets it in; the questionnaire typed on one side appears on the other;
a document shared by the doctor downloads on the patient's side; destroying
the visit ends every page. Three browsers, the real server, its websocket
and Chromium.
"""

import re

from playwright.sync_api import expect
from test_video_call import assert_media_flows, keep_peer_connections, leave_meetings, remote


def pro_dashboard(login, commit_env, login_name="smith"):
    """The pro's dashboard, the pro out of any meeting a failed test left."""
    leave_meetings(commit_env, login_name)
    return login(login_name, "/my/clinic")


def new_visit(dashboard, name, companion=""):
    """Open a visit from the dashboard; return its item in *My visits*."""
    dashboard.locator(".o_clinic_visit_new").click()
    dashboard.fill("#o_clinic_visit_name", name)
    dashboard.fill("#o_clinic_visit_email", "patient@example.com")
    if companion:
        dashboard.fill("#o_clinic_visit_companion", companion)
    dashboard.locator(".o_clinic_visit_create").click()
    item = dashboard.locator(".o_clinic_visit_pro_item", has_text=name)
    expect(item).to_be_visible()
    return item


def link(item, role):
    return item.locator(
        f".o_clinic_visit_pro_participant[data-role='{role}'] .o_clinic_visit_link"
    ).input_value()


def path(url):
    """The path of a link (the links show the database's base URL)."""
    return re.sub(r"^https?://[^/]+", "", url)


def question(page, name):
    return page.locator(".o_clinic_visit_question", has_text=name).locator(".o_clinic_visit_answer")


def test_visit_with_device_approval_questionnaire_documents_and_kill(  # noqa: PLR0915
    new_page, login, commit_env, unique, screenshot
):
    dashboard = pro_dashboard(login, commit_env)
    name = f"Lucie Martin {unique}"
    item = new_visit(dashboard, name, companion="Paul Martin")
    patient_url, pro_url = link(item, "patient"), link(item, "pro")
    assert re.search(r"/visit/[\w-]{43}/[\w-]{43}$", patient_url)
    assert link(item, "companion") != patient_url
    screenshot(dashboard, "visit-dashboard")
    dashboard.close()

    # The doctor opens their own link; the patient opens theirs: video both ways.
    doctor = login("smith", path(pro_url))
    keep_peer_connections(doctor)
    doctor.reload()
    patient = new_page(path(patient_url))
    keep_peer_connections(patient)
    patient.reload()
    expect(patient.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    expect(remote(patient, "pro")).to_have_attribute("data-connection", "connected")
    expect(remote(doctor, "patient")).to_have_attribute("data-connection", "connected")
    assert_media_flows(patient, "the patient")
    assert_media_flows(doctor, "the doctor")

    # A second browser opens the patient's link: it waits; the doctor sees it at once.
    second = new_page(path(patient_url))
    expect(second.locator(".o_clinic_visit_waiting")).to_contain_text(
        "Waiting for Dr. Smith to let you in"
    )
    request = doctor.locator(".o_clinic_visit_request")
    expect(request).to_contain_text(f"{name} opened their link on a new device.")
    screenshot(doctor, "visit-new-device")
    request.locator(".o_clinic_visit_let_in").click()
    # The new device is let in without a reload; the old one is let go.
    expect(second.locator(".o_clinic_visit_room")).to_be_visible()
    expect(patient.locator(".o_clinic_visit_replaced")).to_be_visible()
    expect(second.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    patient = second

    # The questionnaire: each side types its part; the other sees it live.
    question(patient, "Why do you consult today?").fill("Ear pain since Sunday")
    expect(question(doctor, "Why do you consult today?")).to_have_value("Ear pain since Sunday")
    question(doctor, "Findings").fill("Red eardrum, left side")
    expect(question(patient, "Findings")).to_have_value("Red eardrum, left side")
    expect(question(patient, "Findings")).not_to_be_editable()
    question(patient, "Temperature").fill("hot")
    expect(
        patient.locator(".o_clinic_visit_question", has_text="Temperature").locator(
            ".o_clinic_visit_answer_error"
        )
    ).to_have_text("Please enter a number, e.g. 37.5.")
    question(patient, "Temperature").fill("38.2")
    expect(question(doctor, "Temperature")).to_have_value("38.2")

    # The doctor shares a document: it appears in the patient's messages and downloads.
    document = b"%PDF-1.4 a prescription " + unique.encode()
    doctor.locator(".o_clinic_visit_upload").set_input_files(
        {"name": "prescription.pdf", "mimeType": "application/pdf", "buffer": document}
    )
    shared = patient.locator(".o_clinic_visit_document_link", has_text="prescription.pdf")
    expect(shared).to_be_visible()
    response = patient.request.get(shared.get_attribute("href"))
    assert response.status == 200, response.status
    assert response.headers["cache-control"] == "no-store"
    assert response.body() == document
    with patient.expect_download() as download_info:
        shared.click()
    assert download_info.value.path().read_bytes() == document
    patient.locator("#o_clinic_visit_draft").fill("Thank you, doctor.")
    patient.locator(".o_clinic_visit_send").click()
    expect(doctor.locator(".o_clinic_visit_message", has_text="Thank you, doctor.")).to_be_visible()
    screenshot(patient, "visit-patient")
    screenshot(doctor, "visit-doctor")

    # The doctor destroys the visit: every page says it ended, every link too.
    new_page.expected_errors.append("status of 410 (GONE)")
    doctor.locator(".o_clinic_visit_kill").click()
    doctor.locator(".o_clinic_visit_kill_confirm").click()
    expect(doctor.locator(".o_clinic_visit_ended")).to_have_text("This visit has ended")
    expect(patient.locator(".o_clinic_visit_ended")).to_have_text("This visit has ended")
    response = patient.goto(path(patient_url))
    assert response.status == 410
    expect(patient.locator(".o_clinic_visit_ended")).to_have_text("This visit has ended")
    with commit_env() as env:
        stat = env["clinic.visit.stat"].search([], order="id desc", limit=1)
        assert stat.document_count == 1 and stat.message_count == 1
        assert not env["clinic.visit.message"].search_count([("body", "=", "Thank you, doctor.")])


def test_a_refused_device_is_told_so(new_page, login, commit_env, unique):
    dashboard = pro_dashboard(login, commit_env, "brown")
    item = new_visit(dashboard, f"Hugo Bernard {unique}")
    patient_path = path(link(item, "patient"))
    first = new_page(patient_path)
    expect(first.locator(".o_clinic_visit_room")).to_be_visible()
    second = new_page(patient_path)
    expect(second.locator(".o_clinic_visit_waiting")).to_be_visible()
    request = item.locator(".o_clinic_visit_request")
    expect(request).to_be_visible()
    request.locator(".o_clinic_visit_refuse").click()
    expect(second.locator(".o_clinic_visit_refused")).to_have_text("Access refused")
    # The first device keeps the visit; the refused one stays out.
    expect(first.locator(".o_clinic_visit_room")).to_be_visible()
    new_page.expected_errors.append("status of 403 (FORBIDDEN)")
    response = second.reload()
    assert response.status == 403
    expect(second.locator(".o_clinic_visit_refused")).to_have_text("Access refused")
