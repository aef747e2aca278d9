/* The live board /console/pantau: re-reads /console/pantau.json on every console event (Socket.IO
   namespace /console) and every 30 s (clocks move without events). Text only, never innerHTML. */
(function () {
  "use strict";
  var root = document.getElementById("pantau");
  if (!root) { return; }
  var words = document.getElementById("p-words").dataset;
  var comma = root.dataset.lang === "id";
  function num(v) {
    if (v === null || v === undefined) { return "–"; }
    var t = (Math.round(v * 10) / 10).toString();
    return comma ? t.replace(".", ",") : t;
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }
  function fill(id, rows, build) {
    var body = document.getElementById(id);
    body.textContent = "";
    if (!rows.length) {
      var tr = document.createElement("tr");
      cell(tr, words.none, "muted").colSpan = 4;
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (r) { var tr = document.createElement("tr"); build(tr, r); body.appendChild(tr); });
  }
  function set(key, text) {
    var el = root.querySelector('[data-k="' + key + '"]');
    if (el) { el.textContent = text; }
  }
  function render(d) {
    set("today.issued", d.today.issued);
    set("today.served", d.today.served);
    set("today.no_show", d.today.no_show);
    set("waiting_total", d.waiting_total);
    set("longest", d.longest_wait_minutes === null ? "–" : num(d.longest_wait_minutes) + " " + words.min);
    set("ikm", d.ikm && d.ikm.respondents ? num(d.ikm.ikm) + " (" + d.ikm.grade + ", " + d.ikm.respondents + ")" : "–");
    fill("p-waiting", d.waiting, function (tr, w) {
      cell(tr, w.name); cell(tr, w.count, "num"); cell(tr, num(w.longest_minutes) + " " + words.min, "num");
    });
    fill("p-counters", d.counters, function (tr, c) {
      cell(tr, c.name);
      cell(tr, c.active ? (c.ticket || words.idle) : words.closed, c.ticket ? "num big" : "muted");
      cell(tr, c.staff || "");
    });
    fill("p-over", d.over_standard, function (tr, o) {
      cell(tr, o.role_name); cell(tr, o.open, "num"); cell(tr, o.amber, "num");
      var red = cell(tr, o.red, "num");
      if (o.red) { red.textContent = ""; var s = document.createElement("span"); s.className = "sla red"; s.textContent = o.red; red.appendChild(s); }
    });
    fill("p-printers", d.printers, function (tr, p) {
      cell(tr, p.name); var st = cell(tr, ""); var s = document.createElement("span");
      s.className = "state " + p.state; s.textContent = words["state" + p.state.charAt(0).toUpperCase() + p.state.slice(1)] || p.state;  /* data-state-x -> stateX */ st.appendChild(s);
    });
    document.getElementById("pantau-at").textContent = new Date(d.at).toLocaleTimeString();
    root.dataset.updated = d.at;
    root.dataset.served = d.today.served;
  }
  var pending = null, inflight = false, again = false;
  function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    fetch(root.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(render)
      .catch(function () { /* keep the last figures; the next event or the timer tries again */ })
      .then(function () { inflight = false; if (again) { again = false; refresh(); } });
  }
  function soon() {  /* a burst of events costs one read */
    if (pending) { return; }
    pending = setTimeout(function () { pending = null; refresh(); }, 100);
  }
  refresh();
  setInterval(refresh, 30000);
  if (window.io) {
    var socket = window.io("/console", {transports: ["websocket", "polling"]});
    socket.on("connect", function () { document.body.dataset.connection = "up"; soon(); });
    socket.on("disconnect", function () { document.body.dataset.connection = "down"; });
    socket.on("update", soon);
  }
}());
