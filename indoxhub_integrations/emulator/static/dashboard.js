// The indoxhub emulator's dashboard. No framework, no build step, no other host: it polls the
// emulator's /_emulator/* JSON routes once a second and draws what they say. It computes no
// totals of its own: every number comes from the server (account, spend, requests).
// Everything from the server is put in the page as text (never as HTML).
"use strict";

const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const state = { lastSeq: 0, generation: null, rows: 0, busy: false };

function $(id) { return document.getElementById(id); }

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

async function postJSON(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail ? JSON.stringify(data.detail) : "HTTP " + response.status);
  return data;
}

function usd(value) {
  if (value === null || value === undefined) return "unknown";
  if (value === 0) return "$0";
  if (Math.abs(value) < 0.000001) return "$" + value.toExponential(2);
  const digits = Math.abs(value) < 0.01 ? 6 : Math.abs(value) < 100 ? 4 : 2;
  return "$" + value.toFixed(digits);
}

function int(value) { return Number(value || 0).toLocaleString("en-US"); }

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// --- account -------------------------------------------------------------------------------

function showAccount(account) {
  const credits = $("credits");
  credits.textContent = usd(account.credits);
  credits.dataset.value = String(account.credits);
  credits.classList.toggle("bad", account.credits <= 0);
  $("tier").textContent = account.tier;
  const select = $("tier-input");
  if (select.options.length !== account.tiers.length) {
    select.replaceChildren(...account.tiers.map((t) => el("option", { value: t }, t)));
  }
  if (document.activeElement !== select) select.value = account.tier;
  const limit = account.rate_limit;
  const used = account.requests_this_minute;
  if (limit) {
    $("rate").textContent = used + " / " + limit.requests_per_minute + " per minute";
    $("rate-bar").style.width = Math.min(100, (100 * used) / limit.requests_per_minute) + "%";
    $("rate-detail").textContent =
      "tokens this hour: " + int(account.tokens_this_hour) + " / " + int(limit.tokens_per_hour);
  } else {
    $("rate").textContent = "no platform limit";
    $("rate-bar").style.width = "0%";
    $("rate-detail").textContent = "tier 'unlimited' (BYOK requests are never limited)";
  }
  const pending = account.pending.map((p) => p.what + (p.times > 1 ? " ×" + p.times : ""));
  $("pending").textContent = pending.length ? "Queued for the next requests: " + pending.join(", ") : "";
}

// --- spend charts ----------------------------------------------------------------------------

function showTotals(totals) {
  const p = totals.platform, b = totals.byok;
  $("platform-total").textContent = usd(p.cost);
  $("platform-total").dataset.value = String(p.cost);
  $("platform-detail").textContent = int(p.requests) + " requests, " + int(p.tokens) + " tokens";
  $("byok-total").textContent = int(b.requests) + " requests";
  $("byok-total").dataset.value = String(b.requests);
  $("byok-detail").textContent = int(b.tokens) + " tokens, about " + usd(b.provider_cost_estimate) +
    " at provider prices; $0 in credits";
}

function drawTimeline(spend) {
  const chart = $("chart-time");
  // drawn at the element's own pixel size, so text keeps its size whatever the window's width
  const W = Math.max(320, Math.round(chart.getBoundingClientRect().width) || 720);
  const H = 170, left = 64, bottom = 22, top = 26;
  chart.setAttribute("viewBox", "0 0 " + W + " " + H);
  const buckets = spend.over_time;
  const nodes = [];
  const heightOf = (b) => b.platform.cost + (b.byok.provider_cost_estimate || 0);
  const max = Math.max(0, ...buckets.map(heightOf));
  const total = spend.totals;
  nodes.push(svg("text", {
    x: left, y: 16, class: "chart-total", "data-platform-cost": total.platform.cost,
    "data-byok-estimate": total.byok.provider_cost_estimate || 0,
    "data-platform-requests": total.platform.requests, "data-byok-requests": total.byok.requests,
  }, "total: platform " + usd(total.platform.cost) + " (" + total.platform.requests +
     " req) · BYOK ≈" + usd(total.byok.provider_cost_estimate || 0) + " (" +
     total.byok.requests + " req)"));
  const plotH = H - top - bottom;
  nodes.push(svg("line", { x1: left, y1: H - bottom, x2: W - 8, y2: H - bottom, class: "axis" }));
  nodes.push(svg("text", { x: left - 6, y: top + 4, class: "tick", "text-anchor": "end" },
    max ? usd(max) : "$0"));
  nodes.push(svg("text", { x: left - 6, y: H - bottom, class: "tick", "text-anchor": "end" }, "0"));
  if (buckets.length) {
    const first = buckets[0].start, last = buckets[buckets.length - 1].start;
    const width = spend.bucket_seconds;
    const count = Math.max(1, Math.round((last - first) / width) + 1);
    const slot = (W - 8 - left) / Math.max(count, 12);
    for (const bucket of buckets) {
      const i = Math.round((bucket.start - first) / width);
      const x = left + i * slot + 2, w = Math.max(2, slot - 4);
      const scale = max ? plotH / max : 0;
      const ph = bucket.platform.cost * scale;
      const bh = (bucket.byok.provider_cost_estimate || 0) * scale;
      const when = new Date(bucket.start * 1000).toLocaleTimeString();
      const bar = svg("g", { class: "bucket" });
      const pr = svg("rect", {
        x, y: H - bottom - ph, width: w, height: Math.max(ph, bucket.platform.requests ? 1 : 0),
        class: "platform", "data-platform-cost": bucket.platform.cost,
        "data-platform-requests": bucket.platform.requests,
      });
      pr.appendChild(svg("title", {}, when + ": platform " + usd(bucket.platform.cost) +
        ", " + bucket.platform.requests + " requests"));
      const br = svg("rect", {
        x, y: H - bottom - ph - bh, width: w, height: Math.max(bh, bucket.byok.requests ? 1 : 0),
        class: "byok", "data-byok-estimate": bucket.byok.provider_cost_estimate || 0,
        "data-byok-requests": bucket.byok.requests,
      });
      br.appendChild(svg("title", {}, when + ": BYOK ≈" +
        usd(bucket.byok.provider_cost_estimate || 0) + ", " + bucket.byok.requests + " requests"));
      bar.append(pr, br);
      nodes.push(bar);
    }
    nodes.push(svg("text", { x: left, y: H - 6, class: "tick" },
      new Date(first * 1000).toLocaleTimeString()));
    nodes.push(svg("text", { x: W - 8, y: H - 6, class: "tick", "text-anchor": "end" },
      "bucket: " + width + " s"));
  } else {
    nodes.push(svg("text", { x: W / 2, y: H / 2, class: "tick", "text-anchor": "middle" },
      "no billed requests yet"));
  }
  chart.replaceChildren(...nodes);
}

function drawBreakdown(id, groups) {
  const chart = $(id);
  const names = Object.keys(groups).sort((a, b) => {
    const va = groups[a].platform.cost + (groups[a].byok.provider_cost_estimate || 0);
    const vb = groups[b].platform.cost + (groups[b].byok.provider_cost_estimate || 0);
    return vb - va || a.localeCompare(b);
  });
  const row = 34, labelW = 190;
  const W = Math.max(300, Math.round(chart.getBoundingClientRect().width) || 360);
  const barW = W - labelW - 8;
  const max = Math.max(0, ...names.map((n) =>
    groups[n].platform.cost + (groups[n].byok.provider_cost_estimate || 0)));
  const nodes = [];
  names.forEach((name, i) => {
    const g = groups[name], y = i * row + 4;
    const pw = max ? (g.platform.cost / max) * barW : 0;
    const bw = max ? ((g.byok.provider_cost_estimate || 0) / max) * barW : 0;
    const group = svg("g", {
      class: "group", "data-name": name, "data-platform-cost": g.platform.cost,
      "data-byok-requests": g.byok.requests, "data-platform-requests": g.platform.requests,
    });
    group.append(
      svg("text", { x: 0, y: y + 12, class: "label" }, name.length > 30 ? name.slice(0, 29) + "…" : name),
      svg("rect", { x: labelW, y, width: Math.max(pw, g.platform.requests ? 1 : 0), height: 14, class: "platform" }),
      svg("rect", { x: labelW + pw, y, width: Math.max(bw, g.byok.requests ? 1 : 0), height: 14, class: "byok" }),
      svg("text", { x: 0, y: y + 27, class: "tick" },
        usd(g.platform.cost) + " · " + g.platform.requests + " platform, " + g.byok.requests +
        " BYOK · " + int(g.platform.tokens + g.byok.tokens) + " tokens"),
    );
    group.appendChild(svg("title", {}, name));
    nodes.push(group);
  });
  if (!names.length) nodes.push(svg("text", { x: 0, y: 20, class: "tick" }, "nothing yet"));
  chart.setAttribute("viewBox", "0 0 " + W + " " + Math.max(40, names.length * row + 8));
  chart.replaceChildren(...nodes);
}

// --- request log -----------------------------------------------------------------------------

function statusClass(status) {
  if (!status) return "dropped";
  if (status < 300) return "ok";
  if (status < 500) return "warn";
  return "bad";
}

function logRow(record) {
  const tr = el("tr", { "data-request-id": record.request_id, "data-seq": record.seq, tabindex: "0" });
  const tokens = record.input_tokens + record.output_tokens;
  const time = new Date(record.created * 1000);
  const cells = [
    [time.toLocaleTimeString() + "." + String(time.getMilliseconds()).padStart(3, "0"), "time"],
    [record.endpoint || record.method + " " + record.path, "endpoint"],
    [record.model || "–", "model"],
    [record.status || "dropped", "status " + statusClass(record.status)],
    [tokens ? int(tokens) : "–", "num"],
    [!record.endpoint ? "–" : record.byok ? "$0" : usd(record.cost), "num cost"],
    [!record.endpoint ? "–" : record.byok ? "BYOK " + byokLabel(record) : "platform",
     record.byok ? "byok-cell" : ""],
    [record.duration_ms === null ? "–" : Math.round(record.duration_ms) + " ms", "num"],
    [record.fault || "", "fault"],
  ];
  for (const [text, cls] of cells) tr.appendChild(el("td", { class: cls }, text));
  const media = el("td", { class: "media" });
  for (const src of record.images || []) {
    media.appendChild(el("img", { src, alt: "generated image", class: "thumb", loading: "lazy" }));
  }
  tr.appendChild(media);
  tr.addEventListener("click", () => openDetail(record));
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openDetail(record); });
  return tr;
}

function byokLabel(record) {
  // the key itself never reaches the page: the log holds its masked form only
  const body = record.json || {};
  const params = body.additional_params || {};
  const key = body.byok_api_key || params.byok_api_key;
  return typeof key === "string" ? key : "";
}

function addRecords(records) {
  const body = $("log").tBodies[0];
  for (const record of records) {
    body.insertBefore(logRow(record), body.firstChild);
    state.lastSeq = Math.max(state.lastSeq, record.seq);
    state.rows += 1;
  }
  $("empty").hidden = state.rows > 0;
  $("log-count").textContent = state.rows ? "(" + state.rows + ", newest first)" : "";
}

async function openDetail(record) {
  const dialog = $("detail");
  $("detail-title").textContent = (record.endpoint || record.path) + " · " + record.request_id;
  $("detail-request").textContent = JSON.stringify(record.json, null, 2);
  $("detail-response").textContent = "loading…";
  $("detail-media").replaceChildren(...(record.images || []).map((src) =>
    el("img", { src, alt: "generated image", class: "full" })));
  if (!dialog.open) dialog.showModal();
  try {
    const full = await getJSON("/_emulator/requests/" + encodeURIComponent(record.request_id));
    $("detail-response").textContent = full.response === null
      ? "(" + full.response_note + ")"
      : pretty(full.response, full.response_stream);
    const audio = audioOf(full.response);
    if (audio) $("detail-media").appendChild(el("audio", { controls: "", src: audio }));
  } catch (error) {
    $("detail-response").textContent = String(error);
  }
}

const SHOWN_CHARS = 20000;

function pretty(text, stream) {
  let shown = text;
  if (!stream) {
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { shown = text; }
  }
  if (shown.length > SHOWN_CHARS) {
    shown = shown.slice(0, SHOWN_CHARS) + "\n… (" + (shown.length - SHOWN_CHARS) +
      " more characters; GET /_emulator/requests/<id> has all of it)";
  }
  return shown;
}

function audioOf(text) {
  // the speech endpoint's base64 WAV, in whichever documented field the style uses
  try {
    const data = JSON.parse(text).data || {};
    const b64 = data.b64_json || data.audio || data.audio_base64;
    return typeof b64 === "string" && b64.startsWith("UklGR") ? "data:audio/wav;base64," + b64 : null;
  } catch (e) {
    return null;
  }
}

// --- polling ---------------------------------------------------------------------------------

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  try {
    const account = await getJSON("/_emulator/account");
    if (account.generation !== state.generation) {
      state.generation = account.generation;
      state.lastSeq = 0;
      state.rows = 0;
      $("log").tBodies[0].replaceChildren();
    }
    showAccount(account);
    if (account.last_seq !== state.lastSeq || state.rows === 0) {
      const records = await getJSON("/_emulator/requests?after=" + state.lastSeq);
      addRecords(records);
    }
    const spend = await getJSON("/_emulator/spend");
    showTotals(spend.totals);
    drawTimeline(spend);
    drawBreakdown("chart-models", spend.models);
    drawBreakdown("chart-endpoints", spend.endpoints);
    $("live").textContent = "live";
    $("live").className = "live on";
    document.body.dataset.seq = String(state.lastSeq);
  } catch (error) {
    $("live").textContent = "emulator unreachable";
    $("live").className = "live off";
  } finally {
    state.busy = false;
  }
}

function say(text) { $("message").textContent = text; }

function control(formId, action) {
  $(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      say(await action());
    } catch (error) {
      say("failed: " + error.message);
    }
    await refresh();
  });
}

const FAULTS = {
  429: { status: 429, headers: { "Retry-After": "1" },
         json: { detail: "Rate limit exceeded (scripted from the dashboard)" } },
  402: { status: 402, json: { detail: "Insufficient credits (scripted from the dashboard)" } },
  503: { status: 503, json: { detail: "Service unavailable (scripted from the dashboard)" } },
  500: { status: 500, json: { detail: "Provider error (scripted from the dashboard)" } },
  cut_stream: { fault: "cut_stream", after_events: 2 },
  delay: { fault: "delay", delay: 2 },
};

function start() {
  $("origin").textContent = location.origin;
  control("credits-form", async () => {
    const value = Number($("credits-input").value);
    await postJSON("/_emulator/credits", { credits: value });
    return "credits set to " + usd(value);
  });
  control("tier-form", async () => {
    const tier = $("tier-input").value;
    await postJSON("/_emulator/tier", { tier });
    return "tier set to " + tier;
  });
  control("fault-form", async () => {
    const choice = $("fault-input");
    await postJSON("/_emulator/enqueue", FAULTS[choice.value]);
    return "queued for the next model request: " + choice.selectedOptions[0].textContent;
  });
  control("reset-form", async () => {
    await postJSON("/_emulator/reset", {});
    return "emulator reset";
  });
  $("detail-close").addEventListener("click", () => $("detail").close());
  refresh();
  setInterval(refresh, POLL_MS);
}

document.addEventListener("DOMContentLoaded", start);
