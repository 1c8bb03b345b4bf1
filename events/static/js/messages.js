/* Messages: a send form submits once. A second click while the first request is on its
   way would send the message twice (the server refuses a repeated send only after the
   first one has answered). Without JavaScript the server's one-time value still stops
   a reloaded POST. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-send-once]");
  Array.prototype.forEach.call(forms, function (form) {
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) {
        event.preventDefault();
        return;
      }
      sent = true;
      form.setAttribute("aria-busy", "true");
    });
  });
})();
