"""Seed 000 end to end: a stranger checks in, two pros see the queue live,
one joins, the other sees the meeting taken; through the real server,
websocket and Chromium."""

from datetime import date

from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect

LOBBY = "/lobby/smith-brown-inc"


def check_in(page, name, birthdate="1980-05-04"):
    """Check in on the lobby page; return the new meeting's id."""
    page.fill("#o_clinic_name", name)
    page.fill("#o_clinic_birthdate", birthdate)
    page.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    page.wait_for_url("**/meeting/*")
    return int(page.url.rsplit("/", 1)[1])


def queue_item(page, meeting_id):
    return page.locator(f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}']")


def test_stranger_checks_in_and_pros_see_it_live(new_page, login, screenshot):
    smith = login("smith", "/my/clinic")
    brown = login("brown", "/my/clinic")
    expect(smith.locator(".o_clinic_lobby_no_current")).to_have_text(
        "Not currently in any meeting."
    )

    stranger = new_page(LOBBY)
    expect(stranger.locator("h1")).to_have_text("Welcome to Dr. Smith & Dr. Brown's Office!")
    screenshot(stranger, "check-in")
    name = "John Carter"
    meeting_id = check_in(stranger, name)
    age = relativedelta(date.today(), date(1980, 5, 4)).years
    expect(stranger.locator("h1")).to_have_text(f"Hello, {name}!")
    expect(stranger.locator(".o_clinic_lobby_welcome")).to_contain_text(
        "You are now in a meeting in Dr. Smith & Dr. Brown's Office."
    )
    expect(stranger.locator(".o_clinic_meeting_device_ok")).to_be_visible()
    screenshot(stranger, "waiting-room")

    # Both pros see the new meeting without reloading their page.
    expect(queue_item(smith, meeting_id)).to_contain_text(f"{name}{age} y · waiting just now")
    expect(queue_item(brown, meeting_id)).to_be_visible()
    screenshot(smith, "dashboard-queue")

    queue_item(smith, meeting_id).locator(".o_clinic_lobby_join").click()
    expect(smith.locator(".o_clinic_lobby_current_meeting")).to_contain_text(name)
    expect(queue_item(smith, meeting_id)).to_have_count(0)
    # Dr. Brown sees it leave his queue, taken: 2 participants, 1 pro.
    expect(queue_item(brown, meeting_id)).to_have_count(0)
    taken = brown.locator(f".o_clinic_lobby_in_progress_item[data-meeting-id='{meeting_id}']")
    expect(taken.locator(".o_clinic_lobby_participants")).to_have_text("2 participants, 1 pro")
    # The stranger's page follows along.
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "Dr. Smith joined your meeting."
    )
    screenshot(smith, "dashboard-current")

    # Dr. Brown joins deliberately, as a second pro.
    taken.locator(".o_clinic_lobby_take_over").click()
    expect(
        brown.locator(".o_clinic_lobby_current_meeting .o_clinic_lobby_participants")
    ).to_have_text("3 participants, 2 pro")
    expect(
        smith.locator(".o_clinic_lobby_current_meeting .o_clinic_lobby_participants")
    ).to_have_text("3 participants, 2 pro")
    brown.locator(".o_clinic_lobby_leave").click()
    expect(brown.locator(".o_clinic_lobby_no_current")).to_be_visible()
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "Dr. Smith joined your meeting."
    )

    smith.locator(".o_clinic_lobby_leave").click()
    expect(smith.locator(".o_clinic_lobby_no_current")).to_be_visible()
    expect(smith.locator(".o_clinic_lobby_my_meeting", has_text=name)).to_contain_text("Done")
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "This visit has ended."
    )


def test_bad_input_is_explained_on_the_page(new_page):
    new_page.expected_errors.append("status of 400 (BAD REQUEST)")  # the refused form
    stranger = new_page(LOBBY)
    stranger.fill("#o_clinic_name", "   ")
    stranger.fill("#o_clinic_birthdate", "2999-01-01")
    stranger.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    expect(stranger.locator("#o_clinic_name_error")).to_have_text("Please enter your name.")
    expect(stranger.locator("#o_clinic_birthdate_error")).to_have_text(
        "Your date of birth cannot be in the future."
    )
    expect(stranger.locator("#o_clinic_name")).to_have_attribute("aria-invalid", "true")
    # Corrected, it goes through.
    check_in(stranger, "Ann Lee", "1975-01-31")
    expect(stranger.locator("h1")).to_have_text("Hello, Ann Lee!")


def test_pages_fit_a_phone(new_page, login):
    phone = {"width": 390, "height": 844}
    stranger = new_page(LOBBY, viewport=phone)
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert stranger.evaluate(fits)
    check_in(stranger, "Phone Patient")
    assert stranger.evaluate(fits)
    expect(stranger.locator(".o_clinic_meeting_device_ok")).to_be_visible()
    pro = login("brown", "/my/clinic", viewport=phone)
    expect(pro.locator(".o_clinic_lobby_queue_item", has_text="Phone Patient")).to_be_visible()
    assert pro.evaluate(fits)
