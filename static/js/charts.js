/* Draws the Plotly figures a page embeds with json_script ("chart-figures": {element id: figure}).
   The charts on the first screen are drawn at once. The others follow in short runs (as many as fit in
   TASK_BUDGET_MS, judging each by the time the last one took), each run after the browser has painted the
   page again, so the first screen shows and the page answers clicks and scrolling meanwhile; a chart coming
   into view (or within a screen of it) is drawn before the ones further away.
   Each chart keeps its place (its figure's height) before it is drawn, so the page does not jump, and starts
   from the margins its labels need, so plotly.js lays it out once (fitMargins).
   Each drawn chart gets data-rendered="true"; the body gets data-first-screen-drawn="true" once the first
   screen's charts are drawn and painted, and data-charts-drawn="true" once every chart is; both moments are
   also performance marks of these names (the browser tests and benchmarks wait for and read these). */
(function () {
  "use strict";
  var AHEAD = "100% 0px";  // a chart within a screen's height of the viewport counts as coming into view
  var TASK_BUDGET_MS = 50;  // a run of charts drawn without a paint between them stays under a long task
  var LABEL_PAD_PX = 33;  // left margin plotly.js needs beyond a y axis' widest tick label (tick, gap, title)
  var learned = {};  // margins plotly.js settled on, by legend: the next chart with that legend starts there

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function onFirstScreen(element) {
    var box = element.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }

  function afterNextPaint(callback) {  // a hidden tab paints nothing: its charts wait until it is shown
    window.requestAnimationFrame(function () { setTimeout(callback, 0); });
  }

  function reached(name) {  // data-first-screen-drawn, data-charts-drawn
    document.body.setAttribute("data-" + name, "true");
    if (window.performance && performance.mark) { performance.mark(name); }
  }

  function widestLabel(axis, data, font) {  // px; the labels known before drawing: categories, a fixed range's end
    if (!axis) { return 0; }
    var tick = axis.tickfont || {};
    var context = document.createElement("canvas").getContext("2d");
    context.font = (tick.size || font.size || 12) + "px " + (tick.family || font.family || "sans-serif");
    var labels = (axis.categoryarray || []).slice();
    data.forEach(function (trace) {
      if (trace.orientation === "h" && (trace.yaxis || "y") === "y") {
        labels = labels.concat(trace.y || []);
      }
    });
    if (axis.range && axis.type !== "log") { labels.push(Math.round(axis.range[1]) + (axis.ticksuffix || "")); }
    return labels.reduce(function (widest, label) {
      return Math.max(widest, context.measureText(String(label)).width);
    }, 0);
  }

  function legendKey(figure, width) {
    var names = figure.data.map(function (trace) { return trace.showlegend === false ? "" : trace.name; });
    return width + ":" + JSON.stringify(names);
  }

  /* plotly.js lays a chart out twice when its axis labels or legend need more margin than the figure gives
     (automargin). Starting from the margin they need saves the second layout; automargin stays on, so a
     label this estimate misses still fits. */
  function fitMargins(figure, width) {
    var layout = figure.layout;
    var margin = layout.margin = Object.assign({}, layout.margin);
    var font = layout.font || {};
    var labels = Math.max(widestLabel(layout.yaxis, figure.data, font), widestLabel(layout.yaxis2, [], font));
    if (labels > 0) { margin.l = Math.max(margin.l || 0, Math.ceil(labels + LABEL_PAD_PX)); }
    var settled = learned[legendKey(figure, width)];
    if (settled) {
      ["l", "r", "t", "b"].forEach(function (side) { margin[side] = Math.max(margin[side] || 0, settled[side]); });
    }
  }

  function learn(element, figure, width) {
    var size = element._fullLayout && element._fullLayout._size;
    if (size) { learned[legendKey(figure, width)] = { l: size.l, r: size.r, t: size.t, b: size.b }; }
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
    var waiting = ids.filter(function (id) { return first.indexOf(id) < 0; });
    var near = {};  // the waiting charts within a screen of the viewport
    var observer = null;
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) { near[entry.target.id] = entry.isIntersecting; });
      }, { rootMargin: AHEAD });
      waiting.forEach(function (id) { observer.observe(document.getElementById(id)); });
    }

    function distanceToView(id) {
      var box = document.getElementById(id).getBoundingClientRect();
      return box.bottom < 0 ? -box.bottom : Math.max(box.top - window.innerHeight, 0);
    }

    function takeNext() {  // the nearest chart to the viewport among those near it, else the next on the page
      var at = 0;
      var best = Infinity;
      waiting.forEach(function (id, i) {
        var distance = near[id] ? distanceToView(id) : Infinity;
        if (distance < best) { best = distance; at = i; }
      });
      return waiting.splice(at, 1)[0];
    }

    function draw(id) {
      var element = document.getElementById(id);
      var figure = figures[id];
      var width = element.clientWidth;
      fitMargins(figure, width);
      return Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
        learn(element, figure, width);
        element.setAttribute("data-rendered", "true");
      });
    }

    function drawNext(runStarted) {  // the next chart, in this run if the last one's time still fits in it
      if (!waiting.length) {
        if (observer) { observer.disconnect(); }
        reached("charts-drawn");
        return;
      }
      var id = takeNext();
      if (observer) { observer.unobserve(document.getElementById(id)); }
      var started = performance.now();
      draw(id).then(function () {
        var now = performance.now();
        if (now - runStarted + (now - started) <= TASK_BUDGET_MS) {
          drawNext(runStarted);
        } else {
          afterNextPaint(function () { drawNext(performance.now()); });
        }
      });
    }

    Promise.all(first.map(draw)).then(function () {
      afterNextPaint(function () {
        reached("first-screen-drawn");
        drawNext(performance.now());
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
