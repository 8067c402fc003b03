"""Drive a page with the keyboard alone, as someone who uses no mouse would.

Only Tab (and Shift+Tab), Enter and Space move and act; the arrow keys move within a group
of radios, as they do for everyone. Nothing here clicks or navigates by address: a journey
starts with one `page.goto` and reaches everything else from there.

Each step Tabs forward until the focused element is the one wanted (by its role and its
accessible name, as a screen reader would announce it), checks that the focus can be seen,
then acts on it. A step that Tabs all the way round the page without finding it fails,
naming what it was looking for: a control missing from the Tab order is the bug.

    from tests.browser import keyboard as kb
    kb.follow(page, "Humber")                     # a link: Tab to it, Enter
    kb.type_into(page, "Title", "Heat pumps")     # a text box, by its label
    kb.tick(page, "Energy efficiency")            # a checkbox: Space
    kb.choose(page, "Business")                   # a radio: Tab into its group, arrows, Space
    kb.press(page, "Save and check")              # a button: Enter, and wait for the page
"""

import re

MAX_TABS = 250

# The focused element's role and name: roughly what the accessibility tree says, enough for
# the site's own controls (links, buttons, inputs with <label>, radios and checkboxes).
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute("type") || "").toLowerCase();
  let role = el.getAttribute("role") || (
    tag === "a" ? "link" :
    tag === "button" || (tag === "input" && ["submit", "button"].includes(type)) ? "button" :
    tag === "select" ? "combobox" :
    tag === "input" && type === "checkbox" ? "checkbox" :
    tag === "input" && type === "radio" ? "radio" :
    tag === "input" || tag === "textarea" ? "textbox" : tag);
  let name = el.getAttribute("aria-label") || "";
  if (!name && el.labels && el.labels.length) name = el.labels[0].innerText;
  if (!name && tag === "input" && ["submit", "button"].includes(type)) name = el.value;
  if (!name) name = el.innerText || "";
  const style = getComputedStyle(el);
  const visible = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none" || style.backgroundColor === "rgb(255, 221, 0)";
  return {role, name: name.replace(/\\s+/g, " ").trim(), visible, url: location.href};
}"""


def focused(page) -> dict | None:
    """The role and accessible name of what has the focus now, and whether it shows."""
    return page.evaluate(_FOCUSED)


def _matches(found, role, name) -> bool:
    if found is None or found["role"] != role:
        return False
    if isinstance(name, re.Pattern):
        return bool(name.search(found["name"]))
    return found["name"] == name


def tab_to(page, role: str, name, *, max_tabs: int = MAX_TABS) -> dict:
    """Press Tab until the element with this role and name has the focus."""
    seen = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        found = focused(page)
        if _matches(found, role, name):
            assert found["visible"], f"The focus on {role} {name!r} cannot be seen"
            return found
        seen.append(found and f"{found['role']} {found['name'][:40]!r}")
    raise AssertionError(
        f"Tabbed {max_tabs} times and never reached the {role} {name!r} on {page.url}; "
        f"passed: {seen[:60]}"
    )


def _wait_for_new_page(page, act):
    with page.expect_navigation():
        act()
    page.wait_for_load_state()


def follow(page, name, *, role: str = "link"):
    """Tab to a link (or a link styled as a button: role="button") and press Enter."""
    tab_to(page, role, name)
    _wait_for_new_page(page, lambda: page.keyboard.press("Enter"))


def press(page, name, *, navigates: bool = True):
    """Tab to a button and press Enter (a form's submit button sends the form)."""
    tab_to(page, "button", name)
    if navigates:
        _wait_for_new_page(page, lambda: page.keyboard.press("Enter"))
    else:
        page.keyboard.press("Enter")


def type_into(page, label, text: str, *, role: str = "textbox"):
    """Tab to a text box (or textarea) by its label and type, as a person would."""
    tab_to(page, role, label)
    page.keyboard.type(text)


def tick(page, label):
    """Tab to a checkbox by its label and press Space to tick it."""
    tab_to(page, "checkbox", label)
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked"), f"{label!r} did not tick"


def choose(page, label, *, max_arrows: int = 20):
    """Choose a radio: Tab into its group, then arrow down to the one wanted.

    A radio group is a single Tab stop: Tab lands on its checked radio (or its first), and
    the arrow keys move between its radios and choose as they go. The group is found by
    reading the page (the wanted radio's name), so other groups on the way are left alone.
    """
    group = page.get_by_label(label, exact=True).get_attribute("name")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == group:
            break
    else:
        raise AssertionError(f"Tab never reached the radios of {label!r} on {page.url}")
    for _ in range(max_arrows):
        found = focused(page)
        if _matches(found, "radio", label):
            assert found["visible"], f"The focus on radio {label!r} cannot be seen"
            page.keyboard.press("Space")
            assert page.evaluate("document.activeElement.checked")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"The arrow keys never reached the radio {label!r}")
