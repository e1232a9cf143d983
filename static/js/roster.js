/* Roster: mark people without reloading the page, and filter the list as you type.
   Without this script the same forms post normally and come back to the row. */
(function () {
  "use strict";
  var list = document.getElementById("roster");
  if (!list) return;
  var message = document.getElementById("roster-message");
  var noneFound = document.querySelector(".roster-none-found");

  var hideLater = null;
  function say(text, failed) {
    if (!message) return;
    message.textContent = text;
    message.hidden = !text;
    message.classList.toggle("failed", !!failed);
    clearTimeout(hideLater);
    hideLater = setTimeout(function () { message.hidden = true; }, failed ? 8000 : 3000);
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("js-mark") || !window.fetch || !event.submitter) return;
    event.preventDefault();
    var data = new FormData(form);
    data.set(event.submitter.name, event.submitter.value);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json();
    }).then(function (reply) {
      if (reply.row) {
        var row = document.getElementById("row-" + reply.key);
        if (row) row.outerHTML = reply.row;
      } else {
        buttons.forEach(function (b) { b.disabled = false; });
      }
      ["counts", "changes"].forEach(function (part) {
        var old = document.getElementById("roster-" + part);
        if (reply[part] && old) old.outerHTML = reply[part];
      });
      say(reply.message, !reply.ok);
    }).catch(function () {
      form.submit();  /* fall back to an ordinary post (without the button's status) */
    });
  });

  var search = document.getElementById("roster-q");
  if (search) {
    search.addEventListener("input", function () {
      var query = search.value.trim().toLowerCase();
      var digits = /^\d+$/.test(query);
      var shown = 0;
      list.querySelectorAll(".roster-row").forEach(function (row) {
        var match = !query;
        if (query && digits) {
          var phone = row.getAttribute("data-phone") || "";
          match = phone.slice(-query.length) === query || (query.length === 8 && row.getAttribute("data-code") === query);
        } else if (query) {
          match = (row.getAttribute("data-name") || "").toLowerCase().indexOf(query) !== -1;
        }
        row.hidden = !match;
        if (match) shown += 1;
      });
      if (noneFound) noneFound.hidden = shown > 0;
    });
  }
})();
