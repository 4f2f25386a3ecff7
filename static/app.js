// linkpulse web app: small progressive enhancements; every page works without this script.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Filter selects submit their form as soon as a value is picked.
  for (const select of document.querySelectorAll("select.auto-submit")) {
    select.addEventListener("change", () => select.form && select.form.requestSubmit());
  }
});
