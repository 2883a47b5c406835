// "Copy" buttons: the link or a prepared text, to the clipboard; selects it if the browser
// refuses (older browsers, no permission), so it can still be copied by hand.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = button.dataset.copyFrom && document.getElementById(button.dataset.copyFrom);
  const text = source ? source.value : button.dataset.copy;
  const status = document.querySelector(".copy-status");
  try {
    await navigator.clipboard.writeText(text);
    if (status) status.textContent = "Copié.";
    button.dataset.copied = "true";
  } catch (error) {
    if (source) {
      source.focus();
      source.select();
    }
    if (status) status.textContent = "Sélectionné : copiez avec Ctrl+C.";
  }
});
