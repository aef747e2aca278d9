/* Kiosk lock-down for the survey tablet and the kiosk's Info screen: no context menu, selection, drag or
 * pinch; PublikKiosk.idle(ms, fn) runs fn after ms without a touch (each touch restarts the count). */
(function () {
  "use strict";
  ["contextmenu", "selectstart", "dragstart", "gesturestart", "gesturechange"].forEach(function (n) {
    document.addEventListener(n, function (e) { if (e.target.tagName !== "TEXTAREA") e.preventDefault(); });
  });
  window.PublikKiosk = {
    idle: function (ms, fn) {
      var timer = null;
      function touched() { clearTimeout(timer); timer = setTimeout(fn, ms); }
      ["pointerdown", "keydown", "scroll", "toggle"].forEach(function (n) { document.addEventListener(n, touched, true); });
      touched();
    }
  };
})();
