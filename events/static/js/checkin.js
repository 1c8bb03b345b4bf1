/* Check-in: filter the list as one types. Without this file the search box is a plain
   GET form (?q=) and everything works the same, one request per search. */
(function () {
  "use strict";

  var form = document.querySelector("[data-checkin-search]");
  var list = document.querySelector(".app-checkin-list");
  if (!form || !list) {
    return;
  }
  var box = form.querySelector("input[type='search']");
  var rows = Array.prototype.slice.call(list.querySelectorAll("[data-search]"));
  var none = document.querySelector("[data-checkin-none]");
  var status = document.querySelector("[data-checkin-matches]");
  var timer = null;

  // The same folding as the server (services.attendance.fold): no case, no accents.
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/ß/g, "ss").split(/\s+/).filter(Boolean);
  }

  function announce(count) {
    if (!status) {
      return;
    }
    status.textContent = count === 1 ? status.getAttribute("data-one")
      : status.getAttribute("data-many").replace("{n}", String(count));
  }

  function filter() {
    var words = fold(box.value);
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    if (none) {
      none.hidden = shown !== 0;
    }
    // A tap on "Da" comes back to the same search.
    document.querySelectorAll("[data-checkin-query]").forEach(function (input) {
      input.value = box.value.trim();
    });
    if (window.history && window.history.replaceState) {
      var url = new URL(window.location.href);
      if (box.value.trim()) {
        url.searchParams.set("q", box.value.trim());
      } else {
        url.searchParams.delete("q");
      }
      url.hash = "";
      window.history.replaceState(null, "", url.toString());
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { announce(shown); }, 500);
  }

  box.addEventListener("input", filter);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    filter();
  });

  // Back from a tap: keep the person's row in view and its button focused. After the
  // load, because the browser's own jump to the #fragment clears the focus.
  function focusRow() {
    if (window.location.hash.indexOf("#person-") !== 0) {
      return;
    }
    var row = document.getElementById(window.location.hash.slice(1));
    var button = row && row.querySelector("button");
    if (button) {
      button.focus({ preventScroll: true });
    }
  }
  window.addEventListener("load", function () { window.setTimeout(focusRow, 0); });
})();
