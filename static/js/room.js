/* The workshop room: 1–4 options side by side; a control moved applies to every option.
 *
 * #room-config carries each option's controls (each position with the overrides it sets, in that
 * option's own scenario) and the session's saved state. The state keeps control positions as values
 * (control key → value), so one move means the same thing for every option. Editors' changes are saved
 * on the server (debounced; flushed with sendBeacon when the page goes away). Through a session link the
 * page is read-only and follows the facilitator: it polls the state and redraws when the revision grows.
 * For tests and benchmarks: <body data-ws-state="busy|ready|error">, data-ws-renders, data-room-revision,
 * window.workshopTimings (ms from the last input to the chart drawn).
 */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("room-config").textContent);
  const PLOT_CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };
  const DEBOUNCE_MS = 60;
  const SAVE_MS = 250;
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const display = Object.fromEntries(config.controls.map((c) => [c.key, c]));
  const perOption = config.options.map((o) => Object.fromEntries(o.controls.map((c) => [c.key, c])));
  const state = config.state;
  let payloads = config.options.map(() => null);
  let timer = null, inFlight = null, inputAt = null, renders = 0, saveTimer = null, dirty = false;
  window.workshopTimings = [];
  body.dataset.roomRevision = String(state.revision);

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  const BUSY_RETRIES = 10; // the server answers 429 while it computes your other options: wait and ask again
  async function request(url, payload, signal, attempt = 0) {
    const response = await fetch(url, payload === undefined ? { credentials: "same-origin", cache: "no-store" } : {
      method: "POST", signal, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }, body: JSON.stringify(payload),
    });
    if (response.status === 429 && attempt < BUSY_RETRIES) {
      const waitS = Math.min(Number(response.headers.get("Retry-After")) || 1, 2);
      await new Promise((resolve) => setTimeout(resolve, waitS * 1000 * (0.5 + Math.random() / 2)));
      return request(url, payload, signal, attempt + 1);
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const errors = (data && data.errors) || [{ field: "", message: `The server answered ${response.status}.` }];
      throw new Error(errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; "));
    }
    return data;
  }

  function el(tag, content, className) {
    const node = document.createElement(tag);
    if (content !== undefined) node.textContent = content;
    if (className) node.className = className;
    return node;
  }

  function showError(message) { const box = $("room-errors"); box.hidden = !message; box.textContent = message || ""; }

  // -- control positions ----------------------------------------------------------------------------
  function indexOf(control, value) {
    const values = control.options.map((o) => o.value);
    const exact = values.findIndex((v) => v === value);
    if (exact >= 0 || typeof value !== "number") return exact;
    let best = -1;
    values.forEach((v, i) => { if (typeof v === "number" && (best < 0 || Math.abs(v - value) < Math.abs(values[best] - value))) best = i; });
    return best;
  }
  const position = (key) => (key in state.controls ? Math.max(0, indexOf(display[key], state.controls[key])) : display[key].current);

  function overridesFor(i, controls = state.controls) {
    const out = {};
    for (const [key, value] of Object.entries(controls)) {
      const control = perOption[i][key];
      const index = control ? indexOf(control, value) : -1;
      if (index >= 0) Object.assign(out, control.options[index].overrides);
    }
    return out;
  }

  function showValue(key) {
    const option = display[key].options[position(key)];
    const out = $(`o-${key}`);
    if (out) out.textContent = option.label;
    const range = document.querySelector(`input[type=range][data-control="${key}"]`);
    if (range) range.setAttribute("aria-valuetext", option.label);
  }

  function syncInputs() {
    for (const input of document.querySelectorAll("[data-control]")) {
      const key = input.dataset.control, index = position(key);
      if (input.type === "range") input.value = String(index);
      else if (input.type === "checkbox") input.checked = index === 1;
      else if (input.type === "radio") input.checked = Number(input.value) === index;
      showValue(key);
    }
  }

  // -- rendering ------------------------------------------------------------------------------------
  function renderOption(i, payload) {
    const card = $(`room-option-${i}`);
    const missed = payload.cards.filter((c) => c.met === false);
    card.className = "room-option " + (payload.targets_met ? "is-met" : "is-missed");
    card.querySelector(".room-verdict").textContent = payload.targets_met ? "✔ All targets met" : `✘ ${missed.length} target${missed.length > 1 ? "s" : ""} missed`;
    card.querySelector(".room-cards").replaceChildren(...payload.cards.filter((c) => c.met !== null).map((c) =>
      el("li", `${c.met ? "✔" : "✘"} ${c.title}`, c.met ? "is-met" : "is-missed")));
    const key = payload.key;
    card.querySelector(".room-key").replaceChildren(...[["RTO p95 (judged types)", key.rto_p95], ["Worst data loss p95", key.data_loss_p95],
      ["Total incl. expected outages", key.total]].map(([label, value]) => { const div = el("div"); div.append(el("dt", label), el("dd", value)); return div; }));
  }

  async function renderChart() {
    if (!window.Plotly || payloads.some((p) => p === null)) return;
    const names = config.options.map((o) => o.name);
    const minutes = payloads.map((p) => p.key.rto_p95_s / 60);
    const target = payloads[0].key.rto_target_s;
    const shapes = target ? [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: target / 60, y1: target / 60, line: { color: "#111", width: 3, dash: "dash" } }] : [];
    const data = [{ type: "bar", x: names, y: minutes, text: payloads.map((p) => `${p.targets_met ? "✔" : "✘"} ${p.key.rto_p95}`), textposition: "auto",
      marker: { color: payloads.map((p) => (p.key.rto_p95_s <= (target || Infinity) ? "#1d6b2f" : "#a4161a")) }, hovertemplate: "%{x}: %{text}<extra></extra>" }];
    const chart = $("room-chart");
    const narrow = chart.clientWidth < 520;
    const layout = { height: Math.max(180, chart.clientHeight), font: { size: 16 }, margin: { l: 70, r: 10, t: 36, b: 40 }, shapes, showlegend: false,
      title: { text: (narrow ? "RTO p95" : "Recovery time p95, judged incident types") + (target ? ` (target ${Math.round(target / 60 * 10) / 10} min, dashed)` : ""), font: { size: narrow ? 13 : 16 } },
      xaxis: { automargin: true, tickfont: { size: narrow ? 11 : 16 } },
      yaxis: { title: { text: "minutes" }, rangemode: "tozero", gridcolor: "#d0d4d9", automargin: true }, paper_bgcolor: "#fff", plot_bgcolor: "#fff" };
    await Plotly.react(chart, data, layout, PLOT_CONFIG);
  }

  // -- positions computed ahead: where the controls are likely to go next --------------------------
  const AHEAD_MAX = 6;
  let lastMove = null; // { key, step }: the control moved last and the way it went

  function positionAt(key, index) {
    const control = display[key];
    if (index < 0 || index >= control.options.length) return null;
    return { ...state.controls, [key]: control.options[index].value };
  }

  function aheadPositions() {
    const wanted = [];
    if (lastMove) {
      const at = position(lastMove.key);
      wanted.push(positionAt(lastMove.key, at + lastMove.step), positionAt(lastMove.key, at + 2 * lastMove.step));
    }
    for (const control of config.controls) {
      if (control.kind !== "slider" || (lastMove && control.key === lastMove.key)) continue;
      const at = position(control.key);
      wanted.push(positionAt(control.key, at + 1), positionAt(control.key, at - 1));
    }
    return wanted.filter((controls) => controls !== null).slice(0, AHEAD_MAX).map((controls) =>
      config.options.map((o, i) => ({ scenario_id: o.scenario_id, overrides: overridesFor(i, controls) })));
  }

  async function answersFor(controller) {
    const options = config.options.map((o, i) => ({ scenario_id: o.scenario_id, overrides: overridesFor(i) }));
    if (config.urls.evaluate_all) {
      // every option in one request: their runs share the server's workers; and where to compute ahead
      const answer = await request(config.urls.evaluate_all, { options, ahead: aheadPositions() }, controller.signal);
      return answer.options;
    }
    // through a link, one option after the other: asking for all at once would meet its limit (429)
    const answers = [];
    for (const option of options) {
      answers.push(await request(config.urls.evaluate, { ...option, room: true }, controller.signal));
      if (controller !== inFlight) return answers;
    }
    return answers;
  }

  async function evaluateAll() {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    body.dataset.wsState = "busy";
    try {
      const answers = await answersFor(controller);
      if (controller !== inFlight) return;
      payloads = answers;
      answers.forEach((p, i) => renderOption(i, p));
      await renderChart();
      showError("");
      rendered();
      const s = answers[0].settings;
      $("room-status").textContent = `Quick runs: ${s.trials.toLocaleString("en")} incidents per type, ${s.years.toLocaleString("en")} simulated years, seed ${s.seed} (the same for every option) — slowest ${Math.max(...answers.map((a) => a.elapsed_ms))} ms.`;
    } catch (error) {
      if (error.name === "AbortError") return;
      body.dataset.wsState = "error";
      showError(`Could not simulate: ${error.message}`);
    } finally {
      if (controller === inFlight) inFlight = null;
    }
  }

  function rendered() {
    if (inputAt !== null) window.workshopTimings.push(performance.now() - inputAt);
    inputAt = null;
    Object.assign(body.dataset, { wsRenders: String(++renders), wsState: "ready" });
  }

  // A slider dragged asks once it pauses (DEBOUNCE_MS); a move that is done (a key, a click, a slider let go:
  // ``change``) asks at once, unless an answer is on its way (then it waits for a pause too).
  function schedule(done = false) {
    inputAt = inputAt === null ? performance.now() : inputAt;
    body.dataset.wsState = "busy";
    clearTimeout(timer);
    timer = null;
    if (done && inFlight === null) evaluateAll();
    else timer = setTimeout(() => { timer = null; evaluateAll(); }, DEBOUNCE_MS);
  }

  // -- saving (editors) -----------------------------------------------------------------------------
  function saved() {
    return { controls: state.controls, pins: state.pins, notes: state.notes, draft_decision: state.draft_decision, options: state.options };
  }

  async function save() {
    if (!config.can_edit || !dirty) return;
    dirty = false;
    clearTimeout(saveTimer);
    try {
      const answer = await request(config.urls.state, saved());
      state.revision = answer.revision;
      body.dataset.roomRevision = String(answer.revision);
      $("room-saved").textContent = `Saved (revision ${answer.revision}).`;
    } catch (error) {
      dirty = true;
      showError(`Not saved: ${error.message}`);
    }
  }

  function changed() {
    if (!config.can_edit) return;
    dirty = true;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, SAVE_MS);
  }

  window.addEventListener("pagehide", () => {
    if (!dirty || !config.can_edit) return;
    const form = new FormData();
    form.append("csrfmiddlewaretoken", csrfToken());
    form.append("state", JSON.stringify(saved()));
    navigator.sendBeacon(config.urls.state, form);
  });

  // -- controls -------------------------------------------------------------------------------------
  document.querySelectorAll("[data-control]").forEach((input) => {
    const key = input.dataset.control;
    input.addEventListener(input.type === "range" ? "input" : "change", () => {
      let index;
      if (input.type === "checkbox") index = input.checked ? 1 : 0;
      else if (input.type === "radio") { if (!input.checked) return; index = Number(input.value); }
      else index = Number(input.value);
      const before = position(key);
      if (index !== before) lastMove = { key, step: index > before ? 1 : -1 };
      state.controls[key] = display[key].options[index].value;
      showValue(key);
      schedule(input.type !== "range");
      changed();
    });
    if (input.type === "range") input.addEventListener("change", () => { if (timer !== null) schedule(true); });
  });

  $("room-reset").addEventListener("click", () => { state.controls = {}; syncInputs(); schedule(); changed(); });

  // -- pins, notes, draft decision ------------------------------------------------------------------
  function renderPins() {
    $("room-pins").replaceChildren(...(state.pins.length ? state.pins.map((pin, i) => {
      const li = el("li");
      const apply = el("button", pin.label, "ws-secondary");
      apply.type = "button";
      apply.addEventListener("click", () => { state.controls = { ...pin.controls }; syncInputs(); schedule(); changed(); });
      li.append(apply);
      if (config.can_edit) {
        const remove = el("button", "✕", "ws-secondary");
        remove.type = "button";
        remove.setAttribute("aria-label", `Remove pin ${pin.label}`);
        remove.addEventListener("click", () => { state.pins.splice(i, 1); renderPins(); changed(); });
        li.append(" ", remove);
      }
      return li;
    }) : [el("li", "Nothing pinned yet.")]));
  }

  function renderNotes() {
    const draft = state.draft_decision || {};
    $("room-chosen").value = draft.chosen == null ? "" : String(draft.chosen);
    $("room-rationale").value = draft.rationale || "";
    $("room-agreed").value = draft.agreed_by || "";
    $("room-notes").value = state.notes || "";
  }

  const pinButton = $("room-pin");
  if (pinButton) pinButton.addEventListener("click", () => {
    if (state.pins.length >= config.max_pins) { showError(`At most ${config.max_pins} pins.`); return; }
    const label = $("room-pin-label").value.trim() || `Pin ${state.pins.length + 1}`;
    state.pins.push({ label, controls: { ...state.controls } });
    $("room-pin-label").value = "";
    renderPins();
    changed();
  });

  function draftChanged() {
    const chosen = $("room-chosen").value;
    state.draft_decision = { chosen: chosen ? Number(chosen) : null, rationale: $("room-rationale").value, agreed_by: $("room-agreed").value };
    changed();
  }
  ["room-chosen", "room-rationale", "room-agreed"].forEach((id) => $(id).addEventListener("input", draftChanged));
  $("room-notes").addEventListener("input", () => { state.notes = $("room-notes").value; changed(); });

  // -- options and the session link -----------------------------------------------------------------
  const slots = Array.from(document.querySelectorAll(".room-slot"));
  slots.forEach((select, i) => { select.value = state.options[i] ? String(state.options[i]) : ""; });
  slots.forEach((select) => select.addEventListener("change", async () => {
    const chosen = [...new Set(slots.map((s) => Number(s.value)).filter((v) => v > 0))];
    if (!chosen.length) return;
    state.options = chosen;
    dirty = true;
    await save();
    window.location.reload();
  }));
  const shareForm = $("room-share-form");
  if (shareForm) shareForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    await save();
    shareForm.submit();
  });

  // -- tabs and full screen -------------------------------------------------------------------------
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  tabs.forEach((tab) => tab.addEventListener("click", () => {
    tabs.forEach((t) => { const on = t === tab; t.setAttribute("aria-selected", String(on)); $(t.getAttribute("aria-controls")).hidden = !on; });
  }));
  $("room-fullscreen").addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });

  // -- follow the facilitator (session links) -------------------------------------------------------
  async function poll() {
    const follow = $("room-follow");
    if (follow && follow.checked) {
      try {
        const latest = await request(config.urls.state);
        if (latest.revision !== state.revision) {
          if (JSON.stringify(latest.options) !== JSON.stringify(state.options)) { window.location.reload(); return; }
          Object.assign(state, latest);
          body.dataset.roomRevision = String(latest.revision);
          syncInputs(); renderPins(); renderNotes();
          await evaluateAll();
        }
      } catch (error) {
        showError(`Not following any more: ${error.message}`);
        return;
      }
    }
    setTimeout(poll, config.poll_ms);
  }

  syncInputs();
  renderPins();
  renderNotes();
  window.addEventListener("resize", () => { renderChart(); });
  window.roomTools = { state, payloads: () => payloads, overridesFor, request, el, showError, config };
  evaluateAll();
  if (config.follow) setTimeout(poll, config.poll_ms);
})();
