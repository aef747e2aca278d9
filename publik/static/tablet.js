/* A counter's survey tablet: polls for the survey the clerk offered, then opens it (no typing). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("tablet-config").textContent);
  // The offer carries the ticket's status token, so only a registered device may read it (antrean kiosk add):
  // ?key=… once (taken out of the address bar at once), then localStorage; sent as X-Device-Key, as the kiosk does.
  var KEY_RE = /^ak_[A-Za-z0-9_-]{20,100}$/;
  var deviceKey = null;
  (function () {
    var params = new URLSearchParams(location.search);
    var fromUrl = params.get("key");
    if (fromUrl !== null) {
      try { if (KEY_RE.test(fromUrl)) localStorage.setItem("antrean.kiosk.key", fromUrl); } catch (e) { /* private mode */ }
      params.delete("key");
      var rest = params.toString();
      try { history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "")); } catch (e) { /* old browser */ }
    }
    try { deviceKey = localStorage.getItem("antrean.kiosk.key"); } catch (e) { deviceKey = null; }
    if (deviceKey && !KEY_RE.test(deviceKey)) deviceKey = null;
  })();
  async function poll() {
    try {
      var r = await fetch("/survei/loket/" + cfg.counter + ".json", { cache: "no-store", headers: deviceKey ? { "X-Device-Key": deviceKey } : {} });
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
