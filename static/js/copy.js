// Copy buttons for the calendar subscribe boxes (templates/calendar/_subscribe.html).
// Without JavaScript the buttons stay hidden and the address can be selected by hand.
(function () {
  if (window.linliCopyReady) return;
  window.linliCopyReady = true;

  function copy(field) {
    field.focus();
    field.select();
    field.setSelectionRange(0, field.value.length);
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject();
  }

  function ready() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.dataset.copy);
      if (!field) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(field).then(function () {
          button.textContent = button.dataset.copied;
          setTimeout(function () { button.textContent = label; }, 2500);
        }, function () { field.select(); });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
