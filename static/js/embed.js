// Inside an embedded map (/embed/): links open the full site in a new tab, and the page
// tells its host how tall it is (the host's optional resize.js listens).
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
