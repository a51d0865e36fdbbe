// The Cameras page beyond adding and removing (ui.js): edit a camera added here (PATCH, only the
// fields changed, so a URL shown without its credentials is not sent back without them), and
// refresh the optional blurred snapshot.
"use strict";

function editCameraForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const change = {};
    if (f.url.value !== f.url.defaultValue) change.url = f.url.value;
    for (const field of [f.privacy_parameter, f.analysis_fps]) {
      if (field.value !== field.defaultValue) change[field.name] = Number(field.value);
    }
    if (f.watch.checked !== f.watch.defaultChecked) change.watch = f.watch.checked;
    const out = form.querySelector(".result");
    if (!Object.keys(change).length) {
      out.textContent = "Nothing changed.";
      return;
    }
    const reply = await call("PATCH", `/cameras/${encodeURIComponent(form.dataset.name)}`, change);
    if (reply.ok) window.location.reload();
    else out.textContent = message(reply.data, `Failed (${reply.status}).`);
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action=refresh-snapshot]");
  if (!button) return;
  const img = button.closest("figure").querySelector("img");
  img.src = `${img.src.split("?")[0]}?at=${Date.now()}`;
});

document.querySelectorAll("form.edit-camera").forEach(editCameraForm);
