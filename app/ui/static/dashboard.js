// Dashboard: brought up to date (ui.js's refresh) after each camera event (Server-Sent Events
// from /events/stream, after the newest event the page was rendered with) and whenever the tab
// is shown again (a resident enrolled in another tab); at most once per QUIET_MS, however many
// events arrive.
"use strict";

const QUIET_MS = 1000;
let pending = null;

function soon() {
  if (pending === null) pending = setTimeout(() => { pending = null; refresh("dashboard"); }, QUIET_MS);
}

const live = document.getElementById("dashboard").dataset.live;
const stream = new EventSource(`/events/stream?since=${live}`);
EVENT_TYPES.forEach((type) => stream.addEventListener(type, soon));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") soon();
});
