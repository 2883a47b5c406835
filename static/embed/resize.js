// Tout Près — optional script for partner pages: makes each embedded map as tall as its
// content. Include it once, after the <iframe data-toutpres-embed> snippets.
//
// Only messages from the embed's own origin (the origin this script was loaded from) and
// from one of the page's Tout Près iframes are obeyed; heights are bounded.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const origin = new URL(script.src, location.href).origin;
  const MIN = 320;
  const MAX = 4000;
  window.addEventListener("message", (event) => {
    if (event.origin !== origin) return;
    const data = event.data;
    if (!data || data.type !== "toutpres:height" || !Number.isFinite(data.height)) return;
    for (const frame of document.querySelectorAll("iframe[data-toutpres-embed]")) {
      if (frame.contentWindow === event.source) {
        const height = Math.max(MIN, Math.min(MAX, Math.ceil(data.height)));
        frame.style.height = `${height}px`;
        frame.dataset.toutpresHeight = String(height);
      }
    }
  });
})();
