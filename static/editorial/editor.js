// Live preview of the article body in the editor: the server renders and sanitises the
// Markdown exactly as the article page will (no second renderer in the browser).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const body = document.getElementById("id_body");
    const pane = document.getElementById("markdown-preview");
    if (!body || !pane) return;
    const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    let timer = null;
    let controller = null;
    async function refresh() {
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(pane.dataset.url, {
          method: "POST",
          body: new URLSearchParams({ body: body.value }),
          headers: { "X-CSRFToken": csrf },
          signal: controller.signal,
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(response.status);
        pane.innerHTML = await response.text(); // sanitised by the server
        pane.removeAttribute("aria-busy");
      } catch (error) {
        if (error.name !== "AbortError") pane.textContent = "Aperçu indisponible pour l'instant.";
      }
    }
    body.addEventListener("input", () => {
      pane.setAttribute("aria-busy", "true");
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    refresh();
  });
})();
