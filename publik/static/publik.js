/* The transparency page on the kiosk: back to the queue screen after a minute without a touch. */
(function () {
  "use strict";
  var button = document.getElementById("back"), back = button.getAttribute("data-href");
  button.addEventListener("click", function () { location.replace(back); });
  window.PublikKiosk.idle(60000, function () { location.replace(back); });
})();
