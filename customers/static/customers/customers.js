/* Customer page: buttons with data-dialog-open="id" open that dialog (the keys come from
 * desk.js data-key); a page rendered with errors opens the dialog they belong to;
 * forms with data-confirm ask first. Ctrl+Enter inside an open dialog submits its form. */
(function () {
  "use strict";
  function open(id) {
    const dialog = document.getElementById(id);
    if (!dialog || dialog.open) return;
    dialog.showModal();
    const target = dialog.querySelector(".has-error input, .has-error select, [autofocus], input:not([type=hidden]), select, button");
    if (target) target.focus();
  }
  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) { open(opener.dataset.dialogOpen); return; }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) { const d = closer.closest("dialog"); if (d) d.close(); }
  });
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey && event.key === "Enter")) return;
    const dialog = document.querySelector("dialog[open]");
    if (!dialog) { event.stopImmediatePropagation(); return; }  // closed dialogs' forms stay put
    const submit = dialog.querySelector("[data-ctrl-enter]");
    if (submit) { event.preventDefault(); event.stopImmediatePropagation(); submit.click(); }
  }, true);
  const root = document.querySelector("[data-open-dialog]");
  if (root && root.dataset.openDialog) open(root.dataset.openDialog);
})();
