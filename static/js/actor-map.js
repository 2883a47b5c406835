// Small map on a listing page: one marker (or the commune's circle for home-based producers).
const config = JSON.parse(document.getElementById("actor-map-config").textContent);
if (window.L) {
  const map = L.map("actor-map", { scrollWheelZoom: false });
  L.tileLayer(config.tilesUrl, { attribution: config.tilesAttribution, maxZoom: 19 }).addTo(map);
  if (config.approximate) {
    L.circle(config.point, { radius: 1500, color: "#2f6b2f", weight: 1 }).addTo(map);
    map.setView(config.point, 12);
  } else {
    L.circleMarker(config.point, { radius: 9, weight: 2, color: "#fff", fillColor: "#2f6b2f", fillOpacity: 0.9 })
      .addTo(map).bindTooltip(config.name);
    map.setView(config.point, 14);
  }
}
