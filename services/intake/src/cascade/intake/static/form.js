// The sales form's only script (no inline script: the page CSP forbids it): after a refused
// submission, focus the first field in error, so a keyboard or screen-reader user starts
// there; the error summary above it links to every field.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector("[aria-invalid=true]");
  if (first) first.focus();
});
