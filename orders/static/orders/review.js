// One click or Ctrl+Enter submits once: the button is disabled while the request runs.
document.querySelector(".submit-form")?.addEventListener("submit", (e) => {
  const b = e.target.querySelector("button");
  setTimeout(() => { b.disabled = true; b.textContent = "Submitting…"; }, 0);
});
