// SLA countdowns in words, in the page's language ("3 小时后超时", "overdue by 20 min"),
// refreshed every 30 seconds from each element's data-due (ISO time with offset).
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  function span(ms) {
    var minutes = Math.max(1, Math.floor(Math.abs(ms) / 60000));
    if (minutes < 60) { return zh ? minutes + " 分钟" : minutes + " min"; }
    var h = Math.floor(minutes / 60), m = minutes % 60;
    if (h < 48) {
      if (h < 10 && m) { return zh ? h + " 小时 " + m + " 分钟" : h + " h " + m + " min"; }
      return zh ? h + " 小时" : h + " h";
    }
    var d = Math.round(h / 24);
    return zh ? d + " 天" : d + " days";
  }
  function phrase(left) {
    if (left >= 0) { return zh ? span(left) + "后超时" : "due in " + span(left); }
    return zh ? "已超时 " + span(left) : "overdue by " + span(left);
  }
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = new Date(el.getAttribute("data-due")).getTime() - Date.now();
      el.textContent = phrase(left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
