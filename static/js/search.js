import { pin as kindPin, text } from "./pins.js";

// Search page: the map mirrors the list (which alone is complete and accessible).
// Hover or focus a result to highlight its marker, and the reverse; the map view is kept
// in the URL so a shared link or the back button gives the same page.

const config = JSON.parse(document.getElementById("map-config").textContent);
const features = JSON.parse(document.getElementById("map-features").textContent) || [];
const form = document.getElementById("search-form");
const where = document.getElementById("id_where");
const near = document.getElementById("id_near");
const status = document.getElementById("result-count");

const KINDS = config.kinds; // {kind: {colour, path}}: see directory/markers.py
const pin = (kind) => kindPin(KINDS[kind], kind);

function announce(message) {
  status.textContent = message;
}

// --- Place autocompletion (offline gazetteer) -----------------------------------------
const suggestions = document.getElementById("where-suggestions");
let places = new Map();
let timer;
where.addEventListener("input", () => {
  near.value = "";  // typed text wins over an earlier pick or "around me"
  const picked = places.get(where.value);
  if (picked) {
    near.value = `${picked.lat},${picked.lon}`;
    return;
  }
  clearTimeout(timer);
  const q = where.value.trim();
  if (q.length < 2) return;
  timer = setTimeout(async () => {
    const response = await fetch(`${config.placesUrl}?q=${encodeURIComponent(q)}&limit=8`);
    if (response.status === 429) announce(config.messages.suggestionsThrottled);  // not silently
    if (!response.ok) return;
    const { results } = await response.json();
    places = new Map(results.map((p) => [p.label, p]));
    suggestions.replaceChildren(...results.map((p) => new Option(`${p.departement_name}`, p.label)));
    for (const option of suggestions.options) option.value = option.value;  // label as value
  }, 200);
});

// --- Around me ------------------------------------------------------------------------
document.getElementById("around-me").addEventListener("click", () => {
  if (!navigator.geolocation) {
    announce(config.messages.geolocationUnavailable);
    return;
  }
  announce(config.messages.locating);
  navigator.geolocation.getCurrentPosition(
    (position) => {
      near.value = `${position.coords.latitude.toFixed(5)},${position.coords.longitude.toFixed(5)}`;
      where.value = "";
      form.submit();
    },
    () => announce(config.messages.geolocationRefused),
    { timeout: 10000, maximumAge: 600000 },
  );
});

// --- Map ------------------------------------------------------------------------------
if (window.L) {
  const params = new URLSearchParams(location.search);
  const map = L.map("map", { zoomControl: true, keyboard: true });
  L.tileLayer(config.tilesUrl, { attribution: config.tilesAttribution, maxZoom: 19 }).addTo(map);

  const markers = new Map();
  const held = { hover: null, focus: null, popup: null }; // see highlight() below
  const bounds = [];
  for (const feature of features) {
    const [lon, lat] = feature.geometry.coordinates;
    const p = feature.properties;
    // Out of the tab order: the list is the keyboard's way through the results.
    const marker = L.marker([lat, lon], { icon: pin(p.kind), keyboard: false, title: p.name, riseOnHover: true });
    // Leaflet creates the icon element only once the map has a view, and again if the
    // marker is re-added: give it the current highlight whenever that happens.
    marker.on("add", () => {
      const element = marker.getElement();
      if (element) element.classList.toggle("highlighted", Object.values(held).includes(String(p.id)));
    });
    marker.addTo(map);
    const popup = document.createElement("div");
    const link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.name;
    popup.append(link, document.createElement("br"), `${p.kind_label}${p.distance ? " · " + p.distance : ""}`);
    if (p.reached_through) popup.append(document.createElement("br"), p.reached_through.label);
    if (p.phone) {
      const tel = document.createElement("a");
      tel.href = `tel:${p.phone.replaceAll(" ", "")}`;
      tel.textContent = p.phone;
      popup.append(document.createElement("br"), tel);
    }
    marker.bindPopup(popup);
    marker.on("mouseover", () => highlight("hover", p.id));
    marker.on("mouseout", () => highlight("hover", null));
    marker.on("popupopen", () => highlight("popup", p.id));
    marker.on("popupclose", () => highlight("popup", null));
    markers.set(String(p.id), marker);
    bounds.push([lat, lon]);
  }

  // What is highlighted, by source: the pointer, the keyboard focus and an open popup each
  // hold at most one result, so the pointer leaving a marker (or a scroll moving one under
  // it) never undoes what the keyboard is showing.
  function highlight(source, id) {
    const before = new Set(Object.values(held));
    held[source] = id === null ? null : String(id);
    const after = new Set(Object.values(held));
    for (const key of new Set([...before, ...after])) {
      if (key === null) continue;
      const on = after.has(key);
      const marker = markers.get(key);
      if (marker) {
        const element = marker.getElement();
        if (element) element.classList.toggle("highlighted", on);
        marker.setZIndexOffset(on ? 1000 : 0);
      }
      const item = document.getElementById(`result-${key}`);
      if (item) item.classList.toggle("highlighted", on);
    }
  }

  for (const item of document.querySelectorAll(".result")) {
    const id = item.dataset.id;
    item.addEventListener("mouseenter", () => highlight("hover", id));
    item.addEventListener("mouseleave", () => highlight("hover", null));
    item.addEventListener("focusin", () => highlight("focus", id));
    item.addEventListener("focusout", (event) => {
      if (!item.contains(event.relatedTarget)) highlight("focus", null);
    });
  }

  if (config.search && config.search.point) {
    const [lat, lon] = config.search.point;
    L.circle([lat, lon], { radius: config.search.radiusKm * 1000, color: "#2f6b2f", weight: 1, fill: false, interactive: false }).addTo(map);
    bounds.push([lat, lon]);
  }

  // Département outlines, faint: for orientation only, they never filter anything.
  fetch(config.departementsUrl).then((r) => (r.ok ? r.json() : null)).then((data) => {
    if (data) L.geoJSON(data, { interactive: false, style: { color: "#555", weight: 1, opacity: 0.35, fill: false } }).addTo(map);
  });

  const view = (params.get("map") || "").split("/").map(Number);
  if (view.length === 3 && view.every(Number.isFinite)) {
    map.setView([view[1], view[2]], view[0]);
  } else if (config.search && config.search.point) {
    const [lat, lon] = config.search.point;
    map.fitBounds(L.latLng(lat, lon).toBounds(config.search.radiusKm * 2000));
  } else if (config.bounds) {
    map.fitBounds(config.bounds);  // an embed's territory, without a place searched
  } else if (bounds.length) {
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 });
  } else {
    map.setView(config.center, config.zoom);
  }

  // Everything else in view, loaded as tiles (directory/layer.py): clusters when zoomed
  // out, small markers when zoomed in. Same filters as the search; the page's results stay
  // on top. Tile URLs repeat across visitors and carry the data version, so browsers and
  // shared caches keep them; each actor or cluster belongs to exactly one tile, so the
  // tiles in view are merged by showing them side by side.
  const context = L.layerGroup().addTo(map);
  map.createPane("context").style.zIndex = 390;  // under the results (overlay pane, 400)
  const filters = new URLSearchParams();
  for (const name of ["q", "kind", "category", "label", "mode", "open", "departement", "commune", "region"]) {
    for (const value of config.fixed[name] || params.getAll(name)) filters.append(name, value);
  }
  let version = config.layerVersion;
  const shown = new Map(); // tile URL → its layer group, for the tiles in view
  let pending;

  function tileUrl(z, x, y) {
    const query = new URLSearchParams(filters);
    query.set("v", version);
    return `${config.layerTileUrl.replace("{z}", z).replace("{x}", x).replace("{y}", y)}?${query}`;
  }

  function tilesInView() {
    const z = map.getZoom();
    const size = config.layerTileDegrees / 2 ** z;
    const across = Math.ceil(360 / size), up = Math.ceil(180 / size);
    const b = map.getBounds();
    const clamp = (v, n) => Math.min(n - 1, Math.max(0, v));
    const x0 = clamp(Math.floor((b.getWest() + 180) / size), across);
    const x1 = clamp(Math.floor((b.getEast() + 180) / size), across);
    const y0 = clamp(Math.floor((b.getSouth() + 90) / size), up);
    const y1 = clamp(Math.floor((b.getNorth() + 90) / size), up);
    const urls = [];
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) urls.push(tileUrl(z, x, y));
    return urls;
  }

  function draw(features) {
    const group = L.layerGroup();
    for (const feature of features) {
      const [lon, lat] = feature.geometry.coordinates;
      const p = feature.properties;
      if (p.cluster) {
        const size = 26 + Math.min(24, Math.round(Math.log2(p.count) * 4));
        L.marker([lat, lon], {
          icon: L.divIcon({ className: "cluster", html: text(String(p.count)), iconSize: [size, size] }),
          keyboard: false,
          pane: "context",
        }).on("click", () => map.setView([lat, lon], Math.min(map.getZoom() + 2, 18))).addTo(group);
      } else if (!markers.has(String(p.id))) {
        const link = document.createElement("a");
        link.href = p.url;
        link.textContent = p.name;
        L.circleMarker([lat, lon], { radius: 5, weight: 1, color: "#fff", fillColor: (KINDS[p.kind] || {}).colour || "#333", fillOpacity: 0.6, pane: "context" })
          .bindPopup(link).addTo(group);
      }
    }
    return group;
  }

  async function loadLayer() {
    pending?.abort();
    const controller = (pending = new AbortController());
    const wanted = tilesInView();
    for (const [url, group] of shown) {
      if (!wanted.includes(url)) {
        context.removeLayer(group);
        shown.delete(url);
      }
    }
    await Promise.all(wanted.filter((url) => !shown.has(url)).map(async (url) => {
      let data;
      try {
        const response = await fetch(url, { signal: controller.signal });
        if (response.status === 429) announce(config.messages.mapThrottled);
        if (!response.ok) return;
        // A newer version than the page's: later tiles ask for it (new, cacheable URLs).
        version = response.headers.get("X-Data-Version") || version;
        data = await response.json();
      } catch {
        return;  // aborted by a newer move
      }
      if (controller.signal.aborted || shown.has(url)) return;
      const group = draw(data.features).addTo(context);
      shown.set(url, group);
    }));
  }

  // Keep the view in the URL; offer to search the area once the map moved. The handler is
  // attached after the initial view is set, so only later moves count.
  const searchArea = document.getElementById("search-area");
  map.on("moveend", () => {
    const c = map.getCenter();
    const url = new URL(location.href);
    url.searchParams.set("map", `${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
    history.replaceState(null, "", url.toString().replace(/map=[^&]*/, (m) => decodeURIComponent(m)));
    searchArea.hidden = false;
    loadLayer();
  });
  loadLayer();
  searchArea.addEventListener("click", () => {
    const c = map.getCenter();
    const halfDiagonalKm = map.getBounds().getNorthEast().distanceTo(c) / 1000;
    const radius = config.radii.find((r) => r >= halfDiagonalKm) || config.radii[config.radii.length - 1];
    near.value = `${c.lat.toFixed(5)},${c.lng.toFixed(5)}`;
    where.value = "";
    document.getElementById("id_radius").value = radius;
    form.submit();
  });
  window.toutPresMap = map;  // for the browser tests
}
