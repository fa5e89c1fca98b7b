"""Waiting-room insight end to end: three strangers check in, each sees their
place in line, which moves without a reload as a pro takes the first and
another leaves; the pro's queue marks a long wait; the managers' live board
follows the queue. The real server, its websocket and Chromium.
"""

from datetime import datetime, timedelta

from playwright.sync_api import expect
from test_video_call import leave_meetings


def make_lobby(env, unique):
    """A lobby of Dr. Smith's, with a history of three 12-minute visits."""
    smith = env["clinic.pro"].search([("user_id.login", "=", "smith")])
    lobby = env["clinic.lobby"].create(
        {
            "name": f"Insight office {unique}",
            "slug": f"insight-{unique}",
            "pro_ids": [(6, 0, smith.ids)],
        }
    )
    now = datetime.now()
    for n in range(3):
        joined = now - timedelta(hours=2, minutes=20 * n)
        env["clinic.meeting"].create(
            {
                "name": f"Earlier {n}",
                "lobby_id": lobby.id,
                "state": "done",
                "checked_in_at": joined - timedelta(minutes=3),
                "first_pro_joined_at": joined,
                "ended_at": joined + timedelta(minutes=12),
            }
        )
    return lobby.slug


def check_in(page, name):
    page.fill("#o_clinic_name", name)
    page.fill("#o_clinic_birthdate", "1980-05-04")
    page.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    page.wait_for_url("**/meeting/*")
    return int(page.url.rsplit("/", 1)[1])


def place(page):
    return page.locator(".o_clinic_insight_position")


def test_three_strangers_see_their_place_move(new_page, login, commit_env, unique, screenshot):
    leave_meetings(commit_env, "smith")
    with commit_env() as env:
        slug = make_lobby(env, unique)
    # Dr. Smith is on the dashboard: an active pro.
    smith = login("smith", "/my/clinic")
    strangers = []
    for name in ("Ana", "Bo", "Cy"):
        page = new_page(f"/lobby/{slug}")
        meeting_id = check_in(page, f"{name} {unique}")
        strangers.append((page, meeting_id))
    (ana, ana_id), (bo, _bo_id), (cy, _cy_id) = strangers
    expect(place(ana)).to_have_text("Your turn is next.")
    expect(place(bo)).to_have_text("You are 2nd in line.")
    expect(place(cy)).to_have_text("You are 3rd in line.")
    expect(cy.locator(".o_clinic_insight_wait")).to_contain_text("Expected wait: about")
    screenshot(cy, "insight-place-in-line")

    # The pro takes Ana: Bo is next, Cy second, without a reload.
    smith.locator(
        f".o_clinic_lobby_queue_item[data-meeting-id='{ana_id}'] .o_clinic_lobby_join"
    ).click()
    expect(place(bo)).to_have_text("Your turn is next.")
    expect(place(cy)).to_have_text("You are 2nd in line.")
    # Bo leaves: Cy moves up.
    bo.locator(".o_clinic_meeting_call_leave").click()
    expect(place(cy)).to_have_text("Your turn is next.")
    smith.locator(".o_clinic_lobby_leave").click()


def test_long_waits_are_marked_and_the_board_follows(
    new_page, login, commit_env, unique, screenshot
):
    leave_meetings(commit_env, "smith")
    with commit_env() as env:
        slug = make_lobby(env, unique)
    stranger = new_page(f"/lobby/{slug}")
    meeting_id = check_in(stranger, f"Dee {unique}")
    with commit_env() as env:
        env["clinic.meeting"].browse(meeting_id).checked_in_at = datetime.now() - timedelta(
            minutes=25
        )
    smith = login("smith", "/my/clinic")
    item = smith.locator(f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}']")
    expect(item.locator(".o_clinic_insight_over_target")).to_have_text("Waiting over 10 min")

    admin = login("admin", "/odoo")
    admin.goto("/odoo/action-clinic_insight.clinic_insight_board_action")
    card = admin.locator(".o_clinic_insight_lobby", has_text=f"Insight office {unique}")
    expect(card.locator(".o_clinic_insight_waiting")).to_have_text("1")
    expect(card.locator(".o_clinic_insight_longest")).to_contain_text("25")
    screenshot(admin, "insight-board")
    # A second stranger checks in: the board moves without a reload.
    check_in(new_page(f"/lobby/{slug}"), f"Eve {unique}")
    expect(card.locator(".o_clinic_insight_waiting")).to_have_text("2")

    admin.goto("/odoo/action-clinic_insight.clinic_insight_visit_action")
    expect(admin.locator("div.o_pivot")).to_contain_text("Wait (median)")
    screenshot(admin, "insight-report")
