/* The waiting-room board: state from Socket.IO /display, calls announced one after another.
 *
 * Exposed for tests and operators:
 *   window.antreanPlayed  every announcement played, in order:
 *                         {seq, number, counter, kind, via: "audio"|"speech"|"none", started, ended, error}
 *   window.antreanBoard   {state(), connected(), requestSnapshot(), queue()}
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("board-config").textContent);
  var L = cfg.labels;
  var MAX_CALLS = 8;             // calls kept for the "last calls" list
  var MISSED_PLAY_MS = 60000;    // after a reconnect, calls younger than this that we missed are announced
  var FRESH_ON_LOAD_MS = 10000;  // a board that loads this soon after a call announces it (it is on screen and
                                 // nobody heard it from this TV yet); older calls are only shown
  var STALE_AUDIO_MS = 60000;    // an announcement whose call is older than this when its turn comes is not
                                 // played (it is still shown): a burst must not keep the room listening to
                                 // numbers called minutes ago
  var SNAPSHOT_TIMEOUT_MS = 5000;

  var state = { seq: 0, calls: [], counters: [], waiting: [], profile: null, haveState: false,
                offset: 0, latestSeq: null, volume: 1 };
  var enqueued = {};             // seq -> true once queued for announcement
  var snapshotPending = 0;       // time a snapshot was asked for (0: none in flight)
  var played = window.antreanPlayed = [];

  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------------ clock (server time, office zone)
  var fmt = new Intl.DateTimeFormat("en-US", { timeZone: cfg.tz, hourCycle: "h23", weekday: "short",
    year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var WEEKDAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
  function parts(ms) {
    var out = {};
    fmt.formatToParts(new Date(ms)).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function tick() {
    var p = parts(Date.now() + state.offset);
    $("clock-time").textContent = p.hour + "." + p.minute + "." + p.second + " " + cfg.tz_label;
    $("clock-date").textContent = L.days[WEEKDAYS[p.weekday]] + ", " + p.day + " " + L.months[p.month - 1] + " " + p.year;
  }
  function hhmm(iso) {
    if (!iso) return "";
    var p = parts(Date.parse(iso));
    return p.hour + "." + p.minute;
  }
  tick();
  setInterval(tick, 1000);

  // ------------------------------------------------------------------ rendering
  function latestCall() { return state.calls.length ? state.calls[0] : null; }

  function renderNow(flash) {
    var c = latestCall();
    var now = $("now");
    now.classList.toggle("idle", !c);
    if (!c) {
      $("now-number").innerHTML = "&nbsp;";
      $("now-counter").innerHTML = "&nbsp;";
      $("now-service").textContent = L.no_calls;
      fit(now);
      return;
    }
    $("now-number").textContent = c.number;
    $("now-counter").textContent = c.counter.name;
    $("now-service").textContent = c.service_name || "";
    if (c.kind === "recall") $("now-service").appendChild(el("span", "recall", L.recall));
    fit(now);
    if (flash && state.latestSeq !== c.seq) {
      now.classList.remove("flash");
      void now.offsetWidth;          // restart the animation
      now.classList.add("flash");
    }
    state.latestSeq = c.seq;
  }

  // ------------------------------------------------------------------ fitting (any number of lokets,
  // services or long names must fit a cheap 1366x768 TV as well as a 1920x1080 one: nothing is cut off)
  var MIN_FIT = 0.5;
  function overflows(box) { return box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1; }
  function fit(box) {                 // shrink the box's type (CSS var --fit) until its content fits
    var s = 1;
    box.style.setProperty("--fit", "1");
    while (overflows(box) && s > MIN_FIT) {
      s = Math.round((s - 0.05) * 100) / 100;
      box.style.setProperty("--fit", String(s));
    }
  }
  function columns(list, n) { list.style.gridTemplateColumns = "repeat(" + n + ", minmax(0, 1fr))"; }
  var withMedia = document.body.classList.contains("with-media");

  function renderCounters() {
    var ul = $("counter-list");
    ul.textContent = "";
    var n = state.counters.length;
    columns(ul, withMedia ? (n > 5 ? 2 : 1) : (n <= 4 ? 2 : n <= 9 ? 3 : 4));
    state.counters.forEach(function (row) {
      var li = el("li");
      li.dataset.counter = row.counter.id;
      li.appendChild(el("span", "name", row.counter.name));
      li.appendChild(el("span", "num" + (row.number ? "" : " empty"), row.number || L.none));
      ul.appendChild(li);
    });
    fit($("counters"));
  }

  function renderCalls() {
    var ol = $("call-list");
    ol.textContent = "";
    if (!state.calls.length) { ol.appendChild(el("li", "empty", L.no_calls)); return; }
    state.calls.slice(0, 6).forEach(function (c) {
      var li = el("li");
      li.dataset.seq = c.seq;
      li.appendChild(el("span", "num", c.number));
      li.appendChild(el("span", "where", c.counter.name));
      li.appendChild(el("span", "time", hhmm(c.at)));
      ol.appendChild(li);
    });
    // as many of the last calls as fit, the newest first (at least three)
    var box = $("history");
    while (overflows(box) && ol.children.length > 3) ol.removeChild(ol.lastChild);
  }

  function renderWaiting() {
    var ul = $("waiting-list");
    ul.textContent = "";
    var filtered = state.profile && state.profile.services.length;
    var rows = state.waiting.filter(function (w) { return filtered || w.waiting > 0; });
    if (!rows.length) ul.appendChild(el("li", "none", L.nobody_waiting));
    rows.forEach(function (w) {
      var li = el("li");
      li.dataset.service = w.service;
      li.appendChild(el("span", "letter", w.letter));
      li.appendChild(el("span", "name", w.name));
      li.appendChild(el("span", "count" + (w.waiting ? "" : " zero"), String(w.waiting)));
      ul.appendChild(li);
    });
    pageWaiting();
  }

  // the waiting names keep their size (read from the back of the room): as many rows as fit, a page at a time
  var WAITING_PAGE_MS = 8000;
  var waitingPage = 0;
  function pageWaiting() {
    var items = $("waiting-list").children, box = $("waiting"), i;
    for (i = 0; i < items.length; i++) items[i].hidden = false;
    var bottom = box.getBoundingClientRect().bottom - parseFloat(getComputedStyle(box).paddingBottom);
    var per = 0;
    while (per < items.length && items[per].getBoundingClientRect().bottom <= bottom + 0.5) per++;
    per = Math.max(1, per);
    var pages = Math.ceil(items.length / per);
    waitingPage = waitingPage % pages;
    for (i = 0; i < items.length; i++) items[i].hidden = Math.floor(i / per) !== waitingPage;
    $("waiting-page").textContent = pages > 1 ? (waitingPage + 1) + "/" + pages : "";
  }
  function nextWaitingPage() { waitingPage += 1; pageWaiting(); }
  setInterval(nextWaitingPage, WAITING_PAGE_MS);

  function fitHeader() { fit(document.querySelector("#top .office")); }

  function renderTicker(text) {
    var t = $("ticker");
    if (!text) { t.hidden = true; return; }
    t.hidden = false;
    var span = $("ticker-text");
    if (span.textContent !== text) {
      span.textContent = text;
      span.style.animationDuration = Math.max(15, text.length / 4) + "s";
    }
  }

  function renderAll(flash) { renderNow(flash); renderCounters(); renderCalls(); renderWaiting(); }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { fitHeader(); renderAll(false); }, 100);
  });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { fitHeader(); renderAll(false); });

  // ------------------------------------------------------------------ state
  function addCall(c, updateCounter) {
    if (state.calls.some(function (x) { return x.seq === c.seq; })) return;
    state.calls.push(c);
    state.calls.sort(function (a, b) { return b.seq - a.seq; });
    state.calls.length = Math.min(state.calls.length, MAX_CALLS);
    if (!updateCounter) return;
    state.counters.forEach(function (row) {   // the counter now serves the newest ticket called to it
      if (row.counter.id === c.counter.id && !(row.seq > c.seq)) {
        row.number = c.number; row.service = c.service; row.seq = c.seq;
      }
    });
  }

  function applyState(s) {
    var reconnect = state.haveState;
    var before = state.seq;
    state.offset = s.now - Date.now();
    state.profile = s.profile;
    state.volume = s.volume;
    state.counters = s.counters;
    state.waiting = s.waiting;
    // calls: the snapshot, plus any event newer than it that arrived meanwhile
    var newer = state.calls.filter(function (c) { return c.seq > s.seq; });
    state.calls = [];
    s.calls.forEach(function (c) { addCall(c, false); });
    newer.forEach(function (c) { addCall(c, true); });
    state.seq = Math.max(s.seq, state.seq);
    state.haveState = true;
    snapshotPending = 0;
    renderTicker(s.running_text);
    if (s.office) {
      $("office-name").textContent = s.office.name;
      $("office-address").textContent = s.office.address || "";
      document.title = L.title + " \u2013 " + s.office.name;  // as board.html renders it
    }
    fitHeader();
    renderAll(reconnect);
    // announce what this TV has not played yet, oldest first: after a reconnect what we missed while away,
    // if it is recent; on the first load the calls of the last few seconds (enqueue() plays each seq once)
    s.calls.slice().reverse().forEach(function (c) {
      var age = s.now - Date.parse(c.at);
      if (reconnect ? (c.seq > before && age < MISSED_PLAY_MS) : age < FRESH_ON_LOAD_MS) enqueue(c);
    });
  }

  function requestSnapshot() {
    if (!socket.connected) return;
    if (snapshotPending && Date.now() - snapshotPending < SNAPSHOT_TIMEOUT_MS) return;
    snapshotPending = Date.now();
    socket.emit("snapshot");
  }

  function noteSeq(seq) {
    if (state.haveState && seq > state.seq + 1) requestSnapshot();   // we missed a call
    if (seq > state.seq) state.seq = seq;
  }

  // ------------------------------------------------------------------ announcements (one at a time)
  var queue = [];
  var busy = false;
  var soundUnlocked = false;

  function enqueue(c) {
    if (enqueued[c.seq]) return;
    enqueued[c.seq] = true;
    queue.push(c);
    pump();
  }

  // why a queued call is not announced: too old by now, or its loket has called again since (the
  // newer call, waiting in the queue, is the one that matters)
  function skipReason(c) {
    var age = Date.now() + state.offset - Date.parse(c.at);
    if (age > STALE_AUDIO_MS) return "stale";
    for (var i = 0; i < queue.length; i++) {
      if (queue[i].counter.id === c.counter.id && queue[i].seq > c.seq) return "superseded";
    }
    return null;
  }

  function pump() {
    if (busy || !queue.length) return;
    var c = queue.shift();
    var rec = { seq: c.seq, number: c.number, counter: c.counter.number, kind: c.kind,
                via: null, started: Date.now(), ended: null, error: null };
    played.push(rec);
    var why = skipReason(c);
    if (why) {
      rec.via = "skipped"; rec.error = why; rec.ended = rec.started;
      pump();
      return;
    }
    busy = true;
    playClip(c.audio).then(function () { rec.via = "audio"; }, function (err) {
      rec.error = String(err && (err.name || err.message) || err);
      if (err && err.name === "NotAllowedError" && !soundUnlocked) $("sound-blocked").hidden = false;
      return speak(c.text).then(function (ok) { rec.via = ok ? "speech" : "none"; });
    }).then(function () {
      rec.ended = Date.now();
      busy = false;
      pump();
    });
  }

  function playClip(url) {
    return new Promise(function (resolve, reject) {
      if (!url) { reject(new Error("no audio")); return; }
      var a = new Audio(url);
      var done = false;
      var timer = setTimeout(function () { finish(new Error("audio timeout")); }, 20000);
      function finish(err) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        a.onended = a.onerror = null;
        if (err) { try { a.pause(); } catch (e) { /* ignore */ } reject(err); } else resolve();
      }
      a.onended = function () { finish(null); };
      a.onerror = function () { finish(new Error("audio error " + (a.error && a.error.code))); };
      a.onloadedmetadata = function () {   // the real length, plus slack, bounds the wait
        if (isFinite(a.duration)) { clearTimeout(timer); timer = setTimeout(function () { finish(null); },
          a.duration * 1000 + 3000); }
      };
      var p = a.play();
      if (p && p.catch) p.catch(function (err) { finish(err); });
    });
  }

  function indonesianVoice() {
    if (!("speechSynthesis" in window)) return null;
    var voices = window.speechSynthesis.getVoices() || [];
    return voices.filter(function (v) { return /^id([-_]|$)/i.test(v.lang); })[0] || null;
  }

  function speak(text) {
    // only with a real Indonesian voice: an English voice reading Indonesian is worse than silence
    var voice = indonesianVoice();
    if (!voice || !text) return Promise.resolve(false);
    return new Promise(function (resolve) {
      var u = new SpeechSynthesisUtterance(text);
      u.voice = voice;
      u.lang = voice.lang;
      u.rate = 0.9;
      u.volume = state.volume;
      var timer = setTimeout(function () { resolve(true); }, 15000);
      u.onend = function () { clearTimeout(timer); resolve(true); };
      u.onerror = function () { clearTimeout(timer); resolve(false); };
      window.speechSynthesis.speak(u);
    });
  }

  document.addEventListener("click", function () {
    soundUnlocked = true;
    $("sound-blocked").hidden = true;
    if ("speechSynthesis" in window) window.speechSynthesis.getVoices();
  });

  // ------------------------------------------------------------------ media area
  (function media() {
    var box = $("media");
    var items = cfg.media || [];
    if (!box || !items.length) return;
    var i = 0;
    function next() {
      var m = items[i % items.length];
      i += 1;
      box.textContent = "";
      if (m.kind === "video") {
        var v = el("video");
        v.src = m.url; v.muted = true; v.autoplay = true; v.playsInline = true;
        v.onended = v.onerror = next;
        if (items.length === 1) { v.loop = true; v.onended = null; }
        box.appendChild(v);
      } else {
        var img = el("img");
        img.src = m.url; img.alt = "";
        box.appendChild(img);
        if (items.length > 1) setTimeout(next, 10000);
      }
    }
    next();
  })();

  // ------------------------------------------------------------------ connection
  function setConnected(up) {
    document.body.dataset.connection = up ? "up" : "down";
    $("connection").hidden = up;
  }

  // websocket first (one TCP connection: no sticky sessions needed across server processes); long-polling
  // only where a proxy refuses websockets
  var socket = io("/display", {
    auth: cfg.auth, transports: ["websocket", "polling"],
    reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 10000, randomizationFactor: 0.5,
    timeout: 10000,
  });
  var manualRetry = 1000;

  socket.on("connect", function () { manualRetry = 1000; setConnected(true); });
  socket.on("disconnect", function (reason) {
    setConnected(false);
    if (reason === "io server disconnect") {     // the client will not retry by itself
      setTimeout(function () { socket.connect(); }, manualRetry);
      manualRetry = Math.min(manualRetry * 2, 30000);
    }
  });
  socket.on("connect_error", function (err) {
    setConnected(false);
    if (!socket.active) {                        // refused by the server: retry with our own backoff
      var wait = err && err.data && err.data.retry_after;   // rate-limited: as long as the server says
      setTimeout(function () { socket.connect(); }, wait ? wait * 1000 : manualRetry);
      manualRetry = Math.min(manualRetry * 2, 30000);
    }
  });
  socket.on("state", applyState);
  function setWaiting(counts) {
    if (!counts) return;
    state.waiting.forEach(function (row) { row.waiting = counts[row.service] || 0; });
  }
  socket.on("called", function (c) {
    noteSeq(c.seq);
    setWaiting(c.waiting);
    addCall(c, true);
    renderAll(true);
    enqueue(c);
  });
  socket.on("refresh", function () { snapshotPending = 0; requestSnapshot(); });  // configuration changed
  socket.on("tick", function (t) { noteSeq(t.seq); setWaiting(t.waiting); renderWaiting(); });
  socket.on("waiting", function (w) { setWaiting(w.counts); renderWaiting(); });
  socket.on("counters", function (m) {
    var by = {};
    m.counters.forEach(function (row) { by[row.counter.id] = row; });
    state.counters.forEach(function (row) {
      var fresh = by[row.counter.id];
      if (fresh) { row.number = fresh.number; row.service = fresh.service; }
    });
    renderCounters();
  });

  window.antreanBoard = {
    state: function () { return state; },
    connected: function () { return socket.connected; },
    requestSnapshot: requestSnapshot,
    queue: function () { return queue.slice(); },
    nextWaitingPage: nextWaitingPage,
    socket: socket,
  };
})();
