/* Draws the Plotly figures a page embeds with json_script ("chart-figures": {element id: figure}).
   The charts on the first screen are drawn at once; the others follow one at a time, each in a task of
   its own, so the page answers clicks and scrolling meanwhile. Each drawn chart gets data-rendered="true";
   the body gets data-first-screen-drawn="true" once the first screen's charts are drawn, and
   data-charts-drawn="true" once every chart is (the browser tests and benchmarks wait for these). */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function onFirstScreen(element) {
    var box = element.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }

  function drawAll() {
    var figures = readJson("chart-figures");
    if (!figures || typeof Plotly === "undefined") { return; }
    var config = readJson("plot-config") || { responsive: true, displaylogo: false };
    var ids = Object.keys(figures).filter(function (id) {
      return figures[id] && document.getElementById(id);
    });
    ids.forEach(function (id) {  // each chart's place is kept before it is drawn: no jumps, a true first screen
      var element = document.getElementById(id);
      var height = (figures[id].layout || {}).height || 450;
      if (element.getBoundingClientRect().height < height) { element.style.minHeight = height + "px"; }
    });
    var first = ids.filter(function (id) { return onFirstScreen(document.getElementById(id)); });
    var rest = ids.filter(function (id) { return first.indexOf(id) < 0; });

    function draw(id) {
      var element = document.getElementById(id);
      return Plotly.newPlot(element, figures[id].data, figures[id].layout, config).then(function () {
        element.setAttribute("data-rendered", "true");
      });
    }

    function drawRest(i) {
      if (i >= rest.length) {
        document.body.setAttribute("data-charts-drawn", "true");
        return;
      }
      draw(rest[i]).then(function () { setTimeout(function () { drawRest(i + 1); }, 0); });
    }

    Promise.all(first.map(draw)).then(function () {
      document.body.setAttribute("data-first-screen-drawn", "true");
      setTimeout(function () { drawRest(0); }, 0);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
