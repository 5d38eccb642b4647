// Charts of the service pages (Apache ECharts, vendored under /static/vendor/echarts/) and
// the dashboard's self-refresh. Data come from data-* attributes: the CSP allows no inline script.
(function () {
  "use strict";
  function read(el, name) {
    var raw = el.getAttribute(name);
    return raw ? JSON.parse(raw) : null;
  }
  function bar(el, title, categories, series) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      title: { text: title || "", textStyle: { fontSize: 13 } },
      tooltip: {},
      legend: series.length > 1 ? { top: 22 } : undefined,
      grid: { top: series.length > 1 ? 56 : 36, left: 40, right: 12, bottom: 28 },
      xAxis: { type: "category", data: categories },
      yAxis: { type: "value" },
      series: series.map(function (s) { return { type: "bar", name: s.name, data: s.data, stack: s.stack }; }),
      animation: false
    });
    el.setAttribute("data-rendered", "true");
  }
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var data = read(el, "data-series") || {};
    var labels = read(el, "data-labels") || [];
    var title = el.getAttribute("data-title");
    var kind = el.getAttribute("data-chart");
    if (kind === "age") {
      var buckets = data.buckets || [];
      bar(el, title, data.priorities, buckets.map(function (b, i) {
        return { name: labels[i] || b, stack: "age",
                 data: data.priorities.map(function (p) { return (data.by_age[p] || {})[b] || 0; }) };
      }));
    } else if (kind === "volume") {
      bar(el, title, data.priorities, [{ name: title, data: data.volume }]);
    } else if (kind === "compliance") {
      bar(el, title, data.priorities, [{ name: labels[0], data: data.response }, { name: labels[1], data: data.resolution }]);
    } else if (kind === "system") {
      var rows = data.systems || [];
      bar(el, title, rows.map(function (r) { return r[0]; }), [{ name: title, data: rows.map(function (r) { return r[1]; }) }]);
    }
  });
  var refresh = document.querySelector("[data-refresh-seconds]");
  if (refresh) {
    setTimeout(function () { window.location.reload(); },
               1000 * parseInt(refresh.getAttribute("data-refresh-seconds"), 10));
  }
})();
