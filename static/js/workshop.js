/* Workshop mode: every control change re-runs the engine quickly and redraws the verdicts and the RTO chart.
 *
 * The page carries its controls (each option with the overrides it sets) in #ws-config. Only the controls
 * moved away from the base scenario send overrides. Requests are debounced and a newer one aborts an older one.
 * For tests and benchmarks: <body data-ws-state="busy|ready|error"> and data-ws-renders (a counter), and
 * window.workshopTimings (ms from the last input to the chart drawn).
 */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("ws-config").textContent);
  const PLOT_CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  const DEBOUNCE_MS = 150;
  const controls = Object.fromEntries(config.controls.map((c) => [c.key, c]));
  const state = Object.fromEntries(config.controls.map((c) => [c.key, c.current]));
  const pinned = [];
  let base = null; // payload of the base scenario, the first column of the comparison
  let latest = null;
  let timer = null;
  let inFlight = null;
  let inputAt = null;
  let renders = 0;
  window.workshopTimings = [];

  const $ = (id) => document.getElementById(id);
  const body = document.body;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function overrides(indices) {
    const out = {};
    for (const [key, index] of Object.entries(indices)) {
      if (index !== controls[key].current) Object.assign(out, controls[key].options[index].overrides);
    }
    return out;
  }

  function changes(indices) {
    return Object.entries(indices)
      .filter(([key, index]) => index !== controls[key].current)
      .map(([key, index]) => `${controls[key].label}: ${controls[key].options[index].label}`);
  }

  async function post(url, payload, signal) {
    const response = await fetch(url, {
      method: "POST", signal, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ scenario_id: config.scenario_id, ...payload }),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const errors = (data && data.errors) || [{ field: "", message: `The server answered ${response.status}.` }];
      const error = new Error(errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; "));
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function text(tag, content, className) {
    const el = document.createElement(tag);
    el.textContent = content;
    if (className) el.className = className;
    return el;
  }

  function showError(message) {
    const box = $("ws-errors");
    box.hidden = !message;
    box.textContent = message || "";
  }

  // -- rendering ------------------------------------------------------------------------------------
  function renderVerdict(payload) {
    const verdict = $("ws-verdict");
    const missed = payload.cards.filter((c) => c.met === false).map((c) => c.title);
    verdict.className = "ws-verdict " + (payload.targets_met ? "is-met" : "is-missed");
    verdict.textContent = payload.targets_met ? "✔ All targets met" : `✘ Targets missed: ${missed.join(" · ")}`;
  }

  function renderCards(payload) {
    const holder = $("ws-cards");
    holder.replaceChildren(...payload.cards.map((card) => {
      const el = document.createElement("article");
      el.className = "ws-card " + (card.met === true ? "is-met" : card.met === false ? "is-missed" : "is-unset");
      el.append(text("h3", card.title), text("p", card.met === true ? "✔ Met" : card.met === false ? "✘ Missed" : "Not set", "ws-card-status"),
        text("p", card.summary, "ws-card-summary"));
      return el;
    }));
  }

  const FIGURE_LABELS = [["downtime", "Downtime (mean)"], ["availability", "Availability (mean)"],
    ["data_loss", "Data loss p95 (worst type)"], ["premium", "Premium over single region"], ["total", "Total incl. expected outage cost"]];

  function renderFigures(payload) {
    const list = $("ws-figures");
    list.replaceChildren(...FIGURE_LABELS.map(([key, label]) => {
      const div = document.createElement("div");
      div.append(text("dt", label), text("dd", payload.figures[key]));
      return div;
    }));
    const rows = payload.rto_rows.map((row) => {
      const tr = document.createElement("tr");
      const th = text("th", row.label); th.scope = "row";
      tr.append(th, text("td", row.rto_p95), text("td", row.data_loss_p95));
      return tr;
    });
    $("ws-rto-table").querySelector("tbody").replaceChildren(...rows);
  }

  async function renderChart(payload) {
    if (!window.Plotly || !payload.figure) return;
    await Plotly.react($("ws-chart"), payload.figure.data, payload.figure.layout, PLOT_CONFIG);
  }

  async function render(payload) {
    renderVerdict(payload);
    renderCards(payload);
    renderFigures(payload);
    await renderChart(payload);
    const s = payload.settings;
    $("ws-status").textContent = `Quick run: ${s.trials.toLocaleString("en")} incidents per type, ` +
      `${s.years.toLocaleString("en")} simulated years, seed ${s.seed} — ${payload.elapsed_ms} ms.`;
  }

  // -- evaluating -----------------------------------------------------------------------------------
  async function evaluate() {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    body.dataset.wsState = "busy";
    $("ws-verdict").classList.add("is-busy");
    try {
      const payload = await post(config.urls.evaluate, { overrides: overrides(state) }, controller.signal);
      if (controller !== inFlight) return;
      latest = { payload, indices: { ...state } };
      if (base === null && Object.keys(overrides(state)).length === 0) base = payload;
      await render(payload);
      showError("");
      if (inputAt !== null) window.workshopTimings.push(performance.now() - inputAt);
      inputAt = null;
      renders += 1;
      body.dataset.wsRenders = String(renders);
      body.dataset.wsState = "ready";
    } catch (error) {
      if (error.name === "AbortError") return;
      body.dataset.wsState = "error";
      showError(`This variant could not be simulated: ${error.message}`);
    } finally {
      if (controller === inFlight) { inFlight = null; $("ws-verdict").classList.remove("is-busy"); }
    }
  }

  function schedule() {
    inputAt = inputAt === null ? performance.now() : inputAt;
    body.dataset.wsState = "busy";
    clearTimeout(timer);
    timer = setTimeout(evaluate, DEBOUNCE_MS);
  }

  function showValue(key) {
    const out = $(`o-${key}`);
    const option = controls[key].options[state[key]];
    if (out) out.textContent = option.label;
    const range = document.querySelector(`input[type=range][data-control="${key}"]`);
    if (range) range.setAttribute("aria-valuetext", option.label);
  }

  function syncInputs() {
    for (const input of document.querySelectorAll("[data-control]")) {
      const key = input.dataset.control;
      if (input.type === "range") input.value = String(state[key]);
      else if (input.type === "checkbox") input.checked = state[key] === 1;
      else if (input.type === "radio") input.checked = Number(input.value) === state[key];
      showValue(key);
    }
  }

  document.querySelectorAll("[data-control]").forEach((input) => {
    const key = input.dataset.control;
    const handler = () => {
      if (input.type === "checkbox") state[key] = input.checked ? 1 : 0;
      else if (input.type === "radio") { if (!input.checked) return; state[key] = Number(input.value); }
      else state[key] = Number(input.value);
      showValue(key);
      schedule();
    };
    input.addEventListener(input.type === "range" ? "input" : "change", handler);
    showValue(key);
  });

  $("ws-reset").addEventListener("click", () => {
    for (const key of Object.keys(state)) state[key] = controls[key].current;
    syncInputs();
    schedule();
  });

  const fullscreen = $("ws-fullscreen");
  fullscreen.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });

  // -- pinning and comparing ------------------------------------------------------------------------
  const COMPARE_ROWS = [
    ["Verdict", (p) => (p.targets_met ? "✔ all targets met" : "✘ " + p.cards.filter((c) => c.met === false).map((c) => c.title).join(", "))],
    ["Downtime per year (mean)", (p) => p.figures.downtime], ["Availability (mean)", (p) => p.figures.availability],
    ["Data loss p95 (worst type)", (p) => p.figures.data_loss], ["Lost transactions (mean)", (p) => p.figures.lost_tx],
    ["Conflicting transactions (mean)", (p) => p.figures.conflicting_tx || "—"],
    ["Premium", (p) => p.figures.premium], ["Total incl. expected outage cost", (p) => p.figures.total],
  ];

  function renderCompare() {
    const table = $("ws-compare");
    $("ws-pinned-empty").hidden = pinned.length > 0;
    table.hidden = pinned.length === 0;
    const columns = (base ? [{ label: "Base scenario", changes: [], payload: base }] : []).concat(pinned);
    const head = document.createElement("tr");
    head.append(text("th", "Variant"));
    columns.forEach((c) => { const th = text("th", c.label); th.scope = "col"; head.append(th); });
    const rows = [["Changes", (p, c) => (c.changes.length ? c.changes.join("; ") : "none")]].concat(COMPARE_ROWS)
      .map(([label, value]) => {
        const tr = document.createElement("tr");
        const th = text("th", label); th.scope = "row";
        tr.append(th, ...columns.map((c) => text("td", value(c.payload, c), label === "Verdict" ? (c.payload.targets_met ? "is-met" : "is-missed") : "")));
        return tr;
      });
    const thead = document.createElement("thead"); thead.append(head);
    const tbody = document.createElement("tbody"); tbody.append(...rows);
    table.replaceChildren(text("caption", "Pinned variants compared with the base scenario"), thead, tbody);
    const ids = pinned.filter((p) => p.run_id).map((p) => `runs=${p.run_id}`).join("&");
    const decision = $("ws-decision");
    if (decision) { decision.hidden = !ids; decision.href = `${config.decision_url}?${ids}`; }
    const compare = $("ws-compare-link");
    if (compare) { compare.hidden = pinned.filter((p) => p.run_id).length < 2; compare.href = compare.href.split("?")[0] + "?" + ids; }
  }

  let pinning = false;  // a double click pins once
  $("ws-pin").addEventListener("click", async () => {
    if (!latest || pinning) return;
    if (pinned.length >= config.max_pins) {
      showError(`At most ${config.max_pins} variants can be pinned in one page: the cost frontier compares them all with the base.`);
      return;
    }
    const labelInput = $("ws-pin-label");
    const label = labelInput.value.trim() || `Variant ${pinned.length + 1}`;
    const entry = { label, overrides: overrides(latest.indices), changes: changes(latest.indices), payload: latest.payload, run_id: null };
    if (config.can_edit && config.urls.pin) {
      pinning = true;
      $("ws-pin").disabled = true;
      try {
        const saved = await post(config.urls.pin, { overrides: entry.overrides, label });
        entry.run_id = saved.run_id;
        entry.payload = saved;
        $("ws-status").textContent = `Pinned “${label}” as run ${saved.run_id}.`;
      } catch (error) {
        showError(`Could not pin: ${error.message}`);
        return;
      } finally {
        pinning = false;
        $("ws-pin").disabled = false;
      }
    } else {
      $("ws-status").textContent = `Pinned “${label}” in this page.`;
    }
    pinned.push(entry);
    labelInput.value = "";
    renderCompare();
  });

  // -- cost frontier --------------------------------------------------------------------------------
  // A frontier too long for one request comes back as a job (202) the worker computes: poll its progress.
  async function frontierResult(answer, status) {
    if (!answer || !answer.status_url) return answer;
    for (;;) {
      if (answer.status === "done") return answer.result;
      if (answer.status === "failed") throw new Error(answer.error || "The frontier could not be computed.");
      status.textContent = `Computing on the server (about ${Math.round(answer.estimate_s)} s of simulation): ${Math.round(answer.progress * 100)} % done…`;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const response = await fetch(answer.status_url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`The server answered ${response.status}.`);
      answer = { ...(await response.json()), status_url: answer.status_url };
    }
  }

  $("ws-frontier-run").addEventListener("click", async () => {
    const status = $("ws-frontier-status");
    const button = $("ws-frontier-run");
    button.disabled = true;
    status.textContent = "Searching the cheapest changes that meet the targets…";
    const variants = [{ label: "Base scenario", overrides: {} }].concat(pinned.map((p) => ({ label: p.label, overrides: p.overrides })));
    try {
      const data = await frontierResult(await post(config.urls.frontier, { overrides: {}, variants }), status);
      const fixes = $("ws-fixes");
      fixes.replaceChildren(...data.fixes.map((f) => text("li", `${f.label}: +${Math.round(f.added_usd_per_month).toLocaleString("en")} per month${f.multi_region ? " (multi-region)" : ""}`)));
      if (data.already_met) fixes.replaceChildren(text("li", "The base scenario already meets every target."));
      else if (!data.fixes.length) fixes.replaceChildren(text("li", "No combination of up to three catalogue changes met every target in this search."));
      $("ws-frontier-charts").hidden = false;
      if (window.Plotly) {
        await Plotly.react($("ws-frontier-downtime"), data.downtime.data, data.downtime.layout, PLOT_CONFIG);
        await Plotly.react($("ws-frontier-loss"), data.data_loss.data, data.data_loss.layout, PLOT_CONFIG);
      }
      status.textContent = data.cheapest ? `Cheapest option that meets the targets: ${data.cheapest}.` : "No option shown meets every target.";
    } catch (error) {
      status.textContent = `The frontier could not be computed: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });

  evaluate();
})();
