// Training page: plan, record held and give feedback through /api/trainings, then reload.
(function () {
  "use strict";
  var messages = JSON.parse((document.getElementById("training-messages") || {}).textContent || "{}");

  function show(id, text) {
    var el = document.getElementById(id);
    if (!el) { return; }
    el.textContent = text;
    el.hidden = !text;
  }

  // The browser's local time with its offset, as the API wants a zone.
  function withZone(local) {
    var d = new Date(local);
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    var abs = Math.abs(off);
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return local + (local.length === 16 ? ":00" : "") + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function post(url, body, csrf) {
    show("training-error", "");
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.ok) { show("training-notice", messages.training_js_saved || ""); window.location.reload(); return; }
      show("training-error", r.status === 403 ? (messages.training_js_forbidden || "")
        : r.status === 404 ? (messages.training_js_not_found || "") : (messages.training_js_invalid || ""));
    }, function () { show("training-error", messages.training_js_network || ""); });
  }

  function list(text) {
    return text.split(/[,，\s]+/).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  var plan = document.getElementById("training-plan");
  if (plan) {
    plan.addEventListener("submit", function (e) {
      e.preventDefault();
      var f = plan.elements;
      post("/api/trainings", {
        hospital_id: plan.dataset.hospital, audience: f.audience.value, topic: f.topic.value,
        planned_at: withZone(f.planned_at.value), trainer_id: f.trainer_id.value || null,
        article_ids: list(f.article_ids.value)
      }, plan.dataset.csrf);
    });
  }
  document.querySelectorAll("form.training-held").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var f = form.elements;
      post("/api/trainings/" + form.dataset.training + "/held", {
        held_at: withZone(f.held_at.value), attendee_count: Number(f.attendee_count.value),
        attendee_names: list(f.attendee_names.value)
      }, form.dataset.csrf);
    });
  });
  document.querySelectorAll("form.training-feedback").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      post("/api/trainings/" + form.dataset.training + "/feedback",
        { score: Number(form.elements.score.value), comment: form.elements.comment.value }, form.dataset.csrf);
    });
  });
}());
