// Review page: "This is <resident>" for a recognition or an unknown face (POST
// /events/<id>/is/<name>). Nothing is chosen at first: Confirm waits for a resident, and stays
// off where the page says a confirmation would not be kept (too small for its blur, a
// near-duplicate). Confirmed faces can be forgotten. Uses ui.js's call, message and confirmThen.
"use strict";

document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-id]");
  if (!select) return;
  const { id } = select.dataset;
  const verdict = document.getElementById(`verdict-${id}`);
  const confirm = document.querySelector(`button[data-action="this-is"][data-id="${id}"]`);
  confirm.disabled = !select.value || !verdict.hasAttribute("data-kept");
  const who = verdict.querySelector(".who");
  if (who) who.textContent = select.value || "the resident you choose";
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const { action, name, id } = button.dataset;
  if (action === "this-is") {
    const who = document.getElementById(`this-is-${id}`).value;
    const state = document.getElementById("review-state");
    button.disabled = true;
    call("POST", `/events/${id}/is/${encodeURIComponent(who)}`).then((reply) => {
      if (reply.ok) {
        button.textContent = "Added";
        state.textContent = `Added: that face is now one of ${who}'s.`;
      } else {
        button.disabled = false;
        state.textContent = message(reply.data, `Failed (${reply.status}).`);
      }
    });
  } else if (action === "delete-positive") {
    confirmThen(`Forget this confirmed face of ${name}?`, "DELETE",
      `/residents/${encodeURIComponent(name)}/positives/${id}`, () => window.location.reload());
  }
});
