/* Live progress of a long job (a run, a report export). The box carries data-url (a JSON progress
   endpoint) and data-finished; data-kind says which page's elements to update. */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function eta(s) {
    if (s === null || s === undefined) { return ""; }
    return s < 90 ? ", about " + Math.round(s) + " s left" : ", about " + Math.round(s / 60) + " min left";
  }

  function showError(id, message) {
    if (!message) { return; }
    var node = byId(id);
    node.textContent = message;
    node.hidden = false;
  }

  var renderers = {
    run: function (p) {
      var state = byId("run-state"), cancel = byId("run-cancel"), bar = byId("run-bar");
      bar.value = p.progress;
      bar.textContent = Math.round(p.progress * 100) + " %";
      state.textContent = p.status.charAt(0).toUpperCase() + p.status.slice(1);
      state.className = "status status-" + p.status;
      byId("run-detail").textContent = " " + Math.round(p.progress * 100) + " % · " +
        (p.phase ? p.phase : p.chunks_done + " of " + p.chunks_total + " chunks") + (p.finished ? "" : eta(p.eta_s));
      showError("run-error", p.error);
      if (p.finished) {
        if (cancel) { cancel.hidden = true; }
        if (p.results_url) { byId("run-results").hidden = false; window.location.replace(p.results_url); }
      }
    },
    export: function (p) {
      var state = byId("export-state");
      byId("export-bar").value = p.progress;
      state.textContent = p.status_label;
      state.className = "status status-" + p.status;
      showError("export-error", p.error);
      if (p.ready) { byId("export-ready").hidden = false; }
    }
  };

  function follow(box) {
    var render = renderers[box.dataset.kind];
    var every = Number(box.dataset.every || 1000);
    if (!render || box.dataset.finished === "true") { return; }
    function poll() {
      fetch(box.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          render(p);
          if (!p.finished) { setTimeout(poll, every); }
        })
        .catch(function () { setTimeout(poll, every * 3); });
    }
    setTimeout(poll, every);
  }

  document.querySelectorAll("[data-progress]").forEach(follow);
})();
