// The little JavaScript of the approvals UI (no inline script: the CSP forbids it).
"use strict";

// New proposals appear in the inbox without a reload (server-sent events).
function liveInbox(table) {
  const body = table.querySelector("tbody");
  const source = new EventSource("/events?after=" + encodeURIComponent(table.dataset.after));
  source.addEventListener("proposal", (event) => {
    const p = JSON.parse(event.data);
    if (document.getElementById("proposal-" + p.id)) return;
    const row = document.createElement("tr");
    row.id = "proposal-" + p.id;
    row.className = "new";
    const cells = [p.id, p.workflow_type, p.action_type, p.entity_ref, p.risk, p.warnings,
                   p.age, p.left, p.status, p.created];
    cells.forEach((value, i) => {
      const cell = document.createElement("td");
      if (i === 3) {
        const link = document.createElement("a");
        link.href = p.url;
        link.textContent = value;
        cell.appendChild(link);
      } else if (i === 8) {
        const badge = document.createElement("span");
        badge.className = "badge s-" + String(value);
        badge.textContent = String(value);
        cell.appendChild(badge);
      } else {
        cell.textContent = String(value);
      }
      row.appendChild(cell);
    });
    body.insertBefore(row, body.firstChild);
    const count = document.getElementById("waiting");
    if (count) count.textContent = String(Number(count.textContent) + 1);
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
  });
}

// A second look before anything irreversible.
function confirmForms() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("inbox");
  if (table && table.dataset.live === "true") liveInbox(table);
  confirmForms();
});
