/* The SKM survey: one question per screen, large answers, auto-advance; profile and suggestion optional;
 * answers go to POST /api/v1/surveys. On a counter's tablet (cfg.counter): locked down, back to the
 * tablet's waiting screen after the thanks or after IDLE_MS without a touch (nothing half-sent is kept). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("survey-config").textContent);
  var tablet = !!cfg.counter;
  var IDLE_MS = 90000, DONE_MS = 8000;
  var $ = function (id) { return document.getElementById(id); };
  function home() { location.replace("/survei?loket=" + encodeURIComponent(cfg.counter)); }
  if (tablet) window.PublikKiosk.idle(IDLE_MS, home);   // lockdown.js
  if (cfg.done) { setTimeout(home, DONE_MS); return; }   // a message screen on the tablet

  var T = cfg.text, E = cfg.elements;
  var answers = new Array(E.length).fill(null), profile = {}, index = 0;
  function fmt(key, vars) {
    return String(T[key]).replace(/\{(\w+)\}/g, function (_, k) { return vars && k in vars ? vars[k] : ""; });
  }
  function show(name) {
    document.querySelectorAll("[data-screen]").forEach(function (s) { s.hidden = s.getAttribute("data-screen") !== name; });
    document.body.setAttribute("data-at", name);
    window.scrollTo(0, 0);
  }
  function question(i) {
    index = i;
    var e = E[i];
    $("q-progress").textContent = fmt("sv_question_n", { n: i + 1, total: E.length });
    $("q-bar").style.width = (100 * i / E.length) + "%";
    $("q-element").textContent = e.code + " · " + e.name;
    $("q-text").textContent = e.question;
    var box = $("q-answers");
    box.textContent = "";
    e.answers.forEach(function (label, k) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "answer a" + (k + 1) + (answers[i] === k + 1 ? " chosen" : "");
      b.setAttribute("data-value", String(k + 1));
      var n = document.createElement("span"); n.className = "n"; n.textContent = String(k + 1);
      var l = document.createElement("span"); l.className = "l"; l.textContent = label;
      b.appendChild(n); b.appendChild(l);
      b.addEventListener("click", function () {
        answers[i] = k + 1;
        b.classList.add("chosen");
        setTimeout(function () { if (i + 1 < E.length) question(i + 1); else show("profile"); }, 180);
      });
      box.appendChild(b);
    });
    show("question");
  }
  function buildProfile() {
    var box = $("profile");
    [["sex", "sv_sex"], ["age", "sv_age"], ["education", "sv_education"], ["occupation", "sv_occupation"]].forEach(function (p) {
      var group = document.createElement("fieldset");
      var legend = document.createElement("legend"); legend.textContent = T[p[1]];
      group.appendChild(legend);
      cfg.profile[p[0]].forEach(function (pair) {
        var code = pair[0];
        var b = document.createElement("button");
        b.type = "button"; b.className = "chip"; b.textContent = pair[1];
        b.setAttribute("data-field", p[0]); b.setAttribute("data-value", code);
        b.addEventListener("click", function () {
          var on = profile[p[0]] !== code;
          group.querySelectorAll(".chip").forEach(function (c) { c.classList.remove("chosen"); });
          if (on) { profile[p[0]] = code; b.classList.add("chosen"); } else { delete profile[p[0]]; }
        });
        group.appendChild(b);
      });
      box.appendChild(group);
    });
  }
  async function send() {
    var btn = $("send");
    btn.disabled = true; btn.textContent = T.sv_sending; $("send-error").hidden = true;
    var body = { ticket: cfg.token, answers: answers, channel: tablet ? "tablet" : "phone" };
    if (Object.keys(profile).length) body.profile = profile;
    var text = $("suggestion").value.trim();
    if (text) body.suggestion = text;
    try {
      var r = await fetch("/api/v1/surveys?lang=" + cfg.lang, {
        method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      });
      var data = await r.json().catch(function () { return {}; });
      if (r.status === 201) {
        show("done");
        if (tablet) setTimeout(home, DONE_MS);
        return;
      }
      if (r.status === 409) {   // answered meanwhile (another device) or not served: say so, nothing to retry
        $("done-text").textContent = data.message || T.sv_answered;
        show("done");
        if (tablet) setTimeout(home, DONE_MS);
        return;
      }
      throw new Error(data.message || ("HTTP " + r.status));
    } catch (e) {
      $("send-error").textContent = T.sv_error;
      $("send-error").hidden = false;
      btn.disabled = false; btn.textContent = T.sv_retry;
    }
  }
  $("start").addEventListener("click", function () { question(0); });
  $("q-back").addEventListener("click", function () { if (index > 0) question(index - 1); else show("intro"); });
  $("p-back").addEventListener("click", function () { question(E.length - 1); });
  $("p-next").addEventListener("click", function () { show("suggestion"); });
  $("s-back").addEventListener("click", function () { show("profile"); });
  $("send").addEventListener("click", send);
  buildProfile();
  show("intro");
})();
