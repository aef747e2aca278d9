/* Antrean kiosk: pick a service, answer the priority question, see the documents, take a number.
 *
 * One idempotency key per flow (made when a tile is tapped): a double tap, a retry after a network
 * blip or "Coba Lagi" all send the same key, so the server returns the same ticket instead of a new one.
 * No text input anywhere, no hover-only control, no link away from this page.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("kiosk-config").textContent);
  var T = cfg.text;
  var settings = cfg.settings;
  var state = cfg.state;
  var GHOST_MS = 400;          // taps this soon after a screen change are the rest of a double tap
  var ATTEMPTS = 4;            // POST attempts before the error screen…
  var BACKOFF = [600, 1500, 3000];
  var REQUEST_TIMEOUT = 8000;  // …each one given up after this long

  var $ = function (id) { return document.getElementById(id); };
  function fmt(key, vars) {
    return String(T[key]).replace(/\{(\w+)\}/g, function (_, k) { return vars && k in vars ? vars[k] : ""; });
  }

  // -- device id: ?device=kiosk-1 wins and is remembered; otherwise localStorage ------------------
  var DEVICE_RE = /^[A-Za-z0-9._:-]{1,80}$/;
  var device = null;
  function store(key, value) {
    try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }
  (function () {
    var fromUrl = new URLSearchParams(location.search).get("device");
    if (fromUrl && DEVICE_RE.test(fromUrl)) { store("antrean.kiosk.device", fromUrl); device = fromUrl; return; }
    try { device = localStorage.getItem("antrean.kiosk.device"); } catch (e) { device = null; }
    if (device && !DEVICE_RE.test(device)) device = null;
  })();
  // -- device key (antrean kiosk add NAME): ?key=… once, then localStorage; sent as X-Device-Key -----
  // The key is taken out of the address bar at once (no screenshot or history shows it).
  var KEY_RE = /^ak_[A-Za-z0-9_-]{20,100}$/;
  var deviceKey = null;
  (function () {
    var params = new URLSearchParams(location.search);
    var fromUrl = params.get("key");
    if (fromUrl !== null) {
      if (KEY_RE.test(fromUrl)) store("antrean.kiosk.key", fromUrl);
      params.delete("key");
      var rest = params.toString();
      try { history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "")); } catch (e) { /* old browser */ }
    }
    try { deviceKey = localStorage.getItem("antrean.kiosk.key"); } catch (e) { deviceKey = null; }
    if (deviceKey && !KEY_RE.test(deviceKey)) deviceKey = null;
  })();
  function withKey(headers) {
    if (deviceKey) headers["X-Device-Key"] = deviceKey;
    return headers;
  }

  function showDevice() {
    $("device-label").textContent = device ? T.kiosk_label + " " + device : "";
    $("set-device").textContent = device || T.settings_device_none;
  }

  // -- clock in the office's time zone, corrected by the server's clock --------------------------
  var offset = state.now - Date.now();
  var tz = cfg.office.timezone || "Asia/Jakarta";
  var locale = cfg.lang === "en" ? "en-GB" : "id-ID";
  var timeFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, hour: "2-digit", minute: "2-digit", hour12: false });
  var dateFmt = new Intl.DateTimeFormat(locale, { timeZone: tz, weekday: "long", day: "numeric", month: "long", year: "numeric" });
  function tick() {
    var now = new Date(Date.now() + offset);
    $("clock-time").textContent = timeFmt.format(now).replace(".", ":");
    $("clock-date").textContent = dateFmt.format(now);
  }

  // -- screens ----------------------------------------------------------------------------------
  var current = "home";
  var shownAt = 0;
  var timers = {};
  function later(name, ms, fn) { clearTimeout(timers[name]); timers[name] = setTimeout(fn, ms); }
  function cancel(name) { clearTimeout(timers[name]); clearInterval(timers[name]); }

  function show(name) {
    var screens = document.querySelectorAll(".screen");
    for (var i = 0; i < screens.length; i++) {
      var el = screens[i];
      var on = el.getAttribute("data-screen") === name;
      el.hidden = !on;
      el.classList.remove("armed");
    }
    current = name;
    document.body.setAttribute("data-screen", name);
    shownAt = Date.now();
    var el2 = $("s-" + name);
    later("arm", GHOST_MS, function () { el2.classList.add("armed"); });
    if (name !== "ticket") cancel("countdown");
    if (name === "home") { flow = null; busy = false; renderTiles(); }
    touched();
  }
  function ghost() { return Date.now() - shownAt < GHOST_MS; }

  // idle: any screen but the start goes back to the start after settings.idle_seconds without a touch
  function touched() {
    if (current === "home" || current === "issuing" || current === "ticket") { cancel("idle"); return; }
    later("idle", settings.idle_seconds * 1000, function () { show("home"); });
  }
  document.addEventListener("pointerdown", touched, true);
  document.addEventListener("keydown", touched, true);

  // -- tiles ------------------------------------------------------------------------------------
  function svgIcon(name, cls) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", cls || "ico");
    svg.setAttribute("aria-hidden", "true");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", "#i-" + name);
    svg.appendChild(use);
    return svg;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function landscape() { return window.innerWidth >= window.innerHeight * 1.2; }
  var COLS = { portrait: 3, landscape: 5 };

  // portrait: groups are stacked "bands" of rows; consecutive small groups share a band
  function rowBands(groups, cols) {
    var out = [], band = null;
    groups.forEach(function (g) {
      var width = Math.min(g.services.length, cols);
      if (!band || band.width + width > cols || g.services.length > cols || band.groups[0].g.services.length > cols) {
        band = { width: 0, groups: [], size: 0 };
        out.push(band);
      }
      band.groups.push({ g: g, cols: width, grow: width });
      band.width += width;
      band.size = Math.max(band.size, Math.ceil(g.services.length / cols));
    });
    return out;
  }

  // landscape: groups side by side, each as a block of columns; the fewest rows that fit the screen,
  // and small groups stacked in one column
  function columnBands(groups, cols) {
    for (var rows = 1; ; rows++) {
      var out = [], col = null, used = 0;
      groups.forEach(function (g) {
        var n = g.services.length, width = Math.ceil(n / rows);
        if (width === 1 && col && col.width === 1 && col.count + n <= rows) {
          col.groups.push({ g: g, cols: 1, grow: n });
          col.count += n;
          return;
        }
        col = { width: width, count: n, groups: [{ g: g, cols: width, grow: Math.ceil(n / width) }], size: width };
        out.push(col);
        used += width;
      });
      if (used <= cols || rows >= 12) return out;
    }
  }

  var byCode = {};
  function tile(s) {
    byCode[s.code] = s;
    var t = el("button", "tile" + (s.open ? "" : " closed"));
    t.type = "button";
    t.setAttribute("data-service", s.code);
    var ic = el("span", "tile-icon");
    ic.appendChild(svgIcon(s.icon));
    t.appendChild(ic);
    var body = el("span", "tile-body");
    body.appendChild(el("span", "tile-name", s.short_name));
    if (s.open) {
      if (s.waiting) body.appendChild(el("span", "tile-sub", fmt("waiting_n", { n: s.waiting })));
    } else {
      body.appendChild(el("span", "tile-closed", T.closed));
      body.appendChild(el("span", "tile-sub", s.closed_label || ""));
    }
    t.appendChild(body);
    return t;
  }

  function renderTiles() {
    // the office calendar (holiday, weekend, Friday prayer break): the prompt says why nothing can be chosen
    var prompt = $("home-prompt"), shut = state.office && !state.office.open;
    prompt.textContent = shut ? state.office.message : prompt.getAttribute("data-default");
    prompt.classList.toggle("office-closed", !!shut);
    var root = $("groups");
    var wide = landscape();
    var cols = wide ? COLS.landscape : COLS.portrait;
    root.textContent = "";
    root.className = "groups " + (wide ? "by-columns" : "by-rows");
    byCode = {};
    (wide ? columnBands : rowBands)(state.groups, cols).forEach(function (b) {
      var bandEl = el("div", "band");
      bandEl.style.flexGrow = String(b.size);
      b.groups.forEach(function (item) {
        var g = item.g;
        var gEl = el("section", "group g-" + g.code);
        gEl.style.flexGrow = String(item.grow);
        gEl.appendChild(el("h2", "group-name", g.name));
        var grid = el("div", "tiles");
        grid.style.gridTemplateColumns = "repeat(" + item.cols + ", minmax(0, 1fr))";
        g.services.forEach(function (s) { grid.appendChild(tile(s)); });
        gEl.appendChild(grid);
        bandEl.appendChild(gEl);
      });
      root.appendChild(bandEl);
    });
    fitTiles(root);
  }

  // every tile shows its whole name and its "N menunggu" label: when one would not fit (a long name, a small
  // or portrait screen, a busy service), all tiles' type shrinks a little (one size for all), down to a floor
  function tileOverflows(t) {
    var b = t.getBoundingClientRect();
    var parts = t.querySelectorAll(".tile-icon, .tile-name, .tile-sub");
    for (var i = 0; i < parts.length; i++) {
      var r = parts[i].getBoundingClientRect();
      if (r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5 || r.left < b.left - 0.5 || r.right > b.right + 0.5 ||
          parts[i].scrollWidth > parts[i].clientWidth + 1) return true;
    }
    return false;
  }
  function fitTiles(root) {
    var tiles = root.querySelectorAll(".tile");
    var any = function () { for (var i = 0; i < tiles.length; i++) if (tileOverflows(tiles[i])) return true; return false; };
    var s = 1;
    root.style.setProperty("--tfit", "1");
    while (s > 0.6 && any()) {
      s = Math.round((s - 0.05) * 100) / 100;
      root.style.setProperty("--tfit", String(s));
    }
  }
  window.addEventListener("resize", function () {
    if (current === "home") renderTiles();
    else if (current === "confirm") fitDocs();
  });

  // -- the flow: tile -> priority -> confirm -> ticket ------------------------------------------------
  var flow = null;   // {service, priority, key}
  var busy = false;

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);   // works on plain http too (randomUUID needs a secure context)
    return "kiosk:" + Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function chosen(s) {
    var nodes = document.querySelectorAll("[data-bind=chosen]");
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      n.textContent = "";
      var ic = el("span", "tile-icon");
      ic.appendChild(svgIcon(s.icon));
      n.appendChild(ic);
      n.appendChild(el("span", "chosen-name", s.name));
    }
  }

  function tapTile(code) {
    var s = byCode[code];
    if (!s) return;
    if (!s.open) { toast((s.message || T.service_closed)); return; }
    flow = { service: s, priority: null, key: newKey() };
    chosen(s);
    if (settings.ask_priority && cfg.priorities.length) show("priority");
    else confirmScreen();
  }

  function confirmScreen() {
    var s = flow.service;
    var list = $("docs");
    list.textContent = "";
    s.documents.forEach(function (d) {
      var li = el("li");
      li.appendChild(svgIcon("check"));
      li.appendChild(el("span", null, d));
      list.appendChild(li);
    });
    $("confirm-time").textContent = fmt("confirm_time", { n: s.standard_minutes });
    var label = "";
    cfg.priorities.forEach(function (p) { if (p.code === flow.priority) label = fmt("confirm_priority", { label: p.label }); });
    $("confirm-priority").textContent = label;
    show("confirm");
    fitDocs();
  }

  // every document must be readable without scrolling: a long checklist (or a small screen) gets
  // smaller type, down to a floor; below that the list scrolls rather than hiding the last documents
  function fitDocs() {
    var list = $("docs");
    var s = 1;
    list.classList.remove("scroll");
    list.style.setProperty("--fit", "1");
    while (list.scrollHeight > list.clientHeight + 1 && s > 0.6) {
      s = Math.round((s - 0.05) * 100) / 100;
      list.style.setProperty("--fit", String(s));
    }
    if (list.scrollHeight > list.clientHeight + 1) list.classList.add("scroll");
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function post(body) {
    var ctrl = new AbortController();
    var t = setTimeout(function () { ctrl.abort(); }, REQUEST_TIMEOUT);
    return fetch("/api/v1/tickets", {
      method: "POST", signal: ctrl.signal, cache: "no-store", credentials: "same-origin",
      // the kiosk's language, not the browser's: an English-locale kiosk PC still answers in Indonesian
      headers: withKey({ "Content-Type": "application/json", "Accept": "application/json", "Accept-Language": cfg.lang,
                         "Idempotency-Key": body.idempotency_key }),
      body: JSON.stringify(body)
    }).finally(function () { clearTimeout(t); });
  }

  async function issue() {
    if (!flow || busy) return;           // a second tap of a double tap, or a tap during a retry
    busy = true;
    var body = { service: flow.service.code, priority: flow.priority, idempotency_key: flow.key, device_id: device };
    $("issuing-msg").textContent = T.issuing;
    show("issuing");
    for (var attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) {
        $("issuing-msg").textContent = T.issuing_retry;
        await sleep(BACKOFF[Math.min(attempt - 1, BACKOFF.length - 1)]);
      }
      var resp;
      try {
        resp = await post(body);
      } catch (e) {
        setOnline(false);
        continue;                         // network blip or timeout: same key again
      }
      if (resp.status >= 500) continue;   // proxy or database trouble: same key again
      var data = null;
      try { data = await resp.json(); } catch (e) { data = null; }
      if (resp.ok && data && data.number) { setOnline(true); busy = false; showTicket(data); return; }
      setOnline(true);
      busy = false;
      failed((data && data.message) || T.error_offline, false);
      refresh();
      return;
    }
    busy = false;
    failed(T.error_offline, true);
  }

  function failed(message, canRetry) {
    $("error-msg").textContent = message;
    $("retry").hidden = !canRetry;
    show("error");
  }

  // print: the hardware plugin adds ticket.print = {status: "queued"|"disabled"|…, printer, printer_state};
  // absent = no hardware plugin, nothing known. "Silakan ambil tiket Anda" only once the job is printed;
  // a printer known to be in trouble, a failed job or one not printed within print_wait_seconds -> note it.
  var PRINTED = { done: 1, printed: 1 };
  var PRINTING = { queued: 1, pending: 1, printing: 1 };
  var TROUBLE = { offline: 1, paper_out: 1, error: 1 };
  function printVerdict(p) {
    if (!p || typeof p !== "object") return "take";
    if (p.printer_online === false || p.printer_state in TROUBLE) return "note";
    if (p.status in PRINTED) return "take";
    if (p.status in PRINTING) return "wait";
    return "note";
  }

  var shown = null;   // the ticket on the number screen
  function showTicket(t) {
    shown = t;
    $("ticket-number").textContent = t.number;
    $("ticket-service").textContent = t.service_name;
    $("ticket-priority").textContent = t.priority_label ? fmt("confirm_priority", { label: t.priority_label }) : "";
    $("ticket-ahead").textContent = t.waiting_ahead ? fmt("ticket_ahead", { n: t.waiting_ahead }) : T.ticket_ahead_0;
    $("ticket-wait").textContent = t.estimated_wait_minutes ? fmt("ticket_wait", { n: t.estimated_wait_minutes }) : T.st_wait_0;
    $("ticket-qr").src = "/t/" + encodeURIComponent(t.token) + "/qr.svg";
    var verdict = printVerdict(t.print);
    printMessage(verdict);
    show("ticket");
    countdown(verdict === "note" ? settings.note_seconds : settings.ticket_seconds);
    if (verdict === "wait") watchPrint(t, Date.now() + settings.print_wait_seconds * 1000);
  }

  function printMessage(verdict) {
    var titles = { take: T.ticket_take, note: T.ticket_note, wait: T.ticket_printing };
    var hints = { take: T.ticket_take_hint, note: T.ticket_note_hint, wait: T.ticket_printing_hint };
    $("ticket-msg").className = "take-msg" + (verdict === "note" ? " note" : "");
    $("ticket-msg-title").textContent = titles[verdict];
    $("ticket-msg-hint").textContent = hints[verdict];
    document.body.setAttribute("data-print", verdict);
  }

  function countdown(seconds) {
    var left = seconds;
    var cd = $("ticket-countdown");
    cd.textContent = fmt("ticket_back_in", { n: left });
    cancel("countdown");
    timers.countdown = setInterval(function () {
      left -= 1;
      cd.textContent = fmt("ticket_back_in", { n: Math.max(left, 0) });
      if (left <= 0) { cancel("countdown"); show("home"); }
    }, 1000);
  }

  // ask the server how the job is doing until it is printed, fails, or the wait is over
  async function watchPrint(t, deadline) {
    var verdict = "wait";
    while (verdict === "wait" && Date.now() < deadline) {
      await sleep(400);
      if (shown !== t || current !== "ticket") return;   // the citizen went on
      try {
        var r = await fetch("/api/v1/tickets/" + encodeURIComponent(t.token) + "/print",
                            { cache: "no-store", headers: withKey({ "Accept": "application/json" }) });
        if (r.ok) verdict = printVerdict(await r.json());
      } catch (e) { /* keep waiting until the deadline */ }
    }
    if (shown !== t || current !== "ticket") return;
    if (verdict === "wait") verdict = "note";           // not printed within a few seconds
    printMessage(verdict);
    if (verdict === "note") countdown(settings.note_seconds);
  }

  // -- toast (closed tile) -------------------------------------------------------------------------
  function toast(text) {
    var t = $("toast");
    t.textContent = text;
    t.hidden = false;
    later("toast", 4000, function () { t.hidden = true; });
  }

  // -- keeping the services' state fresh; the offline banner -----------------------------------------
  var online = true;
  function setOnline(v) {
    online = v;
    $("offline").hidden = v;
    $("set-server").textContent = v ? T.settings_online : T.settings_offline;
  }
  async function refresh() {
    var ctrl = new AbortController();
    var t = setTimeout(function () { ctrl.abort(); }, 5000);
    try {
      var r = await fetch("/kiosk/state.json", { cache: "no-store", signal: ctrl.signal, headers: withKey({}) });
      if (!r.ok) throw new Error("HTTP " + r.status);
      var data = await r.json();
      state = data;
      settings = data.settings || settings;
      cfg.pin_configured = data.pin_configured;
      offset = data.now - Date.now();
      setOnline(true);
      if (current === "home") renderTiles();
    } catch (e) {
      setOnline(false);
    } finally {
      clearTimeout(t);
    }
  }
  window.addEventListener("online", refresh);
  window.addEventListener("offline", function () { setOnline(false); });

  // -- staff: five quick taps on the clock open the PIN screen -----------------------------------------
  var clockTaps = [];
  $("clock").addEventListener("click", function () {
    var now = Date.now();
    clockTaps = clockTaps.filter(function (t) { return now - t < 3000; });
    clockTaps.push(now);
    if (clockTaps.length >= 5) { clockTaps = []; openPin(); }
  });
  var pin = "";
  function pinDots() { $("pin-dots").textContent = pin.replace(/./g, "●"); }
  function openPin() {
    pin = "";
    pinDots();
    var configured = cfg.pin_configured;
    $("pin-msg").textContent = configured ? T.pin_enter : T.pin_not_configured;
    $("keypad").hidden = !configured;
    show("pin");
  }
  async function checkPin() {
    var sent = pin;
    pin = "";
    pinDots();
    try {
      var r = await fetch("/kiosk/pin", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: JSON.stringify({ pin: sent }), cache: "no-store" });
      var data = await r.json();
      if (data.ok) { showDevice(); show("settings"); return; }
      $("pin-msg").textContent = data.message || T.pin_wrong;
    } catch (e) {
      $("pin-msg").textContent = T.error_offline;
    }
  }

  // -- one click handler for everything ------------------------------------------------------------------
  document.addEventListener("click", function (ev) {
    var target = ev.target.closest("button");
    if (!target) return;
    if (ghost()) { ev.preventDefault(); return; }   // the second half of a double tap on the previous screen
    var action = target.getAttribute("data-action");
    if (target.hasAttribute("data-service")) tapTile(target.getAttribute("data-service"));
    else if (target.hasAttribute("data-priority")) {
      flow.priority = target.getAttribute("data-priority") || null;
      confirmScreen();
    } else if (target.id === "take" || target.id === "retry") issue();
    else if (target.hasAttribute("data-digit")) { if (pin.length < 12) { pin += target.getAttribute("data-digit"); pinDots(); } }
    else if (target.getAttribute("data-key") === "clear") { pin = ""; pinDots(); }
    else if (target.getAttribute("data-key") === "ok") checkPin();
    else if (target.hasAttribute("data-device")) {
      device = target.getAttribute("data-device");
      store("antrean.kiosk.device", device);
      showDevice();
    } else if (action === "home") show("home");
    else if (action === "back") show(settings.ask_priority && cfg.priorities.length ? "priority" : "home");
    else if (action === "booking") openBooking("");
    else if (action === "reload") location.replace("/kiosk" + (device ? "?device=" + encodeURIComponent(device) : ""));
  });

  // -- booking check-in: a USB/HID scanner types the QR's code + Enter; or the citizen types it -------------
  // On the start screen a scan needs no tap: keys typed quickly are collected and Enter checks the code in.
  var CODE_RE = /^[A-Za-z0-9]{8}$/;
  var typed = "", typedAt = 0;
  function openBooking(code) {
    $("booking-code").value = code || "";
    $("booking-msg").textContent = "";
    $("booking-walkin").hidden = true;
    show("booking");
    $("booking-code").focus();
  }
  async function checkIn(code) {
    code = (code || "").replace(/[\s-]/g, "").toUpperCase();
    if (!code || busy) return;
    busy = true;
    $("booking-msg").textContent = T.booking_busy;
    $("booking-walkin").hidden = true;
    var resp = null, data = null;
    try {
      resp = await fetch("/api/v1/bookings/" + encodeURIComponent(code) + "/check-in", {
        method: "POST", cache: "no-store", credentials: "omit",
        headers: withKey({ "Accept": "application/json", "Accept-Language": cfg.lang }) });
      data = await resp.json();
    } catch (e) { data = null; }
    busy = false;
    if (resp && resp.status === 201 && data && data.number) { setOnline(true); showTicket(data); return; }
    if (current !== "booking") openBooking(code);
    $("booking-code").value = code;
    $("booking-msg").textContent = (data && data.message) || T.error_offline;
    $("booking-walkin").hidden = !(data && data.walk_in);
    $("booking-code").select();
  }
  $("booking-form").addEventListener("submit", function (e) { e.preventDefault(); checkIn($("booking-code").value); });
  // Enter in the field checks in at once: a scanner types faster than the ghost-tap guard, which would cancel the
  // form's implicit submit (a synthetic click on its button)
  $("booking-code").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); checkIn($("booking-code").value); }
  });
  document.addEventListener("keydown", function (e) {
    if (current !== "home" || e.ctrlKey || e.altKey || e.metaKey) return;
    var now = Date.now();
    if (now - typedAt > 1000) typed = "";
    typedAt = now;
    if (e.key === "Enter") { if (CODE_RE.test(typed)) { var c = typed; typed = ""; openBooking(c); checkIn(c); } return; }
    if (/^[A-Za-z0-9]$/.test(e.key)) typed = (typed + e.key).slice(-12);
  });

  // -- locked down: no context menu, selection, zoom, drag or navigation away ------------------------------
  // the Info button: the public service information (/publik/kios), which comes back here by itself
  $("info").addEventListener("click", function () { location.assign($("info").getAttribute("data-href")); });
  ["contextmenu", "selectstart", "dragstart", "gesturestart", "gesturechange"].forEach(function (name) {
    document.addEventListener(name, function (e) { e.preventDefault(); });
  });
  document.addEventListener("touchmove", function (e) { if (e.touches.length > 1) e.preventDefault(); }, { passive: false });
  document.addEventListener("wheel", function (e) { if (e.ctrlKey) e.preventDefault(); }, { passive: false });
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && /^[-+=0lnptwo]$/i.test(e.key)) e.preventDefault();
    if (e.altKey && (e.key === "ArrowLeft" || e.key === "ArrowRight" || e.key === "Home")) e.preventDefault();
    if ((e.key === "Backspace" && e.target.tagName !== "INPUT") || e.key === "BrowserBack") e.preventDefault();
  });
  history.pushState(null, "", location.href);
  window.addEventListener("popstate", function () { history.pushState(null, "", location.href); });

  // -- start ----------------------------------------------------------------------------------------------
  showDevice();
  setOnline(true);
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, settings.refresh_seconds * 1000);
  show("home");
  document.body.classList.add("ready");
})();
