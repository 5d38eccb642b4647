// SLA countdown: time left until each due time, refreshed every 30 seconds.
(function () {
  "use strict";
  function format(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h > 0 ? h + "h " : "") + m + "m";
  }
  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = new Date(el.getAttribute("data-due")).getTime() - Date.now();
      el.textContent = left >= 0 ? format(left) : el.getAttribute("data-overdue") + " " + format(left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
