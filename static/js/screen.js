/* Check-in screen: count down to the next code. The page reloads itself when the code
   changes (an HTTP Refresh header), so this is only the visible countdown. */
(function () {
  "use strict";
  var countdown = document.querySelector(".countdown");
  if (!countdown) return;
  var left = parseInt(countdown.getAttribute("data-seconds"), 10);
  var template = countdown.textContent.replace(String(left), "{n}");
  setInterval(function () {
    left = Math.max(0, left - 1);
    countdown.textContent = template.replace("{n}", left);
  }, 1000);
})();
