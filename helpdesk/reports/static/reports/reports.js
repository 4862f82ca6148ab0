// Draws the report's charts from the data the page embeds; each chart's table stays beside it.
(function () {
  "use strict";
  function draw() {
    if (!window.Chart) return;
    var data = JSON.parse(document.getElementById("report-charts").textContent);
    var palette = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"];
    Object.keys(data).forEach(function (name) {
      var canvas = document.getElementById("chart-" + name);
      if (!canvas) return;
      var chart = data[name];
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: chart.series.map(function (s, i) {
            return { label: s.label, data: s.data, backgroundColor: palette[i % palette.length] };
          })
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
