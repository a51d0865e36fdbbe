// Analyse page: upload with progress, then the analysis's own progress (polled from
// /analyses/<request id>/progress: frames analysed of frames expected), then the result.
// Uses ui.js's csrf, call, el and message.
"use strict";

const POLL_MS = 250;

function analyseForm(form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    const privacy = form.elements.privacy.value;
    const bar = document.getElementById("analyse-progress");
    const state = document.getElementById("analyse-state");
    const out = document.getElementById("analyse-result");
    const label = (file.name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "") || "upload")
      .slice(0, 100);
    const id = `ui-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
    const xhr = new XMLHttpRequest();
    let polling = null;
    xhr.open("POST", `/check_directory/${encodeURIComponent(label)}/${privacy}/web-ui/UI/${id}`);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.responseType = "json";
    bar.hidden = false;
    bar.value = 0;
    out.replaceChildren();
    state.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate until the first frame is analysed
      state.textContent = "Analysing…";
      polling = setInterval(() => poll(id, bar, state, () => polling !== null), POLL_MS);
    });
    const stop = () => { clearInterval(polling); polling = null; };
    xhr.addEventListener("load", () => {
      stop();
      bar.hidden = true;
      const data = xhr.response;
      if (xhr.status !== 200) {
        state.textContent = message(data, `Analysis failed (${xhr.status}).`);
        return;
      }
      state.textContent = "Done.";
      showResult(out, data.RequestPostTopicUUID.value);
    });
    xhr.addEventListener("error", () => { stop(); state.textContent = "The service did not answer."; });
    const body = new FormData();
    body.append("file", file);
    xhr.send(body);
  });
}

async function poll(id, bar, state, live) {
  const reply = await call("GET", `/analyses/${encodeURIComponent(id)}/progress`);
  if (!live() || !reply.ok || !reply.data.total) return; // not started yet, or already answered
  const { done, total } = reply.data;
  bar.max = total;
  bar.value = done;
  state.textContent = `Analysing: frame ${done} of ${total}…`;
}

function showResult(out, value) {
  const list = el("ul", undefined, { id: "analyse-residents" });
  value.residents.forEach((r) => list.append(el("li",
    `${r.name}: seen ${r.first_seen_s.toFixed(1)}–${r.last_seen_s.toFixed(1)} s, ` +
    `confidence ${r.confidence}`)));
  if (!value.residents.length) list.append(el("li", "No resident named."));
  const counts = el("p",
    `Unknown faces: ${value.unknown_faces} · unrecognisable faces (too small for the blur): ` +
    `${value.unrecognisable_faces} · frames analysed: ${value.analysed_frames}`,
    { id: "analyse-counts" });
  out.replaceChildren(el("h2", "Result"), list, counts);
}

analyseForm(document.getElementById("analyse"));
