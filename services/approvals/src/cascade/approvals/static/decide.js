// Keyboard shortcuts of the decision desk (the proposal page). Progressive enhancement only:
// every shortcut has a visible button or link that does the same without JavaScript.
//   a  approve (the form's confirm dialog still asks first)
//   r  focus the reject reason
//   j  next pending proposal      k  previous pending proposal
"use strict";

// Never while Mike types: in a field, with a modifier, or when a key repeats.
function typing(event) {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return true;
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

function follow(id) {
  const link = document.getElementById(id);
  if (link instanceof HTMLAnchorElement) window.location.assign(link.href);
}

const SHORTCUTS = {
  a: () => {
    const button = document.getElementById("approve");
    if (!button) return;
    button.focus();
    // requestSubmit fires the submit event, so ui.js's confirm dialog runs first.
    button.form.requestSubmit(button);
  },
  r: () => {
    const reason = document.getElementById("reason");
    if (reason) reason.focus();
  },
  j: () => follow("next-pending"),
  k: () => follow("prev-pending"),
};

document.addEventListener("keydown", (event) => {
  const action = SHORTCUTS[event.key];
  if (!action || typing(event)) return;
  event.preventDefault();
  action();
});
