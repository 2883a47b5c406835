// Registration and owner editing: place the pin. Drag it or click the map; the latitude and
// longitude fields follow (they are also the keyboard's way to set the position).
const config = JSON.parse(document.getElementById("pin-config").textContent);
const lat = document.getElementById("id_latitude");
const lon = document.getElementById("id_longitude");

if (window.L && lat && lon) {
  const map = L.map("pin-map", { scrollWheelZoom: false });
  L.tileLayer(config.tilesUrl, { attribution: config.tilesAttribution, maxZoom: 19 }).addTo(map);
  let marker = null;

  const current = () => {
    const y = parseFloat(lat.value.replace(",", "."));
    const x = parseFloat(lon.value.replace(",", "."));
    return Number.isFinite(y) && Number.isFinite(x) ? [y, x] : null;
  };
  const write = (latlng) => {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
  };
  const place = (latlng) => {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.marker(latlng, { draggable: true, autoPan: true, title: config.label }).addTo(map);
      marker.on("dragend", () => write(marker.getLatLng()));
    }
  };

  const start = current();
  if (start) {
    place(start);
    map.setView(start, 16);
  } else {
    map.setView(config.center, config.zoom);
  }
  map.on("click", (event) => {
    place(event.latlng);
    write(event.latlng);
  });
  for (const input of [lat, lon]) {
    input.addEventListener("change", () => {
      const value = current();
      if (value) {
        place(value);
        map.panTo(value);
      }
    });
  }
  window.toutPresPinMap = map;
  window.toutPresPin = () => marker;
}
