/* Staff console: counter actions through the REST API (session + X-CSRFToken),
   live refresh over Socket.IO namespace /console, keyboard shortcuts. No CDN. */
(function () {
  "use strict";
  var en = document.documentElement.lang === "en";
  // the page's texts, from the server's catalogs (console/views.py SCRIPT_TEXTS, base.html #console-texts)
  var textsEl = document.getElementById("console-texts");
  var T = textsEl ? JSON.parse(textsEl.textContent) : {};
  function fill(text, number) { return String(text || "").replace("%(number)s", number); }
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var panel = document.getElementById("panel");
  var msg = document.getElementById("msg");
  var busy = false;
  var armed = {key: "", until: 0};
  function setBusy(on) {   // a press while an action is under way is ignored; aria-busy says so
    busy = on;
    if (panel) panel.setAttribute("aria-busy", on ? "true" : "false");
  }   // a confirmation asked for: which action on which number, until when

  function show(text, kind) {
    if (!msg) return;
    msg.textContent = text;
    msg.className = "flash " + (kind || "ok");
    msg.hidden = false;
  }

  function refresh(el) {
    var url = el.getAttribute("data-panel") || el.getAttribute("data-live");
    return fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { if (r.status === 401 || r.redirected) { location.reload(); } return r.text(); })
      .then(function (html) { el.innerHTML = html; })
      .catch(function () {});
  }
  var timer = null;
  function refreshAll() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      document.querySelectorAll("[data-panel],[data-live]").forEach(refresh);
    }, 60);
  }

  function act(button) {
    if (busy || !panel) return;
    var action = button.getAttribute("data-action");
    var cid = panel.getAttribute("data-counter");
    // the number this screen shows: if another screen on this loket called meanwhile, the server refuses (409)
    var cur = (panel.querySelector("[data-current]") || {getAttribute: function () { return ""; }})
      .getAttribute("data-current");
    var confirmText = button.getAttribute("data-confirm");
    var key = action + ":" + cur;   // kept in a variable: a live refresh replaces the button meanwhile
    if (confirmText && !(armed.key === key && Date.now() < armed.until)) {
      // the current number was never started: "call next" would record it as a no-show; ask once more
      armed = {key: key, until: Date.now() + 8000};
      show(confirmText, "warn");
      return;
    }
    armed = {key: "", until: 0};
    var body = {};
    if (action === "call-next" || action === "call") body.current = cur ? parseInt(cur, 10) : null;
    if (action === "call") body.ticket = parseInt(button.getAttribute("data-ticket"), 10);
    if (action === "transfer") body.service = (document.getElementById("transfer-to") || {}).value;
    setBusy(true);
    fetch("/api/v1/counters/" + cid + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept-Language": en ? "en" : "id"},
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) { return {ok: r.ok, data: data}; });
    }).then(function (res) {
      if (!res.ok) { show(res.data.message || T.failed, "error"); return refresh(panel); }
      if ("call" in res.data) {
        if (res.data.call) show(fill(T.called, res.data.call.number), "ok");
        else show(res.data.message || T.nobody, "warn");
      } else { show(T.done, "ok"); }
      return refresh(panel);
    }).catch(function () { show(T.failed, "error"); })
      .then(function () { setBusy(false); });
  }

  // reprint a ticket that may not have printed (audited by the server with this clerk's name)
  function reprint(button) {
    button.disabled = true;
    fetch("/api/v1/printers/reprint", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept-Language": en ? "en" : "id"},
      body: JSON.stringify({ticket_id: parseInt(button.getAttribute("data-reprint"), 10)})
    }).then(function (r) {
      return r.json().then(function (data) { return {ok: r.ok, data: data}; });
    }).then(function (res) {
      if (!res.ok) { show(res.data.message || T.failed, "error"); button.disabled = false; return; }
      show(fill(T.reprinted, res.data.job.number), "ok");
      var row = button.closest("tr");
      if (row) row.parentNode.removeChild(row);
    }).catch(function () { show(T.failed, "error"); button.disabled = false; });
  }

  document.addEventListener("click", function (ev) {
    var r = ev.target.closest("button[data-reprint]");
    if (r && !r.disabled) { ev.preventDefault(); reprint(r); return; }
    var b = ev.target.closest("button[data-action]");
    if (b && !b.disabled) { ev.preventDefault(); act(b); return; }
    if (ev.target.closest("[data-print]")) { ev.preventDefault(); window.print(); }
  });
  // no inline handlers: the Content-Security-Policy allows scripts from files only
  document.addEventListener("change", function (ev) {
    var s = ev.target.closest && ev.target.closest("select[data-autosubmit]");
    if (s && s.form) s.form.submit();
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    var k = (ev.key || "").toLowerCase();
    var focus = document.querySelector('[data-focus-key="' + k + '"]');
    if (focus) { ev.preventDefault(); focus.focus(); return; }
    var el = document.querySelector('[data-key="' + k + '"]');
    if (!el || el.disabled) return;
    ev.preventDefault();
    el.click();
  });

  // "Tampilkan NIK": the page carries only the masked NIK; the full one is asked for (and audited) on demand
  document.querySelectorAll("form[data-reveal-nik]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      fetch(form.getAttribute("data-reveal-nik"), {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept-Language": en ? "en" : "id"},
        body: "{}"
      }).then(function (r) {
        return r.json().then(function (data) { return {ok: r.ok, data: data}; });
      }).then(function (res) {
        if (!res.ok) { form.submit(); return; }  // the plain form shows the server's message
        var out = document.getElementById("nik");
        if (out) out.textContent = res.data.nik;
        form.remove();
      }).catch(function () { form.submit(); });
    });
  });

  if (window.io && document.querySelector("[data-panel],[data-live]")) {
    var live = document.getElementById("live");
    var socket = window.io("/console", {transports: ["websocket", "polling"]});
    socket.on("connect", function () {
      if (live) { live.textContent = T.live; live.className = "live on"; }
      refreshAll();  // (re)connected: rebuild from the server, events may have been missed
    });
    socket.on("disconnect", function () {
      if (live) { live.textContent = T.offline; live.className = "live off"; }
    });
    socket.on("update", function () { refreshAll(); });
  }
})();
