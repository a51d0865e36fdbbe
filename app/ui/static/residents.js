// The Residents page beyond enrolling (ui.js): rename and set metadata, add photos with the
// quality gate's verdict per photo, remove a photo after a confirmation; the list is refreshed in
// place after each change (ui.js's refresh), so handlers are delegated. Uses ui.js's helpers.
"use strict";

function residentPath(name) {
  return `/residents/${encodeURIComponent(name)}`;
}

function resultOf(form) {
  return form.closest("details").querySelector(".result");
}

async function editResident(form) {
  const out = resultOf(form);
  const change = {};
  const name = form.elements.name.value.trim();
  if (name !== form.dataset.name) change.name = name;
  const meta = form.elements.metadata;
  if (meta.value !== meta.defaultValue) {
    try {
      change.metadata = JSON.parse(meta.value || "{}");
    } catch (e) {
      out.replaceChildren(el("p", "The metadata is not valid JSON.", { class: "error", role: "alert" }));
      return;
    }
  }
  if (!Object.keys(change).length) {
    out.replaceChildren(el("p", "Nothing changed.", { role: "status" }));
    return;
  }
  const reply = await call("PATCH", residentPath(form.dataset.name), change);
  if (reply.ok) refresh("residents");
  else out.replaceChildren(el("p", message(reply.data, `Failed (${reply.status}).`),
    { class: "error", role: "alert" }));
}

async function addPhotos(form) {
  const out = resultOf(form);
  const files = Array.from(form.elements.file.files);
  const body = new FormData();
  files.forEach((f) => body.append("file", f));
  out.replaceChildren(el("p", "Checking the photos…"));
  const reply = await call("POST", `${residentPath(form.dataset.name)}/images`, body);
  const summary = reply.ok
    ? `${reply.data.accepted.length} photo(s) added; ${form.dataset.name} has ` +
      `${reply.data.resident.image_count}.`
    : message(reply.data, `Adding photos failed (${reply.status}).`);
  const where = reply.ok ? await refreshedResult(form.dataset.name) : out;
  where.replaceChildren(el("p", summary, { role: "status" }), verdictList(files, reply.data));
}

// The list refreshed (new thumbnails), and the result area of `name`'s row, opened.
async function refreshedResult(name) {
  const list = await refresh("residents");
  const details = list.querySelector(`tr[data-resident="${CSS.escape(name)}"] details`);
  details.open = true;
  return details.querySelector(".result");
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action=remove-photo]");
  if (!button) return;
  const { name, id } = button.dataset;
  confirmThen(`Remove this photo of ${name} (and what was learnt from it)?`, "DELETE",
    `${residentPath(name)}/images/${encodeURIComponent(id)}`, () => refresh("residents"));
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  const handle = form.matches("form.edit-resident") ? editResident
    : form.matches("form.add-photos") ? addPhotos : null;
  if (!handle) return;
  event.preventDefault();
  handle(form);
});
