// The web UI's one script: calls the JSON routes with the page's CSRF token (sent as a header,
// never in a URL) and shows their answers. No inline scripts (CSP), no storage, no third parties.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const EVENT_TYPES = ["recognized", "left", "unknown", "unrecognisable"];

async function call(method, url, body) {
  const headers = { "X-CSRF-Token": csrf };
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function message(data, fallback) {
  return (data && data.error && data.error.message) || fallback;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

function when(epoch) {
  const d = new Date(epoch * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// Residents: enroll with the quality gate's verdict per photo; delete with confirmation.
function enrollForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = document.getElementById("enroll-result");
    const files = Array.from(form.elements.file.files);
    const body = new FormData();
    body.append("name", form.elements.name.value);
    files.forEach((f) => body.append("file", f));
    out.replaceChildren(el("p", "Checking the photos…"));
    const reply = await call("POST", "/residents", body);
    const summary = reply.ok
      ? `${reply.data.resident.name} enrolled with ${reply.data.accepted.length} photo(s).`
      : message(reply.data, `Enrollment failed (${reply.status}).`);
    out.replaceChildren(el("p", summary, { role: "status" }), verdictList(files, reply.data));
    if (reply.ok) {
      form.reset();
      refresh("residents");
    }
  });
}

// The quality gate's verdict on each photo of an enrollment (or of photos added), by file name.
function verdictList(files, data) {
  const verdicts = el("ul", undefined, { class: "verdicts" });
  ((data && data.accepted) || []).forEach((a) => verdicts.append(
    el("li", `${files[a.index].name}: accepted`, { class: "ok" })));
  ((data && data.rejected) || []).forEach((r) => verdicts.append(
    el("li", `${files[r.index].name}: rejected — ${r.message}`, { class: "error" })));
  return verdicts;
}

function confirmThen(question, method, url, onDone) {
  if (!window.confirm(question)) return;
  call(method, url).then((reply) => {
    if (reply.ok) onDone(reply);
    else window.alert(message(reply.data, `Failed (${reply.status}).`));
  });
}

function cameraForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const reply = await call("POST", "/cameras", {
      name: f.name.value, url: f.url.value,
      privacy_parameter: Number(f.privacy_parameter.value), watch: f.watch.checked,
    });
    if (reply.ok) window.location.reload();
    else document.getElementById("camera-state").textContent = message(reply.data, "Failed.");
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const { action, name, id } = button.dataset;
  const path = encodeURIComponent(name || "");
  if (action === "delete-resident") {
    confirmThen(`Delete ${name}, their photos and everything learnt about them?`, "DELETE",
      `/residents/${path}`, () => refresh("residents"));
  } else if (action === "delete-negative") {
    confirmThen(`Forget this "not ${name}" face?`, "DELETE",
      `/residents/${path}/negatives/${id}`, () => window.location.reload());
  } else if (action === "delete-camera") {
    confirmThen(`Remove camera ${name}?`, "DELETE", `/cameras/${path}`,
      () => window.location.reload());
  } else if (action === "wrong") {
    button.disabled = true;
    call("POST", `/events/${id}/wrong`).then((reply) => {
      const state = document.getElementById("review-state");
      if (reply.ok) {
        button.textContent = "Marked wrong";
        state.textContent = `Noted: that face is not ${name}; it will not be named ${name} again.`;
      } else {
        button.disabled = false;
        state.textContent = message(reply.data, `Failed (${reply.status}).`);
      }
    });
  }
});

// Shows what changed without reloading the page: the page is fetched again and the element
// `id` replaced by its new version, which is returned (the element as it was if the fetch
// failed). Forms in it keep working: their handlers are delegated.
async function refresh(id) {
  const current = document.getElementById(id);
  const response = await fetch(window.location.href, { credentials: "same-origin" });
  if (!response.ok) return current;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById(id);
  if (!fresh) return current;
  current.replaceWith(fresh);
  [fresh, ...fresh.querySelectorAll("table")].filter((t) => t.tagName === "TABLE")
    .forEach(labelCells);
  return fresh;
}

// At phone width the tables stack their cells (ui.css) and hide the header: each cell shows its
// column's label from data-label, copied here from the header (rows added later call it again).
function labelCells(table) {
  const labels = Array.from(table.tHead ? table.tHead.rows[0].cells : [], (th) => th.textContent);
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      Array.from(row.cells).forEach((cell, i) => {
        if (cell.colSpan === 1 && labels[i]) cell.dataset.label = labels[i];
      });
    }
  }
}
document.querySelectorAll("table").forEach(labelCells);

const forms = { enroll: enrollForm, "add-camera": cameraForm };
for (const [id, setup] of Object.entries(forms)) {
  const form = document.getElementById(id);
  if (form) setup(form);
}
