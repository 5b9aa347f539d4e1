/* Draws the Plotly figures a page embeds with json_script ("chart-figures": {element id: figure}).
   Each drawn chart gets data-rendered="true", which the browser tests wait for. */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function drawAll() {
    var figures = readJson("chart-figures");
    if (!figures || typeof Plotly === "undefined") { return; }
    var config = readJson("plot-config") || { responsive: true, displaylogo: false };
    Object.keys(figures).forEach(function (id) {
      var figure = figures[id];
      var element = document.getElementById(id);
      if (!figure || !element) { return; }
      Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
        element.setAttribute("data-rendered", "true");
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
