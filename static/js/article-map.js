// Mini map of an article's linked listings: one pin each, the map fitted to all of them.
import { pin } from "./pins.js";

const config = JSON.parse(document.getElementById("article-map-config").textContent);
if (window.L && config.actors.length) {
  const map = L.map("article-map", { scrollWheelZoom: false });
  L.tileLayer(config.tilesUrl, { attribution: config.tilesAttribution, maxZoom: 19 }).addTo(map);
  const points = config.actors.map((actor) => {
    const marker = L.marker([actor.lat, actor.lon], {
      icon: pin(config.styles[actor.kind], actor.kind),
      keyboard: false, // the cards under the map are the keyboard path
      title: actor.name,
    }).addTo(map);
    const link = document.createElement("a");
    link.href = actor.url;
    link.textContent = actor.name;
    marker.bindPopup(link);
    return [actor.lat, actor.lon];
  });
  if (points.length === 1) map.setView(points[0], 12);
  else map.fitBounds(points, { padding: [30, 30], maxZoom: 13 });
}
