/* The transparency page on the kiosk: back to the queue screen after a minute without a touch. */
(function () {
  "use strict";
  var back = document.getElementById("back").getAttribute("href");
  window.PublikKiosk.idle(60000, function () { location.replace(back); });
})();
