// Analytics pages: the copy button, the viewer's time zone, and live figures. Every page works
// without this script (UTC times, no live updates).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  useBrowserZone();
  setUpCopyButtons();
  followLiveTotals();
});

// Remembers the browser's IANA time zone in the `tz` cookie and in the range form, and reloads
// once when the page was drawn in another zone without being asked to.
function useBrowserZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) {
    return;
  }
  document.cookie = `tz=${zone}; path=/; max-age=31536000; samesite=strict`;
  for (const input of document.querySelectorAll("input[data-tz-input]")) {
    input.value = zone;
  }
  const drawn = document.querySelector("[data-zone]");
  const asked = new URL(window.location.href).searchParams.has("tz");
  const stored = document.cookie.split("; ").includes(`tz=${zone}`);
  if (drawn && drawn.dataset.zone !== zone && !asked && stored) {
    window.location.reload();
  }
}

// Copy buttons are hidden until the clipboard is known to be available.
function setUpCopyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) {
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch {
        button.textContent = "Copy failed";
      }
      window.setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
  }
}

// Listens to the page's event stream; new totals are written into the page at once, and the
// range's figures, chart, breakdowns and recent visits are fetched again.
function followLiveTotals() {
  const page = document.querySelector("[data-events]");
  if (!page || !window.EventSource) {
    return;
  }
  const source = new EventSource(page.dataset.events);
  source.addEventListener("totals", (event) => {
    let totals;
    try {
      totals = JSON.parse(event.data);
    } catch {
      return;
    }
    let changed = false;
    for (const element of document.querySelectorAll("[data-live-total]")) {
      const value = totals[element.dataset.liveTotal];
      if (typeof value === "number" && element.textContent !== String(value)) {
        // An empty placeholder is only primed by the first event; it is not a change.
        changed = changed || element.textContent !== "";
        element.textContent = String(value);
      }
    }
    if (changed) {
      refreshLiveParts();
    }
  });
}

let refreshing = false;
let refreshAgain = false;

// Fetches this page again and swaps in its `[data-live]` parts (server-rendered, escaped HTML).
async function refreshLiveParts() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (response.ok) {
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live]")) {
        const replacement = fresh.querySelector(`[data-live="${part.dataset.live}"]`);
        if (replacement) {
          part.replaceWith(document.importNode(replacement, true));
        }
      }
    }
  } catch {
    // Offline for a moment: the next event tries again.
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      refreshLiveParts();
    }
  }
}
