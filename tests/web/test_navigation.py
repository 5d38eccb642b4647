"""The navigation bar: one list of links grouped into a few menus per role; menus are
<details> elements (no JavaScript needed), the current page's menu is marked, and
clinicians and visitors see a short flat bar."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.web.browser import browser_page, click_nav, serve
from tests.web.security.conftest import PASSWORD, Env, add_password_user, build_env
from weibao.core import migrate
from weibao.core.db import Database
from weibao.web.i18n import MESSAGES
from weibao.web.navigation import FLAT_UP_TO, GROUPS, MENU_FROM, NAV_ITEMS, nav_for, nav_groups_for
from weibao.web.security.policy import iter_api_routes

ROLES = ("anonymous", "clinician", "hospital_it", "engineer", "manager", "admin")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("navigation")
    url = f"sqlite:///{tmp / 'nav.db'}"
    migrate.upgrade(Database(url).engine)
    built = build_env(tmp, url)
    yield built
    built.database.engine.dispose()


def test_every_link_sits_in_a_known_menu_with_a_label_in_both_languages() -> None:
    assert {item.group for item in NAV_ITEMS} <= set(GROUPS)
    for label in (*GROUPS.values(), *(item.label for item in NAV_ITEMS)):
        assert MESSAGES[label]["zh"] and MESSAGES[label]["en"], label


@pytest.mark.parametrize("role", ROLES)
def test_grouping_keeps_every_link_of_the_role_once(role: str) -> None:
    grouped = [item for group in nav_groups_for(role) for item in group.items]
    assert grouped == sorted(nav_for(role), key=lambda item: list(GROUPS).index(item.group))
    assert len({item.href for item in grouped}) == len(grouped)
    for group in nav_groups_for(role):
        assert not group.menu or len(group.items) >= MENU_FROM


def test_staff_see_a_few_menus_and_reporters_a_short_flat_bar() -> None:
    admin = nav_groups_for("admin")
    assert [g.key for g in admin] == list(GROUPS) and all(g.menu for g in admin)
    assert max(len(g.items) for g in admin) <= 8 < len(nav_for("admin"))
    for role in ("anonymous", "clinician"):
        assert len(nav_for(role)) <= FLAT_UP_TO and not any(g.menu for g in nav_groups_for(role))
    assert {g.key for g in nav_groups_for("clinician")} == {"tickets", "knowledge"}
    manager = {g.key: g for g in nav_groups_for("manager")}
    assert not manager["admin"].menu and [i.href for i in manager["admin"].items] == ["/audit"]


def test_every_link_is_a_page_of_the_app(env: Env) -> None:
    pages = {route.path for route in iter_api_routes(env.app.routes) if "GET" in route.methods}
    assert {item.href for item in NAV_ITEMS} <= pages


def _nav(html: str) -> str:
    return re.findall(r"<nav[^>]*>(.*?)</nav>", html, re.S)[0]


@pytest.mark.parametrize("lang, labels", [("zh", ("工单", "知识", "服务", "运维", "管理")),
                                          ("en", ("Tickets", "Knowledge", "Service", "Operations", "Admin"))])
def test_menus_render_as_details_with_the_current_one_marked(env: Env, lang: str, labels: tuple[str, ...]) -> None:
    html = env.client("admin").get("/reports", params={"lang": lang}).text
    nav = _nav(html)
    summaries = re.findall(r"<summary[^>]*>([^<]*)", nav)
    assert summaries == list(labels)
    current = re.findall(r'<details class="nav-group current" data-group="(\w+)"', nav)
    assert current == ["service"] and 'aria-current="page">' in nav and " open" not in nav
    assert re.search(r'<a href="/reports" class="current" aria-current="page">', nav)
    # A page below a menu's link (a ticket under /tickets) marks that menu too.
    ticket = env.new_ticket()
    nav = _nav(env.client("admin").get(f"/tickets/{ticket}", params={"lang": lang}).text)
    assert re.findall(r'<details class="nav-group current" data-group="(\w+)"', nav) == ["tickets"]


def test_clinician_bar_is_flat_without_staff_links(env: Env) -> None:
    nav = _nav(env.client("clinician").get("/home").text)
    assert "<details" not in nav
    assert {"/home", "/tickets", "/tickets/new", "/"} == set(re.findall(r'<a href="(/[^"]*)"', nav)) - {"/login"}


@pytest.mark.slow
def test_admin_opens_a_menu_and_reaches_a_page_a_clinician_sees_no_staff_menus(env: Env) -> None:
    add_password_user(env, "admin_nav", "admin")
    add_password_user(env, "nurse_nav", "clinician", hospital_id="h-a")
    with serve(env.app) as base, browser_page() as page:
        def sign_in(username: str) -> None:
            page.context.clear_cookies()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.keyboard.press("Enter")

        sign_in("admin_nav")
        contracts = page.locator("header.top nav a[href='/contracts']")
        assert not contracts.is_visible()  # inside the closed 服务 menu
        page.locator("header.top nav details[data-group=service] > summary").click()
        assert contracts.is_visible()
        with page.expect_navigation():
            contracts.click()
        assert page.url.endswith("/contracts")
        assert page.locator("header.top nav details.current > summary").inner_text().startswith("服务")
        # The keyboard opens a menu as well: Enter on the summary.
        page.locator("header.top nav details[data-group=admin] > summary").focus()
        page.keyboard.press("Enter")
        assert page.locator("header.top nav a[href='/audit']").is_visible()
        click_nav(page, "/audit")
        assert page.url.endswith("/audit")
        # Narrow screen: the menu opens in the flow of the page, inside the viewport.
        page.set_viewport_size({"width": 360, "height": 740})
        page.locator("header.top nav details[data-group=operations] > summary").click()
        box = page.locator("header.top nav a[href='/changes']").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360

        sign_in("nurse_nav")
        assert page.locator("header.top nav details").count() == 0
        bar = page.locator("header.top nav").inner_text()
        assert "我的工单" in bar and "报修" in bar
        for staff in ("/queue", "/admin/engineers", "/contracts", "/audit", "/inspections"):
            assert page.locator(f"header.top nav a[href='{staff}']").count() == 0
