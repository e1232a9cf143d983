// Picking a venue fills in the number of seats from the venue's seats (option data-seats),
// unless someone typed a number of their own. Without JavaScript, a capacity left empty
// is filled in by the server (blueprints/weekly_forms.py, SeatsFromVenue).
(function () {
  if (window.linliVenueSeatsReady) return;
  window.linliVenueSeatsReady = true;

  function ready() {
    document.querySelectorAll("select[name=venue_id]").forEach(function (select) {
      var capacity = select.form && select.form.elements.namedItem("capacity");
      if (!capacity) return;
      var filled = null; // the value this script put in, so a typed number is left alone
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var seats = option && option.dataset.seats;
        if (!seats) return;
        if (capacity.value === "" || capacity.value === filled) {
          capacity.value = seats;
          filled = seats;
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
