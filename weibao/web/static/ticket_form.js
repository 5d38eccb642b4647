// Suggests articles while the problem is typed, so many problems end before a ticket does.
(function () {
  "use strict";
  var title = document.getElementById("ticket-title");
  var description = document.getElementById("ticket-description");
  var box = document.getElementById("suggestions");
  if (!title || !box) { return; }
  var list = box.querySelector("ul");
  var timer = null;
  var lastQuery = "";

  function show(results) {
    list.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = r.title;
      li.appendChild(a);
      list.appendChild(li);
    });
    box.hidden = results.length === 0;
  }

  function suggest() {
    var q = (title.value + " " + (description ? description.value : "")).trim().slice(0, 500);
    if (q.length < 2 || q === lastQuery) { return; }
    lastQuery = q;
    fetch("/api/search?kind=article&top_k=3&q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (body) { show(body.results || []); })
      .catch(function () { show([]); });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(suggest, 300);
  }
  title.addEventListener("input", later);
  if (description) { description.addEventListener("input", later); }
  if (title.value) { suggest(); }
})();
