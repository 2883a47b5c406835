// Leaflet reads a string given to a tooltip, popup or divIcon as HTML: listing names go
// in as DOM nodes holding text, never as strings.
export function text(content) {
  const span = document.createElement("span");
  span.textContent = content;
  return span;
}

// Map pins shared by the search map and the listing map: a coloured disc with the kind's
// white pictogram, so that kinds differ by shape and not by colour alone.
// `style` is {colour, path} from directory/markers.py.
export function pin(style, kind) {
  style = style || { colour: "#333", path: "" };
  const svgNS = "http://www.w3.org/2000/svg";
  const span = document.createElement("span");
  span.className = "pin";
  span.style.setProperty("--pin", style.colour);
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", "pictogram");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(svgNS, "path");
  path.setAttribute("d", style.path);
  svg.append(path);
  span.append(svg);
  return L.divIcon({
    html: span,
    className: `marker kind-${kind}`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
    popupAnchor: [0, -12],
    tooltipAnchor: [14, 0],
  });
}
