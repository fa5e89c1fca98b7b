"""Seed 000 end to end: a stranger checks in, two pros see the queue live,
one joins, the other sees the meeting taken; through the real server,
websocket and Chromium."""

from playwright.sync_api import expect

LOBBY = "/lobby/smith-brown-inc"


def check_in(page, name, birthdate="1980-05-04"):
    page.fill("#o_clinic_name", name)
    page.fill("#o_clinic_birthdate", birthdate)
    page.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    page.wait_for_url("**/meeting/*")


def queue_item(page, name):
    return page.locator(".o_clinic_lobby_queue_item", has_text=name)


def test_stranger_checks_in_and_pros_see_it_live(new_page, login, unique, screenshot):
    smith = login("smith", "/my/clinic")
    brown = login("brown", "/my/clinic")
    expect(smith.locator(".o_clinic_lobby_no_current")).to_have_text(
        "Not currently in any meeting."
    )

    stranger = new_page(LOBBY)
    expect(stranger.locator("h1")).to_have_text("Welcome to Dr. Smith & Dr. Brown's Office!")
    screenshot(stranger, "check-in")
    name = f"John {unique}"
    check_in(stranger, name)
    expect(stranger.locator("h1")).to_have_text(f"Hello, {name}!")
    expect(stranger.locator(".o_clinic_lobby_welcome")).to_contain_text(
        "You are now in a meeting in Dr. Smith & Dr. Brown's Office."
    )
    expect(stranger.locator(".o_clinic_meeting_device_ok")).to_be_visible()
    screenshot(stranger, "waiting-room")

    # Both pros see the new meeting without reloading their page.
    expect(queue_item(smith, name)).to_be_visible()
    expect(queue_item(brown, name)).to_be_visible()
    screenshot(smith, "dashboard-queue")

    queue_item(smith, name).locator(".o_clinic_lobby_join").click()
    expect(smith.locator(".o_clinic_lobby_current_meeting")).to_contain_text(name)
    expect(queue_item(smith, name)).to_have_count(0)
    # Dr. Brown sees it leave his queue, taken: 2 participants, 1 pro.
    expect(queue_item(brown, name)).to_have_count(0)
    taken = brown.locator(".o_clinic_lobby_in_progress_item", has_text=name)
    expect(taken.locator(".o_clinic_lobby_participants")).to_have_text("2 participants, 1 pro")
    # The stranger's page follows along.
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "Dr. Smith joined your meeting."
    )
    screenshot(smith, "dashboard-current")

    smith.locator(".o_clinic_lobby_leave").click()
    expect(smith.locator(".o_clinic_lobby_no_current")).to_be_visible()
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "This visit has ended."
    )
