"""Seed 001 end to end: a therapist and two patients in a group session's
chat, every action arriving live over the websocket; then one patient's
network drops, they keep writing, and once back nothing is missing or
doubled. The real server, its websocket, and Chromium.
"""

import re
from datetime import datetime, timedelta

from playwright.sync_api import expect
from test_video_call import leave_meetings


def make_session(env, unique):
    """A session starting now, led by Dr. Brown, with two patients who have
    password logins (the SMS login has its own tests)."""
    portal = env.ref("base.group_portal")
    users = env["res.users"].create(
        [
            {
                "name": name,
                "login": f"{login}-{unique}",
                "password": f"{login}-{unique}",
                "group_ids": [(6, 0, portal.ids)],
            }
            for name, login in (("Ada Patient", "ada"), ("Ben Patient", "ben"))
        ]
    )
    users.partner_id.write({"is_clinic_patient": True})
    brown = env["clinic.pro"].search([("user_id.login", "=", "brown")])
    session = env["clinic.therapy.session"].create(
        {
            "name": f"Evening group {unique}",
            "start": datetime.now() - timedelta(minutes=5),
            "duration": 60,
            "therapist_ids": [(6, 0, brown.ids)],
            "patient_ids": [(6, 0, users.partner_id.ids)],
        }
    )
    return session.id, users.mapped("login"), users.partner_id.ids


def open_session(login, user, session_id):
    page = login(user, f"/my/therapy/{session_id}")
    expect(page.locator(".o_clinic_therapy_chat")).to_be_visible()
    return page


def message(page, text):
    return page.locator(".o_clinic_therapy_message", has_text=text)


def send(page, text, to=None, typed=False):
    """Write and send a message (``typed``: key by key, as a person types)."""
    if to:
        page.locator(".o_clinic_therapy_to").select_option(label=f"{to} (private)")
    draft = page.locator(".o_clinic_therapy_draft")
    if typed:
        draft.press_sequentially(text)
    else:
        draft.fill(text)
    page.locator(".o_clinic_therapy_send").click()


def drop_and_come_back(brown, ada, ben):
    """Ben's network drops while he writes; his actions wait in his queue,
    then go once each when he is back, and he gets what he missed."""
    ben.context.set_offline(True)
    send(ben, "Offline one")
    send(ben, "Offline two")
    expect(ben.locator(".o_clinic_therapy_queued")).to_have_text("2 to send")
    send(brown, "Are you still with us, Ben?")
    ben.wait_for_timeout(1000)
    ben.context.set_offline(False)
    expect(message(brown, "Offline two")).to_be_visible(timeout=20000)
    expect(message(ben, "Are you still with us, Ben?")).to_be_visible(timeout=20000)
    expect(ben.locator(".o_clinic_therapy_queued")).to_have_count(0)
    for page in (brown, ada, ben):
        expect(message(page, "Offline one")).to_have_count(1)
        expect(message(page, "Offline two")).to_have_count(1)
    expect(message(ben, "Can we talk after the session?")).to_have_count(0)


def test_group_chat_live_private_reactions_deletes_and_offline(
    new_page, login, commit_env, unique, screenshot
):
    leave_meetings(commit_env, "brown")
    with commit_env() as env:
        session_id, (ada_login, ben_login), (ada_id, _ben_id) = make_session(env, unique)
    brown = open_session(login, "brown", session_id)
    ada = open_session(login, ada_login, session_id)
    ben = open_session(login, ben_login, session_id)
    # Presence: each sees the others come in.
    expect(brown.locator(".o_clinic_therapy_notice", has_text="Ben Patient joined")).to_be_visible()
    expect(
        brown.locator(f".o_clinic_therapy_participants [data-participant-id='{ada_id}']")
    ).to_have_attribute("data-present", "1")
    # The group call: each sees the two others.
    for page in (brown, ada, ben):
        remotes = page.locator(".o_clinic_meeting_remote[data-connection='connected']")
        expect(remotes).to_have_count(2, timeout=20000)
    ada.locator(".o_clinic_therapy_consent_yes").click()
    ben.locator(".o_clinic_therapy_consent_no").click()

    # A message, live everywhere.
    send(brown, "Welcome. How was your week, @Ada Patient?")
    for page in (ada, ben):
        expect(message(page, "How was your week")).to_be_visible()
    expect(message(ada, "How was your week")).to_have_class(
        re.compile("o_clinic_therapy_called_out")
    )
    # A reply, quoted.
    message(ada, "How was your week").locator(".o_clinic_therapy_reply").click()
    send(ada, "Better, I slept well.", typed=True)
    reply = message(ben, "Better, I slept well.")
    expect(reply.locator(".o_clinic_therapy_quote")).to_contain_text("How was your week")
    # A private message: Ben never sees it.
    send(ada, "Can we talk after the session?", to="Dr. Brown")
    expect(message(brown, "Can we talk after the session?")).to_contain_text("Private, to you")
    # A reaction, counted on the others' pages.
    reply.locator(".o_clinic_therapy_react[data-icon='heart']").click()
    expect(
        message(ada, "Better, I slept well.").locator(
            ".o_clinic_therapy_react[data-icon='heart'] .o_clinic_therapy_react_count"
        )
    ).to_have_text("1")
    # A read mark: the others saw the therapist's message.
    expect(message(brown, "How was your week").locator(".o_clinic_therapy_read")).to_have_text(
        "Seen by 2"
    )
    # A delete: gone for everyone.
    send(ben, "Oops, wrong window")
    expect(message(brown, "Oops, wrong window")).to_be_visible()
    message(ben, "Oops, wrong window").locator(".o_clinic_therapy_delete").click()
    expect(message(brown, "Oops, wrong window")).to_have_count(0)
    expect(brown.locator(".o_clinic_therapy_deleted")).to_have_count(1)
    screenshot(ada, "therapy-session")

    # Ben's network drops; he keeps writing; once back nothing is lost or doubled.
    new_page.expected_errors.append("net::ERR_INTERNET_DISCONNECTED")
    drop_and_come_back(brown, ada, ben)

    with commit_env() as env:
        actions = env["clinic.therapy.action"].search([("session_id", "=", session_id)])
        private = actions.filtered(lambda a: a.body == "Can we talk after the session?")
        assert set(private.audience_ids.mapped("name")) == {"Dr. Brown", "Ada Patient"}
        ada_message = actions.filtered(lambda a: a.body == "Better, I slept well.")
        ben_message = actions.filtered(lambda a: a.body == "Offline one")
        # Research capture with consent only.
        assert "".join(ada_message.sudo().character_history) == "Better, I slept well.", (
            "Ada consented: her keystrokes are kept"
        )
        assert ada_message.sudo().time_to_complete > 0
        assert not ben_message.sudo().character_history, "Ben refused: nothing kept"


def test_a_stranger_is_not_allowed_in(new_page, login, commit_env, unique):
    with commit_env() as env:
        session_id, _logins, _ids = make_session(env, unique)
    new_page.expected_errors.append("status of 403 (FORBIDDEN)")
    smith = login("smith", "/my")
    response = smith.goto(f"/my/therapy/{session_id}")
    assert response.status == 403
    expect(smith.locator(".o_clinic_therapy_not_allowed")).to_have_text(
        "You are not allowed in this session"
    )


def test_my_therapy_lists_sessions_and_assessments(login, commit_env, unique, screenshot):
    with commit_env() as env:
        session_id, (ada_login, _ben), _ids = make_session(env, unique)
        survey = env.ref("clinic_therapy.survey_post_session")
        env["clinic.therapy.assessment"].create(
            {"session_id": session_id, "survey_id": survey.id, "timing": "after"}
        )
    page = login(ada_login, "/my/therapy")
    item = page.locator(f".o_clinic_therapy_session_item[data-session-id='{session_id}']")
    expect(item).to_contain_text(f"Evening group {unique}")
    expect(item.locator(".o_clinic_therapy_assessment")).to_have_attribute(
        "data-status", "incomplete"
    )
    screenshot(page, "therapy-home")
    data = page.request.get("/my/therapy/sessions").json()
    (mine,) = [s for s in data["therapy_sessions"] if s["id"] == session_id]
    assert mine["assessments"][0]["name"] == "Post-session survey"
    assert mine["assessments"][0]["status"] == "incomplete"
    assert f"/my/therapy/{session_id}/assessment/" in mine["assessments"][0]["url"]
