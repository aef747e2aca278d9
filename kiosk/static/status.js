/* Ticket status page: polls /t/<token>.json with an ETag (304 when nothing changed) every few seconds,
 * at once when the phone's screen comes back, slower once the ticket is finished. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("status-config").textContent);
  var T = cfg.text;
  var etag = null, last = cfg.ticket, timer = null, failures = 0;
  var FAST = 4000, SLOW = 30000;
  var $ = function (id) { return document.getElementById(id); };
  function fmt(key, vars) {
    return String(T[key]).replace(/\{(\w+)\}/g, function (_, k) { return vars && k in vars ? vars[k] : ""; });
  }
  var timeFmt = new Intl.DateTimeFormat(cfg.lang === "en" ? "en-GB" : "id-ID",
                                        { timeZone: cfg.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  function counterName(c) { return c ? c.name : ""; }
  // today in the office's time zone, by the server's clock (a phone's clock may be wrong)
  var offset = (cfg.now || Date.now()) - Date.now();
  var dayFmt = new Intl.DateTimeFormat("en-CA", { timeZone: cfg.timezone, year: "numeric", month: "2-digit", day: "2-digit" });
  var longDay = new Intl.DateTimeFormat(cfg.lang === "en" ? "en-GB" : "id-ID",
                                        { timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric" });
  function today() { return dayFmt.format(new Date(Date.now() + offset)); }
  // a ticket of an earlier day is over, whatever its status says (nobody calls it any more)
  function old(t) { return !!t.day && t.day < today(); }
  function finished(t) { return t.status === "done" || t.status === "skipped" || old(t); }

  function render(t) {
    var prev = document.body.getAttribute("data-status");
    document.body.setAttribute("data-status", t.status);
    $("number").textContent = t.number;
    $("service").textContent = t.service_name;
    var msg = {
      called: fmt("st_called", { counter: counterName(t.counter) }),
      serving: fmt("st_serving", { counter: counterName(t.counter) }),
      done: T.st_done, skipped: T.st_skipped, held: T.st_held
    }[t.status] || T.st_waiting;
    // a closed ticket says how it really ended (only "served" is "Layanan selesai")
    if (t.status === "done" && t.outcome && t.outcome !== "served" && T["st_" + t.outcome]) msg = T["st_" + t.outcome];
    var stale = old(t);
    var ret = t.returned;
    if (ret) msg = t.status === "called" ? fmt("st_returned_slip", { counter: counterName(t.counter) }) : T.st_returned_again;
    if (stale) msg = fmt("st_old", { day: longDay.format(new Date(t.day + "T00:00:00Z")) }) + " " + T.st_old_hint;
    if (stale) document.body.setAttribute("data-old", ""); else document.body.removeAttribute("data-old");
    $("message-text").textContent = msg;
    var warn = stale || !!ret || t.status === "skipped" || t.status === "held";
    $("returned").hidden = !ret;
    if (ret) {
      var docs = ret.missing_documents || [];
      $("returned-why").textContent = docs.length ? T.st_returned_missing : T.st_returned_note;
      var list = $("returned-missing");
      list.textContent = "";
      docs.forEach(function (d) { var li = document.createElement("li"); li.textContent = d; list.appendChild(li); });
    }
    $("message-icon").setAttribute("href", warn ? "#i-warning" : "#i-check");
    var waiting = t.status === "waiting" && !stale;
    $("facts").hidden = !waiting;
    $("position").textContent = fmt("st_position_n", { n: (t.waiting_ahead || 0) + 1 });
    $("ahead").textContent = t.waiting_ahead ? fmt("st_ahead", { n: t.waiting_ahead }) : T.st_ahead_0;
    $("wait").textContent = t.estimated_wait_minutes ? fmt("st_wait_n", { n: t.estimated_wait_minutes }) : T.st_wait_0;
    // "now calling" only while the holder waits: never a finished ticket's own number
    $("calling").hidden = stale || (t.status !== "waiting" && t.status !== "held");
    var nc = t.now_calling;
    $("now-calling").textContent = nc ? nc.number + " " + fmt("st_at_counter", { counter: nc.counter_name }) : T.st_now_calling_none;
    $("rate").hidden = t.survey !== "open";
    if (t.status === "called" && prev !== "called" && !stale && navigator.vibrate) navigator.vibrate([300, 150, 300]);
    last = t;
  }

  function schedule() {
    clearTimeout(timer);
    var delay = finished(last) ? SLOW : Math.min(FAST * Math.pow(2, failures), SLOW);
    timer = setTimeout(poll, delay);
  }

  async function poll() {
    try {
      var headers = { "Accept": "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      var r = await fetch("/t/" + encodeURIComponent(cfg.token) + ".json", { headers: headers, cache: "no-cache" });
      if (r.status === 200) {
        etag = r.headers.get("ETag");
        render(await r.json());
      } else if (r.status !== 304) {
        throw new Error("HTTP " + r.status);
      }
      failures = 0;
      $("updated").textContent = fmt("st_updated", { time: timeFmt.format(new Date()).replace(/\./g, ":") });
      $("updated").className = "updated";
    } catch (e) {
      failures += 1;
      $("updated").textContent = T.st_offline;
      $("updated").className = "updated offline";
    }
    schedule();
  }

  // back from the background, the network or the back/forward cache: fresh state at once, not after the backoff
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { etag = null; poll(); } });
  window.addEventListener("online", function () { failures = 0; etag = null; poll(); });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { etag = null; poll(); } });
  render(last);
  poll();
})();
