/* A counter's survey tablet: polls for the survey the clerk offered, then opens it (no typing). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("tablet-config").textContent);
  async function poll() {
    try {
      var r = await fetch("/survei/loket/" + cfg.counter + ".json", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      var data = await r.json();
      document.getElementById("offline").hidden = true;
      if (data.offer) {
        location.replace("/survei/" + encodeURIComponent(data.offer.token) + "?loket=" + cfg.counter);
        return;
      }
    } catch (e) {
      document.getElementById("offline").hidden = false;
    }
    setTimeout(poll, 1500);
  }
  poll();
})();
