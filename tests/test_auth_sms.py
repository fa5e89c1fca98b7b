"""Seed 001, "Authentication", end to end: a patient gives their phone number
and last name, reads the 6-digit code of the SMS, types it and is logged in;
through the real server and Chromium. The SMS is read where Odoo queued it
(``sms.sms``): the test server runs no cron, so nothing leaves the machine."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

import odoo.http
from odoo import fields

LOGIN = "/patient/login"


@pytest.fixture(autouse=True)
def no_ip_cap(commit_env):
    """Every browser here comes from 127.0.0.1: lift the per-IP cap (tested
    in the module's tests) so that these tests do not depend on each other."""
    with commit_env() as env:
        ICP = env["ir.config_parameter"]
        previous = ICP.get_param("clinic_auth_sms.ip_hourly_limit")
        ICP.set_param("clinic_auth_sms.ip_hourly_limit", 0)
    yield
    with commit_env() as env:
        env["ir.config_parameter"].set_param("clinic_auth_sms.ip_hourly_limit", previous)


@pytest.fixture
def patient(commit_env, unique):
    """A patient with a phone number of their own, created by the clinic."""
    number = f"+1212555{int(unique, 16) % 10000:04d}"
    last_name = f"Doe{unique}"
    with commit_env() as env:
        partner = env["res.partner"].create(
            {
                "name": f"Jane {last_name}",
                "phone": f"+1 212-555-{number[-4:]}",
                "is_clinic_patient": True,
            }
        )
        assert partner.phone_sanitized == number
        return {"id": partner.id, "name": partner.name, "number": number, "last_name": last_name}


def sms_codes(commit_env, number):
    """The codes texted to ``number``, oldest first, as the patient reads them."""
    with commit_env() as env:
        sms = env["sms.sms"].search([("number", "=", number)], order="id")
        return [re.search(r"\b(\d{6})\b", body)[1] for body in sms.mapped("body")]


def submit(page, form):
    with page.expect_navigation():
        page.click(f"form.{form} button[type=submit]")


def ask_for_code(page, phone, last_name):
    page.fill("#o_clinic_auth_sms_phone", phone)
    page.fill("#o_clinic_auth_sms_last_name", last_name)
    submit(page, "o_clinic_auth_sms_login_form")


def type_code(page, code):
    page.fill("#o_clinic_auth_sms_code", code)
    submit(page, "o_clinic_auth_sms_code_form")


def server_session(page):
    sid = next(c["value"] for c in page.context.cookies() if c["name"] == "session_id")
    return odoo.http.root.session_store.get(sid)


def test_patient_logs_in_with_phone_and_sms_code(new_page, commit_env, patient, screenshot):
    page = new_page(LOGIN, viewport={"width": 390, "height": 844})
    expect(page.locator("h1")).to_have_text("Patient login")
    screenshot(page, "patient-login")

    # A stranger's typing: a number that is not one, no last name.
    ask_for_code(page, "12345", "")
    expect(page.locator(".invalid-feedback")).to_have_text(
        [
            (
                "This phone number is not valid. Please check it, or type it with your "
                "country code, starting with +."
            ),
            "Please enter your last name.",
        ]
    )

    # The number as people say it (a US clinic), the name in lower case.
    local_number = f"(212) 555-{patient['number'][-4:]}"
    started = time.time()
    ask_for_code(page, local_number, patient["last_name"].lower())
    expect(page.locator("h1")).to_have_text("Enter your code")
    expect(page.locator(".o_clinic_auth_sms_code_sent")).to_contain_text(
        "we have sent a 6-digit code to it by SMS. The code is valid for 5 minutes."
    )
    resend = page.locator(".o_clinic_auth_sms_resend_button")
    expect(resend).to_be_disabled()
    expect(page.locator(".o_clinic_auth_sms_countdown")).to_contain_text(
        re.compile(r"You can ask for a new code when the countdown ends:\s+(1:00|0:[45]\d)")
    )
    screenshot(page, "patient-login-code")

    [code] = sms_codes(commit_env, patient["number"])
    type_code(page, f"{(int(code) + 1) % 10**6:06d}")
    expect(page.locator(".o_clinic_auth_sms_notice")).to_have_text(
        "This code is not right. Please check it and try again (4 tries left)."
    )

    type_code(page, code)
    page.wait_for_url("**/my")
    expect(page.locator("header")).to_contain_text(patient["name"])
    screenshot(page, "patient-logged-in")

    # The server session: the user, when they logged in, when last active.
    with commit_env() as env:
        user = env["res.partner"].browse(patient["id"]).user_ids
        assert user.share and user.login == f"clinic-patient-{patient['id']}"
        session = server_session(page)
        assert session.uid == user.id
        record = session["clinic_auth_sms"]
        assert record["uid"] == user.id
        assert started <= record["authenticated_at"] <= record["last_activity_at"] <= time.time()

    page.locator("header .dropdown-toggle", has_text=patient["name"]).click()
    with page.expect_navigation():
        page.locator("a[href^='/web/session/logout']").click()
    assert server_session(page).uid is None
    page.goto("/my")
    page.wait_for_url("**/web/login?redirect=*")
    expect(page.locator(".o_clinic_auth_sms_patient_link")).to_be_visible()


def test_same_answer_whether_or_not_a_patient(new_page, patient, unique):
    """Nobody learns who is a patient: the code page reads the same."""
    answers = []
    other_number = f"+1 646-555-{int(unique, 16) % 10000:04d}"
    for phone, last_name in [
        (patient["number"], patient["last_name"]),  # the patient
        (other_number, patient["last_name"]),  # their name, another number
    ]:
        page = new_page(LOGIN)
        ask_for_code(page, phone, last_name)
        assert page.url.endswith("/patient/login/code")
        answers.append(re.sub(r"\d+:\d\d", "m:ss", page.locator("main").inner_text()))
    assert answers[0] == answers[1]
    assert "If this number belongs to a patient" in answers[0]


def test_new_code_after_the_countdown(new_page, commit_env, patient):
    page = new_page(LOGIN)
    ask_for_code(page, patient["number"], patient["last_name"])
    countdown = page.locator(".o_clinic_auth_sms_countdown_time")
    expect(countdown).to_have_text(re.compile(r"^(1:00|0:59)$"))
    expect(countdown).to_have_text(re.compile(r"^0:5[5-7]$"), timeout=6000)

    # Fast-forward: the code was asked for 58 seconds ago.
    with commit_env() as env:
        challenge = env["clinic.auth.sms.challenge"].search(
            [("partner_id", "=", patient["id"])], limit=1
        )
        challenge.requested_at = fields.Datetime.now() - timedelta(seconds=58)
    page.reload()
    resend = page.locator(".o_clinic_auth_sms_resend_button")
    expect(resend).to_be_disabled()
    expect(resend).to_be_enabled(timeout=5000)
    expect(page.locator(".o_clinic_auth_sms_resend_ready")).to_be_visible()
    expect(page.locator(".o_clinic_auth_sms_countdown")).to_be_hidden()
    with page.expect_navigation():
        resend.click()
    expect(page.locator(".o_clinic_auth_sms_notice")).to_have_text("We have sent you a new code.")
    expect(resend).to_be_disabled()

    old_code, new_code = sms_codes(commit_env, patient["number"])
    if old_code != new_code:
        type_code(page, old_code)
        expect(page.locator(".o_clinic_auth_sms_notice")).to_contain_text("This code is not right.")
    type_code(page, new_code)
    page.wait_for_url("**/my")


def test_too_many_wrong_codes_start_over(new_page, commit_env, patient):
    page = new_page(LOGIN)
    ask_for_code(page, patient["number"], patient["last_name"])
    [code] = sms_codes(commit_env, patient["number"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        type_code(page, wrong)
    type_code(page, wrong)
    page.wait_for_url(f"**{LOGIN}")
    expect(page.locator(".o_clinic_auth_sms_notice")).to_have_text(
        "Too many wrong codes. Please start again."
    )
    page.goto("/patient/login/code")
    page.wait_for_url(f"**{LOGIN}")


def test_idle_patient_is_logged_out(new_page, commit_env, patient):
    page = new_page(LOGIN)
    ask_for_code(page, patient["number"], patient["last_name"])
    type_code(page, sms_codes(commit_env, patient["number"])[0])
    page.wait_for_url("**/my")

    # 31 minutes without activity, as the server session sees it.
    store = odoo.http.root.session_store
    session = server_session(page)
    session["clinic_auth_sms"] = {
        **session["clinic_auth_sms"],
        "last_activity_at": time.time() - 31 * 60,
    }
    store.save(session)
    page.goto("/my")
    page.wait_for_url(f"**{LOGIN}?redirect=*")
    assert server_session(page).uid is None
    expect(page.locator(".o_clinic_auth_sms_notice")).to_have_text(
        "You were logged out after 30 minutes without activity. Please log in again."
    )

    # Back in where they were (the previous code was asked for long enough ago).
    with commit_env() as env:
        for challenge in env["clinic.auth.sms.challenge"].search(
            [("partner_id", "=", patient["id"])]
        ):
            challenge.requested_at -= timedelta(minutes=1)
    ask_for_code(page, patient["number"], patient["last_name"])
    type_code(page, sms_codes(commit_env, patient["number"])[-1])
    page.wait_for_url(re.compile(r"/my\??$"))
