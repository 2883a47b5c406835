// Drives an import's steps: each POST works a few seconds and answers with the progress;
// the bar and its text follow, and the page reloads when the step is over. Without
// JavaScript the "Continuer" button does the same, one slice per click.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) return;
  var form = document.getElementById("step-form");
  var bar = document.getElementById("run-progress");
  var text = document.getElementById("run-progress-text");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var number = new Intl.NumberFormat(document.documentElement.lang || "fr");

  function show(state) {
    bar.max = state.total;
    bar.value = state.done;
    bar.textContent = state.percent + " %";
    text.textContent = number.format(state.done) + " / " + number.format(state.total) + " (" + state.percent + " %)";
  }

  function next() {
    fetch(box.dataset.stepUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.working) {
          setTimeout(next, state.busy ? 3000 : 50);
        } else {
          window.location.assign(box.dataset.pageUrl);
        }
      })
      .catch(function () {
        text.textContent += " — connexion interrompue : cliquez sur « Continuer ».";
      });
  }
  next();
})();
