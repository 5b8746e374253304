// TradeDock dashboard: the copy buttons (the pages work without JavaScript; this only adds copying).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const note = button.parentElement.querySelector(".copied");
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    if (note) note.textContent = "Copied.";
  } catch (error) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (note) note.textContent = "Selected: press Ctrl+C to copy.";
  }
});
