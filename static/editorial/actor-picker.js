// Linked-listings picker of the article editor: searches published listings through the
// public API and keeps the hidden <select multiple> in step with the chosen list.
(function () {
  "use strict";
  function setUp(root) {
    const select = document.getElementById(root.dataset.select);
    const search = root.querySelector(".picker-search");
    const results = root.querySelector(".picker-results");
    const chosen = root.querySelector(".picker-chosen");
    const status = root.querySelector(".picker-status");
    let timer = null;
    let controller = null;

    function removeButton(item, name) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "picker-remove";
      button.textContent = "×";
      button.setAttribute("aria-label", "Retirer " + name);
      return button;
    }

    function choose(feature) {
      const id = String(feature.id);
      if (select.querySelector('option[value="' + id + '"]')) return;
      const option = new Option(feature.properties.name, id, true, true);
      select.append(option);
      const item = document.createElement("li");
      item.dataset.id = id;
      const name = document.createElement("span");
      name.textContent = feature.properties.name;
      const where = document.createElement("small");
      where.textContent = feature.properties.commune;
      item.append(name, " ", where, " ", removeButton(item, feature.properties.name));
      chosen.append(item);
      status.textContent = feature.properties.name + " : fiche liée.";
    }

    chosen.addEventListener("click", (event) => {
      const button = event.target.closest(".picker-remove");
      if (!button) return;
      const item = button.closest("li");
      const option = select.querySelector('option[value="' + item.dataset.id + '"]');
      if (option) option.remove();
      status.textContent = item.querySelector("span").textContent + " : lien retiré.";
      item.remove();
      search.focus();
    });

    async function lookUp() {
      const text = search.value.trim();
      results.replaceChildren();
      if (text.length < 2) return;
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(root.dataset.api + "?" + new URLSearchParams({ q: text }), {
          signal: controller.signal,
          headers: { Accept: "application/json" },
        });
        if (!response.ok) throw new Error(response.status);
        const data = await response.json();
        const features = data.features.slice(0, 10);
        for (const feature of features) {
          const item = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "picker-add";
          button.textContent = feature.properties.name + " — " + feature.properties.commune;
          button.addEventListener("click", () => {
            choose(feature);
            results.replaceChildren();
            search.value = "";
            search.focus();
          });
          item.append(button);
          results.append(item);
        }
        status.textContent = data.count ? data.count + " fiche(s) trouvée(s)." : "Aucune fiche publiée ne correspond.";
      } catch (error) {
        if (error.name !== "AbortError") status.textContent = "Recherche impossible pour l'instant.";
      }
    }

    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 250);
    });
    search.addEventListener("keydown", (event) => {
      // Enter in the search box must not submit the whole article form.
      if (event.key === "Enter") {
        event.preventDefault();
        clearTimeout(timer);
        lookUp();
      }
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".actor-picker").forEach(setUp);
  });
})();
