"""Seed 002 end to end: a stranger books a video appointment on the public
day view, gets the confirmation email with the join link and the calendar
file, the pro sees the booking in their day, starts the call within the hour
before, and both sides see and hear each other; through the real server,
websocket and Chromium.

Each test makes its own appointment type (its own slug), open around the
clock with no notice, so that a slot is free whenever the test runs. Time is
not frozen in a separate server process: a test moves its appointment to a
few minutes from now in the database instead.
"""

import re
from datetime import date, datetime, timedelta

import pytz
from playwright.sync_api import expect
from test_video_call import assert_media_flows, keep_peer_connections, leave_meetings, remote

DEMO_TYPE = "/appointment/video-consultation"


def make_type(env, unique, pros=("smith", "brown"), tz="Europe/Brussels"):
    """A type of 30-minute appointments bookable at any hour of any day."""
    calendar = env["resource.calendar"].create(
        {
            "name": f"Around the clock {unique}",
            "tz": tz,
            "attendance_ids": [(5, 0, 0)]
            + [
                (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 24})
                for day in range(7)
            ],
        }
    )
    return env["clinic.appointment.type"].create(
        {
            "name": f"Test consultation {unique}",
            "slug": f"test-consultation-{unique}",
            "resource_calendar_id": calendar.id,
            "min_notice_hours": 0,
            "max_days_ahead": 30,
            "pro_ids": [(6, 0, env["clinic.pro"].search([("user_id.login", "in", pros)]).ids)],
        }
    )


def book_first_free_slot(page, name, email, comment=""):
    """On a day view: choose the first free time, fill the form, book."""
    page.locator(".o_clinic_appointment_slot_free").first.click()
    expect(page.locator("form.o_clinic_appointment_form")).to_be_visible()
    page.fill("#o_clinic_appointment_name", name)
    page.fill("#o_clinic_appointment_email", email)
    page.fill("#o_clinic_appointment_comment", comment)
    page.click("form.o_clinic_appointment_form button[type=submit]")
    expect(page.locator(".o_clinic_appointment_confirmed h1")).to_have_text(
        "Your appointment is confirmed"
    )
    return re.search(r"/appointment/visit/([^/]+)/confirmed", page.url)[1]


def assert_confirmation_email(env, appointment, token):
    """The confirmation email waits in the mail queue, with the join link and
    the calendar file."""
    mail = env["mail.mail"].search([("email_to", "=", appointment.email)])
    assert len(mail) == 1, "one confirmation email"
    assert f"/appointment/visit/{token}" in mail.body_html
    assert f"/appointment/visit/{token}/cancel" in mail.body_html
    (ics,) = mail.attachment_ids.filtered(lambda a: a.name == "appointment.ics")
    ics_text = ics.raw.decode().replace("\r\n ", "")  # unfold long lines
    assert f"UID:clinic-appointment-{appointment.id}@" in ics_text
    assert "DTSTART;TZID=Europe/Brussels:" in ics_text
    assert f"/appointment/visit/{token}" in ics_text


def move_to_soon(env, appointment, minutes=5):
    """Move ``appointment`` to start in ``minutes`` (the database refuses a
    double booking: what earlier runs of these tests left at that time, with
    its pro, is cancelled first)."""
    start = datetime.now().replace(microsecond=0) + timedelta(minutes=minutes)
    stop = start + timedelta(minutes=appointment.type_id.duration)
    env["clinic.appointment"].search(
        [
            ("id", "!=", appointment.id),
            ("pro_id", "=", appointment.pro_id.id),
            ("state", "!=", "cancelled"),
            ("start", "<", stop),
            ("stop", ">", start),
        ]
    ).action_cancel()
    appointment.write({"start": start, "stop": stop})
    return appointment.pro_id


def pro_page(login, commit_env, login_name):
    """The pro's dashboard, the pro out of any meeting a failed test left."""
    leave_meetings(commit_env, login_name)
    page = login(login_name, "/my/clinic")
    keep_peer_connections(page)
    page.reload()
    return page


def show_day(page, day):
    """Move the pro's *Appointments* to ``day`` with the arrows."""
    day_label = page.locator(".o_clinic_appointment_pro_day")
    expect(day_label).to_have_attribute("data-day", re.compile(r"\d{4}-\d{2}-\d{2}"))
    shown = date.fromisoformat(day_label.get_attribute("data-day"))
    assert shown <= day <= shown + timedelta(days=31), f"{day} is far from {shown}"
    while shown < day:
        page.locator(".o_clinic_appointment_pro_next").click()
        shown += timedelta(days=1)
        expect(day_label).to_have_attribute("data-day", shown.isoformat(), timeout=15000)


def day_item(page, appointment_id):
    return page.locator(f".o_clinic_appointment_pro_item[data-appointment-id='{appointment_id}']")


def test_stranger_books_and_meets_the_pro_by_video(new_page, login, commit_env, unique):
    with commit_env() as env:
        slug = make_type(env, unique).slug
    stranger = new_page(f"/appointment/{slug}")
    expect(stranger.locator(".o_clinic_appointment_tz")).to_contain_text("Europe/Brussels")
    # Today: no going back; every slot listed, the past ones cannot be chosen.
    expect(stranger.locator(".o_clinic_appointment_previous")).to_have_count(0)
    expect(stranger.locator(".o_clinic_appointment_slot_taken").first).to_be_visible()
    name, email = f"Nora Quinn {unique}", f"nora.{unique}@example.com"
    token = book_first_free_slot(stranger, name, email, "A rash that will not go away.")

    with commit_env() as env:
        appointment = env["clinic.appointment"]._get_by_token(token)
        assert appointment.patient_name == name and appointment.state == "confirmed"
        assert appointment.calendar_event_id.partner_ids == appointment.pro_id.user_id.partner_id
        assert_confirmation_email(env, appointment, token)
        appointment_id, pro_login = appointment.id, appointment.pro_id.user_id.login
        booked_start = appointment.start

    # The pro sees the booking in their day, live: Start call (within the hour before).
    pro = pro_page(login, commit_env, pro_login)
    local_day = pytz.utc.localize(booked_start).astimezone(pytz.timezone("Europe/Brussels"))
    show_day(pro, local_day.date())
    item = day_item(pro, appointment_id)
    expect(item).to_contain_text(name)
    expect(item).to_contain_text(email)
    expect(item).to_contain_text("A rash that will not go away.")

    # The appointment moves to 5 minutes from now: the patient's link opens the call.
    with commit_env() as env:
        appointment = env["clinic.appointment"].browse(appointment_id)
        pro_login = move_to_soon(env, appointment).user_id.login
    pro.close()
    pro = pro_page(login, commit_env, pro_login)
    expect(day_item(pro, appointment_id).locator(".o_clinic_appointment_start")).to_be_visible()

    keep_peer_connections(stranger)
    stranger.goto(f"/appointment/visit/{token}")
    expect(stranger.locator(".o_clinic_meeting_call")).to_have_attribute("data-phase", "joined")
    expect(stranger.locator(".o_clinic_meeting_call_alone_message")).to_be_visible()

    day_item(pro, appointment_id).locator(".o_clinic_appointment_start").click()
    expect(pro.locator(".o_clinic_lobby_current_meeting")).to_contain_text(name)
    expect(remote(stranger, "pro")).to_have_attribute("data-connection", "connected")
    expect(remote(pro, "patient")).to_have_attribute("data-connection", "connected")
    expect(remote(pro, "patient")).to_contain_text(name)
    assert_media_flows(stranger, "the patient")
    assert_media_flows(pro, "the pro")

    # The pro ends the call: the patient's page says so, the link says it is over.
    pro.locator(".o_clinic_lobby_leave").click()
    expect(stranger.locator(".o_clinic_meeting_call_ended")).to_have_text("This visit has ended.")
    stranger.goto(f"/appointment/visit/{token}")
    expect(stranger.locator(".o_clinic_appointment_is_over")).to_have_text(
        "This appointment is over"
    )


def test_pro_cancels_and_the_time_is_free_again(new_page, login, commit_env, unique):
    with commit_env() as env:
        slug = make_type(env, unique, pros=("brown",)).slug
    stranger = new_page(f"/appointment/{slug}")
    first_free = stranger.locator(".o_clinic_appointment_slot_free").first.get_attribute(
        "data-start"
    )
    token = book_first_free_slot(stranger, f"Owen Price {unique}", f"owen.{unique}@example.com")
    stranger.goto(f"/appointment/{slug}")
    taken = stranger.locator(f".o_clinic_appointment_slot[data-start='{first_free}']")
    expect(taken).to_have_class(re.compile("o_clinic_appointment_slot_taken"))

    with commit_env() as env:
        appointment = env["clinic.appointment"]._get_by_token(token)
        appointment_id = appointment.id
    brown = pro_page(login, commit_env, "brown")
    item = day_item(brown, appointment_id)
    item.locator(".o_clinic_appointment_cancel").click()
    item.locator(".o_clinic_appointment_reason").fill("Dr. Brown is ill today.")
    item.locator(".o_clinic_appointment_cancel_confirm").click()
    expect(item).to_have_count(0)

    stranger.goto(f"/appointment/{slug}")
    expect(
        stranger.locator(f".o_clinic_appointment_slot[data-start='{first_free}']")
    ).to_have_class(re.compile("o_clinic_appointment_slot_free"))
    stranger.goto(f"/appointment/visit/{token}")
    expect(stranger.locator(".o_clinic_appointment_is_cancelled")).to_be_visible()
    with commit_env() as env:
        appointment = env["clinic.appointment"].browse(appointment_id)
        assert appointment.state == "cancelled"
        assert not appointment.calendar_event_id
        mail = env["mail.mail"].search(
            [("email_to", "=", appointment.email), ("subject", "ilike", "cancelled")]
        )
        assert "Dr. Brown is ill today." in mail.body_html


def test_the_demo_day_view_form_and_confirmation(new_page, login, screenshot, unique):
    """The demo's video consultations, as the README shows them."""
    tz = pytz.timezone("Europe/Brussels")
    today = datetime.now(tz).date()
    monday = today + timedelta(days=7 - today.weekday())  # the demo books next Monday
    stranger = new_page(f"{DEMO_TYPE}?date={monday.isoformat()}")
    expect(stranger.locator(".o_clinic_appointment_day_label")).to_contain_text("Monday")
    # Both doctors are booked at 10:00 in the demo: taken, shown, not a link.
    expect(stranger.locator(".o_clinic_appointment_slot_taken")).to_contain_text(["10:00"])
    expect(stranger.locator(".o_clinic_appointment_slot_free")).not_to_have_count(0)
    screenshot(stranger, "appointment-day")
    # 2:00 PM on a fresh database; a later free time where earlier runs booked it.
    free = stranger.locator(".o_clinic_appointment_slot_free")
    chosen = free.filter(has_text=re.compile(r"^\s*2:00\s*PM\s*$"))
    slot = chosen if chosen.count() else free.last
    time = " ".join(slot.inner_text().split())  # "2:00 PM": English (US) reads 12 hours
    end = (datetime.strptime(time, "%I:%M %p") + timedelta(minutes=30)).strftime("%I:%M %p")
    end = end.lstrip("0")
    slot.click()
    stranger.fill("#o_clinic_appointment_name", "Grace Hopper")
    stranger.fill("#o_clinic_appointment_email", f"grace.{unique}@example.com")
    stranger.fill("#o_clinic_appointment_comment", "Follow-up of my knee surgery.")
    screenshot(stranger, "appointment-form")
    stranger.click("form.o_clinic_appointment_form button[type=submit]")
    when = stranger.locator(".o_clinic_appointment_when")
    expect(when).to_contain_text(f"{time}\N{EN DASH}{end}")
    screenshot(stranger, "appointment-confirmed")
    pro_name = stranger.locator(".o_clinic_appointment_pro").inner_text()
    login_name = "smith" if "Smith" in pro_name else "brown"

    pro = login(login_name, "/my/clinic")
    show_day(pro, monday)
    booking = pro.locator(".o_clinic_appointment_pro_item", has_text=f"grace.{unique}@")
    expect(booking).to_contain_text(f"{time}\N{EN DASH}{end}")
    screenshot(pro, "appointment-pro-day")


def test_the_day_view_fits_a_phone(new_page):
    page = new_page(DEMO_TYPE, viewport={"width": 375, "height": 740})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the day view is {width}px wide on a 375px phone"
