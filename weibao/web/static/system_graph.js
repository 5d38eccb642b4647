// A system's map drawn with the vendored Apache ECharts: the data come from the figure's
// data-graph attribute (the CSP allows no inline script). Labels are kept short and the
// full name is in the tooltip; overlapping labels are hidden rather than drawn on top of
// each other; an article node opens the article.
(function () {
  "use strict";
  var el = document.getElementById("system-graph");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.getAttribute("data-graph"));
  var countLabel = el.getAttribute("data-count-label") || "";
  el.hidden = false;
  var fallback = document.getElementById("system-graph-fallback");
  if (fallback) { fallback.hidden = true; }
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: {
      formatter: function (p) {
        if (p.dataType !== "node") { return ""; }
        return echarts.format.encodeHTML(p.data.name) + (p.data.category > 0 && p.data.category < 3 ? "<br>" + countLabel + " " + p.data.value : "");
      }
    },
    legend: [{ data: data.categories.map(function (c) { return c.name; }), top: 0 }],
    series: [{
      type: "graph",
      layout: "force",
      roam: true,
      draggable: true,
      categories: data.categories,
      data: data.nodes.map(function (n) {
        return Object.assign({}, n, { label: { show: true, formatter: n.label } });
      }),
      links: data.links,
      force: { repulsion: 260, edgeLength: [50, 120], gravity: 0.08, layoutAnimation: false },
      labelLayout: { hideOverlap: true },
      label: { position: "right", fontSize: 12 },
      lineStyle: { color: "source", opacity: 0.5, curveness: 0.1 },
      emphasis: { focus: "adjacency" }
    }]
  });
  chart.on("click", function (p) {
    if (p.dataType === "node" && p.data.url && p.data.url.charAt(0) === "/") { window.location.href = p.data.url; }
  });
  el.setAttribute("data-rendered", "true");
  window.addEventListener("resize", function () { chart.resize(); });
})();
