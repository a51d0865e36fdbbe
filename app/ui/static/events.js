// Events page: events that match the page's filters appear at the top as they happen
// (Server-Sent Events from /events/stream, after the newest event the page was rendered with).
// Uses the helpers of ui.js (el, when, labelCells, EVENT_TYPES).
"use strict";

function liveEvents(table) {
  const { live, camera, resident, type, after } = table.dataset;
  const matches = (ev) => (!camera || ev.camera === camera) &&
    (!resident || ev.resident === resident) && (!type || ev.type === type) &&
    (!after || ev.time >= Number(after));
  const source = new EventSource(`/events/stream?since=${live}`);
  const body = table.tBodies[0];
  const add = (e) => {
    const ev = JSON.parse(e.data);
    if (!matches(ev)) return;
    const row = el("tr", undefined, { "data-event": ev.id });
    [when(ev.time), ev.type, ev.camera || "", ev.resident || "",
      ev.confidence === null ? "" : String(ev.confidence)].forEach((t) => row.append(el("td", t)));
    body.querySelectorAll("tr.empty").forEach((empty) => empty.remove());
    body.prepend(row);
    labelCells(table);
  };
  EVENT_TYPES.forEach((t) => source.addEventListener(t, add));
}

liveEvents(document.getElementById("events"));
