// Authoring pages: editor (live preview, save with the version being edited, submit),
// review actions, restore of a version, and readers' helpfulness votes. Every action is
// an /api call with the session cookie and the CSRF header; refusals are shown on the
// page in its language (messages from #authoring-messages).
(function () {
  "use strict";
  var msgEl = document.getElementById("authoring-messages");
  var msgs = msgEl ? JSON.parse(msgEl.textContent) : {};

  function fmt(key, values) {
    var text = msgs[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }

  function show(id, text) {
    var el = document.getElementById(id);
    if (!el) { return; }
    el.textContent = text || "";
    el.hidden = !text;
  }

  function notice(text) { show("authoring-error", ""); show("authoring-notice", text); }
  function error(text) { show("authoring-notice", ""); show("authoring-error", text); }

  function api(method, url, body, csrf) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  function fieldLabel(field) {
    var input = document.getElementById("f-" + field.split(".")[0].replace(/\[.*$/, ""));
    var label = input ? input.closest("label") : null;
    return label && label.firstChild ? label.firstChild.textContent.trim() : field;
  }

  // The refusal of an answer, in the page's language.
  function explain(answer) {
    var data = answer.data || {};
    var conflictEl = document.getElementById("authoring-conflict");
    if (conflictEl) { conflictEl.hidden = true; }
    if (answer.status === 409 && data.conflict) {
      var c = data.conflict;
      if (conflictEl && c.diff) { conflictEl.textContent = c.diff.join("\n"); conflictEl.hidden = false; }
      return fmt("authoring_err_conflict", { version: c.current_version, who: c.modified_by || "" });
    }
    if (answer.status === 409) { return fmt("authoring_err_state"); }
    if (answer.status === 403) {
      if (/review right/.test(data.detail || "")) { return fmt("authoring_err_no_right"); }
      return fmt(/own article/.test(data.detail || "") ? "authoring_err_own" : "authoring_err_forbidden");
    }
    if (answer.status === 422 && Array.isArray(data.detail) && data.detail.length) {
      var d = data.detail[0];
      var loc = d.loc || [];
      var field = String(loc[loc.length - 1] || "");
      if (field === "comment") { return fmt("authoring_err_comment"); }
      var unknown = /unknown id '([^']*)'/.exec(d.msg || "");
      var message = unknown ? fmt("authoring_err_unknown_id", { id: unknown[1] })
        : fmt(field === "affected_versions" ? "authoring_err_versions" : "authoring_err_required");
      return fmt("authoring_err_field", { field: fieldLabel(field), message: message });
    }
    return fmt("authoring_err_other");
  }

  function selected(id) {
    var el = document.getElementById(id);
    return el ? Array.prototype.filter.call(el.options, function (o) { return o.selected; })
      .map(function (o) { return o.value; }) : [];
  }

  function fixes() {
    return document.getElementById("f-fixes").value.split("\n").map(function (line) {
      return line.trim();
    }).filter(Boolean).map(function (line) {
      var space = line.search(/\s/);
      return space < 0 ? { id: line, title: "" } : { id: line.slice(0, space), title: line.slice(space).trim() };
    });
  }

  // "his 5.2 5.3" a line → {his: ["5.2", "5.3"]}; the server checks the ids.
  function affectedVersions() {
    var el = document.getElementById("f-affected_versions");
    var out = {};
    if (!el) { return out; }
    el.value.split("\n").forEach(function (line) {
      var words = line.replace(/[,，、;；:：]/g, " ").trim().split(/\s+/).filter(Boolean);
      if (words.length) { out[words[0]] = (out[words[0]] || []).concat(words.slice(1)); }
    });
    return out;
  }

  // Existing articles the saved one may duplicate: links, with a suggestion to merge.
  function showSimilar(items) {
    var box = document.getElementById("similar");
    if (!box) { return; }
    var list = box.querySelector("ul");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }

  // ---- editor ------------------------------------------------------------------------
  var form = document.getElementById("article-form");
  if (form) {
    var csrf = form.dataset.csrf;
    var body = document.getElementById("f-body");
    var preview = document.getElementById("preview");
    var submitBtn = document.getElementById("submit-review");
    var timer = null;
    var rendered = null;

    var renderPreview = function () {
      if (body.value === rendered) { return; }
      rendered = body.value;
      api("POST", "/api/articles/preview", { body: body.value }, csrf).then(function (a) {
        if (a.ok) { preview.innerHTML = a.data.html; }  // sanitised by the server (nh3)
      });
    };
    body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(renderPreview, 250); });
    renderPreview();

    // An image or a video goes up at once (checked by content on the server) and its
    // Markdown (or <video> block) is inserted at the cursor; it becomes part of the
    // article with the next save.
    var attach = function (input, path, addedKey, refusedKey) {
      if (!input) { return; }
      var values = { mb: input.dataset.mb || "" };
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) { return; }
        var data = new FormData();
        data.append("file", file);
        fetch("/api/articles/" + encodeURIComponent(form.dataset.article) + "/" + path, {
          method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf || "" }, body: data
        }).then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (d) {
            input.value = "";
            if (!r.ok) { error(fmt(refusedKey, values)); return; }
            var at = body.selectionStart || body.value.length;
            body.value = body.value.slice(0, at) + "\n\n" + d.markdown + "\n\n" + body.value.slice(at);
            body.dispatchEvent(new Event("input"));
            notice(fmt(addedKey, values));
          });
        }, function () { input.value = ""; error(fmt(refusedKey, values)); });
      });
    };
    attach(document.getElementById("f-image"), "images", "authoring_image_added", "authoring_image_refused");
    attach(document.getElementById("f-video"), "videos", "authoring_video_added", "authoring_video_refused");

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var payload = {
        title: document.getElementById("f-title").value,
        body: body.value,
        systems: selected("f-systems"),
        symptoms: selected("f-symptoms"),
        departments: selected("f-departments"),
        audience: document.getElementById("f-audience").value,
        language: document.getElementById("f-language").value,
        fixes: fixes(),
        affected_versions: affectedVersions()
      };
      var id = form.dataset.article;
      var request = id
        ? api("PUT", "/api/articles/" + encodeURIComponent(id), Object.assign(payload, { version: Number(form.dataset.version) }), csrf)
        : api("POST", "/api/articles", payload, csrf);
      request.then(function (a) {
        if (!a.ok) { error(explain(a)); return; }
        form.dataset.article = a.data.id;
        form.dataset.version = a.data.version;
        if (!id) { history.replaceState(null, "", "/articles/" + encodeURIComponent(a.data.id) + "/edit"); }
        submitBtn.hidden = a.data.status !== "draft";
        notice(fmt("authoring_saved", { version: a.data.version }));
        showSimilar(a.data.similar || []);
      });
    });

    submitBtn.addEventListener("click", function () {
      api("POST", "/api/articles/" + encodeURIComponent(form.dataset.article) + "/submit", undefined, csrf)
        .then(function (a) {
          if (!a.ok) { error(explain(a)); return; }
          submitBtn.hidden = true;
          notice(fmt("authoring_submitted"));
        });
    });
  }

  // ---- review ------------------------------------------------------------------------
  var review = document.getElementById("review");
  if (review) {
    var rid = encodeURIComponent(review.dataset.article);
    var act = function (url, payload, doneKey) {
      api("POST", url, payload, review.dataset.csrf).then(function (a) {
        if (!a.ok) { error(explain(a)); return; }
        Array.prototype.forEach.call(review.querySelectorAll("#review-form button"), function (b) { b.hidden = true; });
        notice(fmt(doneKey));
      });
    };
    Array.prototype.forEach.call(review.querySelectorAll("button[data-decision]"), function (button) {
      button.addEventListener("click", function () {
        var decision = button.dataset.decision;
        act("/api/articles/" + rid + "/review",
          { decision: decision, comment: document.getElementById("review-comment").value },
          decision === "approve" ? "authoring_approved" : "authoring_changes_requested");
      });
    });
    var archive = document.getElementById("archive");
    if (archive) {
      archive.addEventListener("click", function () {
        act("/api/articles/" + rid + "/archive", { comment: document.getElementById("review-comment").value }, "authoring_archived");
      });
    }
  }

  // ---- versions ----------------------------------------------------------------------
  var versions = document.getElementById("versions");
  if (versions) {
    Array.prototype.forEach.call(versions.querySelectorAll("button[data-restore]"), function (button) {
      button.addEventListener("click", function () {
        var vid = encodeURIComponent(versions.dataset.article);
        api("POST", "/api/articles/" + vid + "/versions/" + button.dataset.restore + "/restore",
          { version: Number(versions.dataset.version) }, versions.dataset.csrf).then(function (a) {
          if (!a.ok) { error(explain(a)); return; }
          notice(fmt("authoring_restored", { version: a.data.version }));
          window.location.href = "/articles/" + vid + "/edit";
        });
      });
    });
  }

  // ---- helpfulness votes on an article -----------------------------------------------
  var feedback = document.getElementById("feedback");
  if (feedback && feedback.dataset.csrf) {
    Array.prototype.forEach.call(feedback.querySelectorAll("button.vote"), function (button) {
      button.addEventListener("click", function () {
        var comment = document.getElementById("feedback-comment");
        api("POST", "/api/articles/" + encodeURIComponent(feedback.dataset.article) + "/feedback",
          { helpful: button.dataset.helpful === "true", comment: comment ? comment.value : "" },
          feedback.dataset.csrf).then(function (a) {
          if (!a.ok) { error(explain(a)); return; }
          show("feedback-thanks", document.getElementById("feedback-thanks").textContent);
        });
      });
    });
  }
})();
