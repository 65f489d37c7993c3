/* The order screen: item box suggestions (↑ ↓ ⏎), panels in one dialog, focus back to the
 * item box after every change. Works with desk.js (shortcut keys, Esc, Ctrl+Enter). */
(function () {
  "use strict";
  const screen = document.querySelector(".order-screen");
  if (!screen) return;
  const item = document.getElementById("item");
  const qty = document.getElementById("qty");
  const list = document.getElementById("suggest");
  const form = document.getElementById("item-form");
  const dialog = document.getElementById("panel");
  const panelBody = document.getElementById("panel-body");
  const panelBase = screen.dataset.panelBase; // .../panel/x/
  let active = -1;

  function options() { return Array.from(list.querySelectorAll("li[data-sku]")); }
  function setActive(i) {
    const opts = options();
    opts.forEach((o, n) => o.setAttribute("aria-selected", n === i ? "true" : "false"));
    active = i;
    if (i >= 0 && opts[i]) { item.setAttribute("aria-activedescendant", opts[i].id); opts[i].scrollIntoView({ block: "nearest" }); }
    else item.removeAttribute("aria-activedescendant");
  }
  function closeList() { list.innerHTML = ""; active = -1; item.setAttribute("aria-expanded", "false"); item.removeAttribute("aria-activedescendant"); }
  function pick(opt) {
    item.value = opt.dataset.sku;
    closeList();
    qty.focus(); qty.select();
  }
  function focusItem() { item.focus(); item.select(); }

  item.addEventListener("keydown", function (e) {
    const opts = options();
    if (e.key === "ArrowDown" && opts.length) { e.preventDefault(); e.stopPropagation(); setActive(Math.min(active + 1, opts.length - 1)); }
    else if (e.key === "ArrowUp" && opts.length) { e.preventDefault(); e.stopPropagation(); setActive(Math.max(active - 1, -1)); }
    else if (e.key === "Enter") {
      if (active >= 0 && opts[active]) { e.preventDefault(); pick(opts[active]); }
      else if (opts.length === 1 && opts[0].dataset.sku.toUpperCase() !== item.value.trim().toUpperCase()) { e.preventDefault(); pick(opts[0]); }
      // otherwise: the form submits with the typed SKU
    } else if (e.key === "Escape") {
      // Esc closes the suggestions; a second Esc leaves the box so single-key shortcuts work.
      if (options().length || list.children.length) { e.stopPropagation(); closeList(); }
      else { e.stopPropagation(); item.blur(); }
    }
  }, true);
  list.addEventListener("mousedown", function (e) {
    const opt = e.target.closest("li[data-sku]");
    if (opt) { e.preventDefault(); pick(opt); }
  });
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    // A late answer for text that is no longer in the box (e.g. after an add) is dropped.
    if (e.detail.target === list) {
      const asked = new URL(e.detail.xhr.responseURL, location.href).searchParams.get("sku") || "";
      if (asked.trim() !== item.value.trim() || document.activeElement !== item) e.detail.shouldSwap = false;
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target === list) { active = -1; item.setAttribute("aria-expanded", options().length ? "true" : "false"); if (options().length) setActive(0); }
  });
  form.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt !== form) return;
    closeList();
  });
  document.body.addEventListener("cart-updated", function (e) {
    // After an add from the item box: empty it and put focus back for the next SKU.
    const src = e.detail && e.detail.elt;
    if (src === form || !src || !src.closest || !src.closest("#cart")) {
      if (src === form) { item.value = ""; qty.value = "1"; closeList(); }
      if (!dialog.open) focusItem();
    }
    if (item.value === "" && !dialog.open) focusItem();
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    // If the add failed, keep the text so the CSR can fix it; focus stays in the item box.
    if (e.detail.elt === form && !dialog.open) focusItem();
    // A panel shows, with the cursor in it, only once htmx has wired its form, which it does at
    // settle, after the swap (later still on a busy machine): Enter there earlier was a plain GET.
    if (e.detail.target === panelBody || panelBody.contains(e.detail.target)) {
      if (!dialog.open) dialog.showModal();
      const first = panelBody.querySelector("[autofocus]") || panelBody.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
  });
  document.body.addEventListener("panel-close", function () { if (dialog.open) dialog.close(); });
  dialog.addEventListener("close", function () { panelBody.innerHTML = ""; focusItem(); });

  function openPanel(name) {
    htmx.ajax("GET", panelBase.replace(/x\/$/, name + "/"), { target: "#panel-body", swap: "innerHTML" });
  }
  document.addEventListener("click", function (e) {
    const b = e.target.closest("[data-panel]");
    if (b) { e.preventDefault(); openPanel(b.dataset.panel); }
    if (e.target.closest("[data-panel-close]")) dialog.close();
  });
  // Bill & pay: typing a card number means "a new card", whatever stored card was selected.
  panelBody.addEventListener("input", function (e) {
    if (e.target.name !== "card_number" || !e.target.value.trim()) return;
    const newCard = panelBody.querySelector("input[name=payment_method][value='']");
    if (newCard) newCard.checked = true;
  });
  // Enter saves the panel from any of its fields: a select, a radio or a checkbox too (the
  // browser submits a form on Enter only from a text field).
  panelBody.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.ctrlKey || e.altKey || e.shiftKey || e.metaKey) return;
    const field = e.target;
    const choice = field.tagName === "SELECT" || field.type === "radio" || field.type === "checkbox";
    if (!choice || !field.form) return;
    e.preventDefault();
    field.form.requestSubmit();
  });
  const wanted = new URLSearchParams(location.search).get("panel");
  if (wanted) openPanel(wanted);
})();
