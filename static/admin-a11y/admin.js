// Fixes for the Django admin's own markup, found by axe-core (WCAG 2.2 AA).
//
// The "choose several" box (filter_horizontal) adds a magnifying-glass <span> with an
// aria-label, which a <span> may not carry without a role (aria-prohibited-attr): give it
// the role of an image. The box is built on the window's "load" event, so this runs after.
"use strict";
window.addEventListener("load", function () {
  window.setTimeout(function () {
    document.querySelectorAll("span.help-tooltip[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }, 0);
});
