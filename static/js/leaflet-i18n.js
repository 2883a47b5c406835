// Leaflet's own controls in the page's language: its zoom buttons say « Zoom in » and
// « Zoom out » (their title, which screen readers announce) whatever the page. Loaded right
// after leaflet.js, before any map is made; the words come from the template (gettext).
(() => {
  const words = document.currentScript && document.currentScript.dataset;
  if (!window.L || !words) return;
  L.Control.Zoom.mergeOptions({ zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut });
})();
