// Dashboard and settings pages: "Copy" buttons next to join links and API keys.

function flash(button: HTMLButtonElement, text: string): void {
  const original = button.textContent ?? "Copy";
  button.textContent = text;
  window.setTimeout(() => {
    button.textContent = original;
  }, 1500);
}

async function copy(button: HTMLButtonElement): Promise<void> {
  const value = button.dataset.copy ?? "";
  try {
    await navigator.clipboard.writeText(value);
    flash(button, "Copied");
  } catch {
    // Clipboard API refused (http:// origin or permissions): select the text for a manual copy.
    const input = button.closest("tr, p")?.querySelector<HTMLInputElement>("input.link-url");
    input?.select();
    flash(button, "Press Ctrl+C");
  }
}

document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof HTMLButtonElement && target.classList.contains("copy")) {
    void copy(target);
  }
});

for (const input of document.querySelectorAll<HTMLInputElement>("input.link-url")) {
  input.addEventListener("focus", () => input.select());
}
