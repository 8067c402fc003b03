// Starts Redoc on /api/v1/redoc/ (templates/api/redoc.html): a file, since the Content
// Security Policy allows no inline script. Redoc adds its styles as <style> elements; they
// carry the nonce this script was loaded with, the only inline styles the page's policy allows.
"use strict";
(function () {
  var container = document.getElementById("redoc-container");
  window.Redoc.init(
    container.getAttribute("data-spec-url"),
    { nonce: document.currentScript.nonce },
    container
  );
})();
