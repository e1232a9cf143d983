// Site-wide behaviour, loaded on every page (no inline scripts: the site's Content-Security-Policy
// forbids them). Everything here improves a page that already works without JavaScript.
(function () {
  "use strict";

  // Confirmations. A link marked data-confirm leads to a confirmation page (which works on
  // its own); with JavaScript the page's .confirm-panel opens in a dialog over the current
  // page instead, and "keep" links (data-confirm-keep) just close it.
  function openConfirmation(link) {
    fetch(link.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var panel = page.querySelector(".confirm-panel");
        if (!panel) throw new Error("no confirmation");
        var dialog = document.createElement("dialog");
        dialog.className = "confirm-dialog";
        dialog.appendChild(document.importNode(panel, true));
        var heading = dialog.querySelector("h1, h2");
        if (heading) {
          heading.id = heading.id || "confirm-dialog-title";
          dialog.setAttribute("aria-labelledby", heading.id);
        }
        dialog.querySelectorAll("[data-confirm-keep]").forEach(function (keep) {
          keep.addEventListener("click", function (event) {
            event.preventDefault();
            dialog.close();
          });
        });
        dialog.addEventListener("close", function () {
          dialog.remove();
          link.focus();
        });
        document.body.appendChild(dialog);
        dialog.showModal();
        var first = dialog.querySelector("[data-confirm-keep]") || dialog.querySelector("button");
        if (first) first.focus();
      })
      .catch(function () { window.location.assign(link.href); });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-confirm]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (typeof HTMLDialogElement !== "function" || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    openConfirmation(link);
  });

  // Print buttons (rosters, booking lists): hidden without JavaScript, where the
  // browser's own Print menu does the same.
  function ready() {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
