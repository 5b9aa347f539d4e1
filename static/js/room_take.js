/* "What would it take" in the room: the tornado of one option, drawn slice by slice with progress; the
 * break-even value of its top levers for each missed target; the cheapest changes, or the nearest misses
 * with their shortfall. Uses window.roomTools (room.js): the option's current overrides, request, el. */
(function () {
  "use strict";
  const tools = window.roomTools;
  if (!tools || !document.getElementById("room-tornado")) return;
  const { config, request, el } = tools;
  const $ = (id) => document.getElementById(id);
  const TOP_LEVERS = 2;
  const TOP_DRIVERS = 5;
  // tornado parameter → the room's control that moves it (the others are not workshop controls)
  const CONTROL_OF = { failover_mode: "failover_mode", detection_interval_s: "detection_interval", validate_on_borrow: "validate_on_borrow",
    max_lifetime_s: "max_lifetime", health_check: "health_check", replication: "replication", local_standby: "local_standby",
    standby_warmth: "standby_warmth", backup_interval_s: "backup_interval", app_instances: "instances", deployment_strategy: "deployment_strategy" };

  function showControl(key) {
    document.getElementById("tab-controls").click();
    const box = document.querySelector(`#panel-controls .ws-control[data-key="${key}"]`);
    if (!box) return;
    box.classList.add("room-driver");
    box.scrollIntoView({ block: "center" });
    const input = box.querySelector("input");
    if (input) input.focus();
  }

  function drivers(bars) {
    const top = bars.slice().sort((a, b) => (b.swing.annual_downtime_s || 0) - (a.swing.annual_downtime_s || 0)).slice(0, TOP_DRIVERS);
    $("room-drivers").replaceChildren(...top.map((bar) => {
      const li = el("li", `${bar.label}: ${((bar.swing.annual_downtime_s || 0) / HOUR_S).toFixed(2)} h/year of swing `);
      const key = CONTROL_OF[bar.key];
      if (key && document.querySelector(`#panel-controls .ws-control[data-key="${key}"]`)) {
        const button = el("button", "Show the control", "ws-secondary");
        button.type = "button";
        button.addEventListener("click", () => showControl(key));
        li.append(button);
      }
      return li;
    }));
  }
  const HOUR_S = 3600;
  const PLOT_CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };

  function option() {
    const index = Number($("room-take-option").value);
    return { scenario_id: config.options[index].scenario_id, overrides: tools.overridesFor(index) };
  }

  function metricOf(verdict) {
    if (verdict.target === "rto") return `rto_p95_s.${verdict.incident_type}`;
    if (verdict.target === "rpo") return `data_loss_p95_s.${verdict.incident_type}`;
    return "annual_downtime_s";
  }

  function drawTornado(bars) {
    if (!window.Plotly) return;
    const sorted = bars.slice().sort((a, b) => (a.swing.annual_downtime_s || 0) - (b.swing.annual_downtime_s || 0));
    const hours = (side) => (side.delta.annual_downtime_s || 0) / HOUR_S;
    const trace = (name, side, color) => ({ type: "bar", orientation: "h", name, y: sorted.map((b) => b.label),
      x: sorted.map((b) => hours(b[side])), text: sorted.map((b) => b[side].label), marker: { color },
      hovertemplate: "%{y}: %{text} → %{x:.2f} h/year<extra></extra>" });
    Plotly.react($("room-tornado-chart"), [trace("low", "low", "#0b4f8a"), trace("high", "high", "#c26a00")], {
      barmode: "overlay", height: 90 + 26 * sorted.length, margin: { l: 200, r: 10, t: 30, b: 40 }, font: { size: 13 },
      title: { text: "Change in expected downtime (h/year) from the option's own settings", font: { size: 13 } },
      xaxis: { zeroline: true, zerolinewidth: 2 }, legend: { orientation: "h" },
    }, PLOT_CONFIG);
  }

  async function breakEvens(plan, bars) {
    const list = $("room-breakeven");
    list.replaceChildren();
    const numeric = new Set(plan.parameters.filter((p) => p.numeric).map((p) => p.key));
    for (const verdict of plan.missed) {
      const metric = metricOf(verdict);
      const top = bars.filter((b) => numeric.has(b.key) && (b.swing[metric] || 0) > 0)
        .sort((a, b) => b.swing[metric] - a.swing[metric]).slice(0, TOP_LEVERS);
      if (!top.length) { list.append(el("li", `${verdict.text}: no numeric lever moves it.`)); continue; }
      for (const bar of top) {
        const item = el("li", `${verdict.text} — ${bar.label}: searching…`);
        list.append(item);
        const started = performance.now();
        try {
          const found = await request(config.urls.breakeven, { ...option(), parameter: bar.key, target: verdict.target, incident_type: verdict.incident_type });
          const ms = Math.round(performance.now() - started);
          item.textContent = found.status === "found"
            ? `${verdict.text} — met from ${bar.label} = ${found.value_label} (${found.evaluations} runs, ${ms} ms)`
            : `${verdict.text} — ${bar.label}: ${found.status}`;
        } catch (error) { item.textContent = `${bar.label}: ${error.message}`; }
      }
    }
    if (!plan.missed.length) list.append(el("li", "This option meets every target: nothing to break even."));
  }

  $("room-tornado").addEventListener("click", async () => {
    const button = $("room-tornado"), progress = $("room-tornado-progress"), status = $("room-take-status");
    button.disabled = true;
    const started = performance.now();
    try {
      const plan = await request(config.urls.tornado, option());
      const keys = plan.parameters.map((p) => p.key);
      progress.hidden = false; progress.max = keys.length; progress.value = 0;
      const bars = [];
      for (let i = 0; i < keys.length; i += plan.slice) {
        const slice = await request(config.urls.tornado, { ...option(), parameters: keys.slice(i, i + plan.slice) });
        bars.push(...slice.parameters);
        progress.value = Math.min(keys.length, i + plan.slice);
        status.textContent = `Tornado: ${progress.value} of ${keys.length} settings…`;
        drawTornado(bars);
      }
      drivers(bars);
      status.textContent = `Tornado of ${keys.length} settings in ${((performance.now() - started) / 1000).toFixed(1)} s. Break-even values of the top levers:`;
      await breakEvens(plan, bars);
    } catch (error) {
      status.textContent = `Could not compute: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });

  function changesText(candidate) { return candidate.changes.map((c) => c.label).join(" + "); }

  $("room-advice").addEventListener("click", async () => {
    const button = $("room-advice"), list = $("room-fixes"), status = $("room-take-status");
    button.disabled = true;
    status.textContent = "Searching the catalogue's changes…";
    const started = performance.now();
    try {
      const data = await request(config.urls.advice, option());
      const money = (v) => `${Math.round(v).toLocaleString("en")} /month`;
      if (data.already_met) list.replaceChildren(el("li", "This option already meets every target."));
      else if (data.fixes.length) list.replaceChildren(...data.fixes.map((f) => el("li", `${changesText(f)}: +${money(f.added_usd_per_month)}`)));
      else list.replaceChildren(...data.nearest_misses.map((m) => el("li", `Nearest miss: ${changesText(m)} (+${money(m.added_usd_per_month)}) — short by ` +
        m.shortfalls.map((s) => `${s.text}: ${(s.missing_probability * 100).toFixed(1)} points${s.p95_beyond_s ? `, p95 ${Math.round(s.p95_beyond_s)} s over` : ""}`).join("; "))));
      status.textContent = `${data.evaluated} variants simulated in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
    } catch (error) {
      status.textContent = `Could not search: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });
})();
