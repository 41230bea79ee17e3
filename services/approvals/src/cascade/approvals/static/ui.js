// The little JavaScript of the approvals UI (no inline script: the CSP forbids it). Data
// only ever reaches the page as textContent, never as HTML.
"use strict";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function cell(label, ...children) {
  const td = el("td");
  td.dataset.label = label;
  children.forEach((child) => td.appendChild(child));
  return td;
}

// A UTC instant as the viewer's local time; the UTC text stays in the title (on hover).
const localFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  second: "2-digit", timeZoneName: "short",
});

function localTimes(root) {
  root.querySelectorAll("time[datetime]").forEach((node) => {
    const when = new Date(node.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) return;
    if (!node.title) node.title = node.textContent;
    node.textContent = localFormat.format(when);
  });
}

// One inbox line, the same cells as inbox.html renders.
function inboxRow(p) {
  const row = el("tr", "new");
  row.id = "proposal-" + p.id;
  row.dataset.runId = p.run_id;
  const link = el("a", "subject", p.title);
  link.href = p.url;
  const subject = cell("Subject", link, el("span", "kind", "#" + p.id + " · " + p.workflow));
  const pairs = el("dl", "pairs");
  p.summary.forEach((pair) => {
    const item = el("div");
    item.appendChild(el("dt", "", pair.label));
    item.appendChild(el("dd", "", pair.value));
    pairs.appendChild(item);
  });
  const flags = cell("Flags");
  flags.className = "flags";
  p.warnings.forEach((w) => {
    const badge = el("span", "badge warning", w.name);
    badge.title = w.message;
    flags.appendChild(badge);
  });
  p.twins.forEach((t) => {
    const badge = el("a", "badge twin", t.label);
    badge.href = t.url;
    flags.appendChild(badge);
  });
  if (!p.warnings.length && !p.twins.length) flags.appendChild(el("span", "muted", "none"));
  const time = el("time", "", p.created);
  time.setAttribute("datetime", p.created_iso);
  time.title = p.created;
  [subject, cell("Details", pairs), flags, cell("Risk", el("span", "", p.risk)),
   cell("Status", el("span", "badge s-" + p.status, p.status)),
   cell("Waiting", el("span", "", p.age + " "), el("span", p.overdue ? "badge overdue" : "muted", p.overdue ? p.left : "(" + p.left + ")")),
   cell("Created", time)].forEach((td) => row.appendChild(td));
  localTimes(row);
  return row;
}

// New proposals appear in the inbox without a reload (server-sent events).
function liveInbox(table) {
  const body = table.querySelector("tbody");
  const source = new EventSource("/events?after=" + encodeURIComponent(table.dataset.after));
  source.addEventListener("proposal", (event) => {
    const p = JSON.parse(event.data);
    if (document.getElementById("proposal-" + p.id)) return;
    body.insertBefore(inboxRow(p), body.firstChild);
    ["waiting", "nav-inbox-count"].forEach((id) => {
      const count = document.getElementById(id);
      if (count) count.textContent = String(Number(count.textContent) + 1);
    });
    document.title = document.title.replace(/\((\d+)\)/, (_, n) => "(" + (Number(n) + 1) + ")");
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
  });
}

// j / k move between the rows of a list (or the cards of the blocked view), Enter opens
// the focused row's subject link (it holds the focus, so Enter is the browser's own).
function listKeys() {
  const list = document.querySelector("table.list tbody, #blocked");
  if (!list) return;
  const rows = () => Array.from(list.querySelectorAll(":scope > tr, :scope > article"));
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key !== "j" && event.key !== "k") return;
    const all = rows();
    if (!all.length) return;
    const at = all.findIndex((row) => row.classList.contains("current-row"));
    const next = at < 0 ? 0 : Math.min(Math.max(at + (event.key === "j" ? 1 : -1), 0), all.length - 1);
    if (at >= 0) all[at].classList.remove("current-row");
    all[next].classList.add("current-row");
    const link = all[next].querySelector("a.subject");
    if (link) link.focus();
    all[next].scrollIntoView({block: "nearest"});
    event.preventDefault();
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

// A table wider than its box scrolls inside it; keyboard users reach it with Tab (WCAG
// 2.1.1). Only boxes that really scroll become tab stops, checked again when a fold opens.
function scrollRegions() {
  document.querySelectorAll(".scroll").forEach((box) => {
    if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      const table = box.querySelector("table");
      const name = table && (table.getAttribute("aria-label") || table.id);
      box.setAttribute("aria-label", "Scrollable table" + (name ? ": " + name : ""));
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  scrollRegions();
  document.querySelectorAll("details").forEach((fold) => {
    fold.addEventListener("toggle", scrollRegions);
  });
  localTimes(document);
  const table = document.getElementById("inbox");
  if (table && table.dataset.live === "true") liveInbox(table);
  listKeys();
  confirmForms();
});
