// Buttons marked data-print open the browser's print dialog (the weekly sheet). Without
// JavaScript, the browser's own Print menu prints the same page.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
