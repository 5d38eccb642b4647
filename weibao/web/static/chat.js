// The chat widget: posts to /api/chat with the session cookie and the CSRF header.
// Text is always inserted with textContent, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("chat-widget");
  if (!root) { return; }
  var toggle = root.querySelector(".chat-toggle");
  var panel = root.querySelector(".chat-panel");
  var closeButton = root.querySelector(".chat-close");
  var log = root.querySelector(".chat-log");
  var form = root.querySelector(".chat-form");
  var input = root.querySelector("#chat-input");
  var send = root.querySelector(".chat-send");
  var KEY = "weibao.chat.session";

  function open() {
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    input.focus();
  }
  function close() {
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.focus();
  }
  toggle.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(); } });
  closeButton.addEventListener("click", close);
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { event.preventDefault(); close(); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }
  function link(href, text, className) {
    var a = element("a", className, text);
    // Only our own paths: the API never returns another origin.
    a.href = href.charAt(0) === "/" ? href : "#";
    return a;
  }
  function addMessage(who, text) {
    var item = element("li", "chat-msg " + who);
    text.split("\n").forEach(function (line) { item.appendChild(element("p", "", line)); });
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }
  function render(data) {
    var item = addMessage("bot", data.reply);
    item.lang = data.language === "en" ? "en" : "zh-CN";
    if (data.citations && data.citations.length) {
      item.appendChild(element("p", "chat-sources-label", root.dataset.sources));
      var list = element("ol", "chat-citations");
      data.citations.forEach(function (c, i) {
        var li = element("li");
        var a = link(c.url, "[" + (i + 1) + "] " + c.title, "chat-citation");
        a.title = c.passage;
        li.appendChild(a);
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    (data.actions || []).forEach(function (action) {
      if (action.type === "open_ticket") {
        item.appendChild(link(action.url, root.dataset.openTicket, "chat-action chat-open-ticket"));
      } else if (action.type === "ticket_status") {
        item.appendChild(link(action.url, root.dataset.viewTicket, "chat-action"));
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = input.value.trim();
    if (!message) { return; }
    addMessage("user", message);
    input.value = "";
    send.disabled = true;
    var body = { message: message };
    var session = window.sessionStorage.getItem(KEY);
    if (session) { body.session_id = session; }
    fetch("/api/chat", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      window.sessionStorage.setItem(KEY, data.session_id);
      render(data);
    }).catch(function () {
      addMessage("bot error", root.dataset.error);
    }).finally(function () {
      send.disabled = false;
      input.focus();
    });
  });
})();
