"""Patients in their own language, through the real server and Chromium.

A browser set to French or Korean (its Accept-Language) gets the clinic's
pages in that language without choosing anything: the check-in, its error
messages and the waiting room; the booking day view with the day written as
people write it there ("jeudi 3 décembre 2026", "2026년 12월 3일 (목)"); the
confirmation, and the confirmation email in the patient's language. The
footer's language selector changes the language and is remembered.

The expected texts are read from the modules' .po files (what translators
wrote), the expected dates from lists written here, not from the code.
"""

import re
from datetime import date, timedelta
from pathlib import Path

import polib
from playwright.sync_api import expect
from test_appointments import make_type

ADDONS = Path(__file__).resolve().parent.parent / "addons"
FR_WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
FR_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
KO_WEEKDAYS = "월화수목금토일"


def translated(module, lang, msgid):
    """What the translators of ``module`` wrote for ``msgid`` in ``lang``."""
    entries = {
        e.msgid: e.msgstr for e in polib.pofile(str(ADDONS / module / "i18n" / f"{lang}.po"))
    }
    assert entries.get(msgid), f"{module}/{lang}.po has no translation of {msgid!r}"
    return entries[msgid]


def french_day(day):
    return f"{FR_WEEKDAYS[day.weekday()]} {day.day} {FR_MONTHS[day.month - 1]} {day.year}"


def korean_day(day):
    return f"{day.year}년 {day.month}월 {day.day}일 ({KO_WEEKDAYS[day.weekday()]})"


def open_in(browser, odoo_server, locale, path):
    """A fresh visitor whose browser speaks ``locale``."""
    context = browser.new_context(
        base_url=odoo_server,
        locale=locale,
        permissions=["camera", "microphone"],
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto(path)
    return page


def test_a_french_walk_in_checks_in_in_french(browser, odoo_server, commit_env, unique):
    """Check-in, its error messages and the waiting room are in French."""
    with commit_env() as env:
        pros = env["clinic.pro"].search([("user_id.login", "in", ("smith", "brown"))])
        env["clinic.lobby"].create(
            {
                "name": f"Cabinet {unique}",
                "slug": f"cabinet-{unique}",
                "pro_ids": [(6, 0, pros.ids)],
            }
        )
    page = open_in(browser, odoo_server, "fr-FR", f"/lobby/cabinet-{unique}")
    try:
        expect(page.locator("html")).to_have_attribute("lang", "fr-FR")
        expect(page.locator("h1")).to_contain_text(translated("clinic_lobby", "fr", "Welcome to"))
        expect(page.get_by_label(translated("clinic_lobby", "fr", "Your name"))).to_be_visible()
        # A wrong form comes back with French messages.
        page.locator("form button[type=submit]").click()
        expect(page.locator("form")).to_contain_text(
            translated("clinic_meeting", "fr", "Please enter your name.")
        )
        page.get_by_label(translated("clinic_lobby", "fr", "Your name")).fill("Amélie Poulain")
        page.get_by_label(translated("clinic_lobby", "fr", "Date of birth")).fill("1985-09-13")
        page.locator("form button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text(
            f"{translated('clinic_lobby', 'fr', 'Hello,')} Amélie Poulain"
        )
        expect(page.locator("html")).to_have_attribute("lang", "fr-FR")
    finally:
        page.context.close()


def test_a_korean_patient_books_in_korean_and_gets_a_korean_email(
    browser, odoo_server, commit_env, unique
):
    """The day view reads 2026년 12월 3일 (목); the confirmation and its email
    are in Korean, and the booking remembers the patient's language."""
    with commit_env() as env:
        slug = make_type(env, unique).slug
    day = date.today() + timedelta(days=2)
    page = open_in(browser, odoo_server, "ko-KR", f"/appointment/{slug}?date={day.isoformat()}")
    try:
        expect(page.locator("html")).to_have_attribute("lang", "ko-KR")
        expect(page.locator(".o_clinic_appointment_day_label")).to_have_text(korean_day(day))
        page.locator(".o_clinic_appointment_slot_free").first.click()
        page.fill("#o_clinic_appointment_name", "김민지")
        page.fill("#o_clinic_appointment_email", f"minji.{unique}@example.com")
        page.click("form.o_clinic_appointment_form button[type=submit]")
        expect(page.locator(".o_clinic_appointment_confirmed h1")).to_be_visible()
        heading = translated(
            "clinic_appointment",
            "ko",
            '<i class="fa fa-check-circle text-success" aria-hidden="true"/> Your '
            "appointment is confirmed",
        )
        expect(page.locator(".o_clinic_appointment_confirmed h1")).to_have_text(
            heading.split("/>")[-1].strip()
        )
        expect(page.locator(".o_clinic_appointment_when")).to_contain_text(korean_day(day))
    finally:
        page.context.close()
    with commit_env() as env:
        appointment = env["clinic.appointment"].search(
            [("email", "=", f"minji.{unique}@example.com")]
        )
        assert appointment.lang == "ko_KR"
        mail = env["mail.mail"].search([("email_to", "=", appointment.email)])
        assert len(mail) == 1
        assert korean_day(day) in mail.subject, mail.subject
        assert "Your appointment" not in mail.subject
        assert "Your appointment" not in mail.body_html
        assert any("\uac00" <= char <= "\ud7a3" for char in mail.body_html), "Hangul in the body"


def test_a_french_day_view(browser, odoo_server, commit_env, unique):
    """The day is written the French way: jeudi 3 décembre 2026."""
    with commit_env() as env:
        slug = make_type(env, unique).slug
    day = date.today() + timedelta(days=3)
    page = open_in(browser, odoo_server, "fr-FR", f"/appointment/{slug}?date={day.isoformat()}")
    try:
        expect(page.locator(".o_clinic_appointment_day_label")).to_have_text(
            french_day(day), ignore_case=True
        )
        expect(page.locator(".o_clinic_appointment_slot_free").first).to_have_text(
            re.compile(r"^\s*\d\d:\d\d\s*$")
        )
    finally:
        page.context.close()


def test_the_language_selector_is_remembered(browser, odoo_server):
    """An English browser picks Français in the footer; the next visit of the
    check-in page is French without asking again."""
    page = open_in(browser, odoo_server, "en-US", "/lobby/smith-brown-inc")
    try:
        expect(page.locator("h1")).to_contain_text("Welcome to")
        page.locator(".js_language_selector button").click()
        page.locator(".js_language_selector a[data-url_code='fr']").click()
        expect(page.locator("h1")).to_contain_text(translated("clinic_lobby", "fr", "Welcome to"))
        page.goto("/lobby/smith-brown-inc")
        expect(page.locator("h1")).to_contain_text(translated("clinic_lobby", "fr", "Welcome to"))
        expect(page.locator("html")).to_have_attribute("lang", "fr-FR")
    finally:
        page.context.close()


def test_screenshots_in_french_and_korean(browser, odoo_server, screenshot):
    """The README's check-in page and day view, in French and in Korean."""
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    for locale, lang in (("fr-FR", "fr"), ("ko-KR", "ko")):
        page = open_in(browser, odoo_server, locale, "/lobby/smith-brown-inc")
        try:
            expect(page.locator("html")).to_have_attribute("lang", locale)
            screenshot(page, f"check-in-{lang}")
            page.goto(f"/appointment/video-consultation?date={monday.isoformat()}")
            expect(page.locator(".o_clinic_appointment_day_label")).to_have_text(
                french_day(monday) if lang == "fr" else korean_day(monday), ignore_case=True
            )
            screenshot(page, f"appointment-day-{lang}")
        finally:
            page.context.close()
