// Loaded as a classic (non-module) script as the first thing in <body>, so
// that no inline script is needed (Content Security Policy friendly).
// Equivalent to the inline script in GOV.UK Frontend's page template.
(function () {
  var body = document.body;
  body.classList.add("js-enabled");
  if ("noModule" in HTMLScriptElement.prototype) {
    body.classList.add("govuk-frontend-supported");
  }
})();
