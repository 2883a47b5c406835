// Small map on a listing page: one marker (or the commune's circle for home-based producers).
import { pin, text } from "./pins.js";

const config = JSON.parse(document.getElementById("actor-map-config").textContent);
if (window.L && config.point) {
  const map = L.map("actor-map", { scrollWheelZoom: false });
  L.tileLayer(config.tilesUrl, { attribution: config.tilesAttribution, maxZoom: 19 }).addTo(map);
  if (config.approximate) {
    L.circle(config.point, { radius: 1500, color: "#2f6b2f", weight: 1 }).addTo(map);
    map.setView(config.point, 12);
  } else {
    L.marker(config.point, { icon: pin(config.pin, config.kind), keyboard: false, title: config.name })
      .addTo(map).bindTooltip(text(config.name));
    map.setView(config.point, 14);
  }
}
