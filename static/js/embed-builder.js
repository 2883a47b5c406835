// "Intégrer cette carte": rebuild the embed address, the preview and the snippet as the
// partner changes an option. The server builds the same snippet when the form is sent
// (directory/embed.py: BuilderForm.embed_params and snippet), so it also works without
// JavaScript.
(() => {
  const config = JSON.parse(document.getElementById("builder-config").textContent);
  const form = document.getElementById("builder-form");
  const preview = document.getElementById("builder-preview");
  const snippet = document.getElementById("builder-snippet");
  const direct = document.getElementById("builder-url");
  const escape = (text) => text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

  function params() {
    const data = new FormData(form);
    const out = new URLSearchParams();
    const territory = data.get("departement") || "";
    if (territory.startsWith("region:")) out.append("region", territory.slice("region:".length));
    else if (territory) out.append("departement", territory);
    const commune = (data.get("commune") || "").trim();
    if (/^[0-9AB]{5}$/i.test(commune)) out.append("commune", commune.toUpperCase());
    const where = (data.get("where") || "").trim();
    if (where) {
      out.append("where", where);
      out.append("radius", data.get("radius") || "20");
    }
    for (const kind of data.getAll("kind")) out.append("kind", kind);
    for (const category of data.getAll("category")) out.append("category", category);
    const controls = data.getAll("controls");
    if (controls.length && controls.length !== config.allControls.length) {
      out.append("controls", config.allControls.filter((c) => controls.includes(c)).join(","));
    }
    if (data.get("lang")) out.append("lang", data.get("lang"));
    const accent = (data.get("accent") || "").replace("#", "").toLowerCase();
    if (accent && `#${accent}` !== config.defaultAccent) out.append("accent", accent);
    return out;
  }

  let timer;
  function update() {
    const query = params().toString();
    const url = query ? `${config.embedUrl}?${query}` : config.embedUrl;
    const height = Math.max(300, Math.min(3000, Number(form.elements.height.value) || 640));
    snippet.value =
      `<iframe src="${escape(url)}" title="${escape(config.title)}" loading="lazy" allow="geolocation" ` +
      `style="width:100%;height:${height}px;border:0" data-toutpres-embed></iframe>\n` +
      `<script src="${escape(config.resizeUrl)}" async></script>`;
    direct.href = url;
    direct.textContent = url;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (preview.src !== url) preview.src = url;
    }, 300);
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
