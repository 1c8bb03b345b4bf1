/* Praxisaustausch: the only script. Served from our host and loaded with `defer`;
   there are no inline scripts or event-handler attributes (strict CSP). The pages
   work without it; it only helps keyboard and screen-reader users. */
(function () {
  "use strict";

  // After a failed submit the error summary takes focus, so it is read out first.
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();

  // A link in the summary moves focus to its field and shows the field's label.
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
