// Inside an embedded map (/embed/): the partner's accent colour, links that open the full
// site in a new tab, and the page telling its host how tall it is (resize.js listens).

// Set from JavaScript: the Content-Security-Policy refuses style attributes in the markup.
const accent = document.body.dataset.accent;
if (accent && /^#[0-9a-f]{6}$/i.test(accent)) document.body.style.setProperty("--green", accent);

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || link.getAttribute("href").startsWith("#")) return;
  link.target = "_blank";
  link.rel = "noopener";
}, true);

// Post only to the host page's origin when the browser tells it (ancestorOrigins, else the
// Referer of the first page; after a search inside the frame the Referer is our own page).
// Heights are not secret, but there is no reason to tell them to anyone else.
function hostOrigin() {
  if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
  try {
    const origin = new URL(document.referrer).origin;
    if (origin !== location.origin) return origin;
  } catch {
    // no or unreadable Referer
  }
  return "*";
}
const host = hostOrigin();

let last = 0;
function report() {
  const height = Math.ceil(document.documentElement.scrollHeight);
  if (height === last || window.parent === window) return;
  last = height;
  window.parent.postMessage({ type: "toutpres:height", height }, host);
}
new ResizeObserver(report).observe(document.body);
window.addEventListener("load", report);
