// The Residents page beyond enrolling (ui.js): rename and set metadata, add photos with the
// quality gate's verdict per photo, remove a photo after a confirmation. Uses ui.js's helpers.
"use strict";

function residentPath(name) {
  return `/residents/${encodeURIComponent(name)}`;
}

function resultOf(form) {
  return form.closest("details").querySelector(".result");
}

function editResidentForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
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
    if (reply.ok) window.location.reload();
    else out.replaceChildren(el("p", message(reply.data, `Failed (${reply.status}).`),
      { class: "error", role: "alert" }));
  });
}

function addPhotosForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
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
    const link = el("a", "Show the updated list", { href: "/ui/residents" });
    out.replaceChildren(el("p", summary, { role: "status" }), verdictList(files, reply.data), link);
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action=remove-photo]");
  if (!button) return;
  const { name, id } = button.dataset;
  confirmThen(`Remove this photo of ${name} (and what was learnt from it)?`, "DELETE",
    `${residentPath(name)}/images/${encodeURIComponent(id)}`, () => window.location.reload());
});

document.querySelectorAll("form.edit-resident").forEach(editResidentForm);
document.querySelectorAll("form.add-photos").forEach(addPhotosForm);
