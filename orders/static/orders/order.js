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
  function closeList() { list.innerHTML = ""; active = -1; listFor = null; item.setAttribute("aria-expanded", "false"); item.removeAttribute("aria-activedescendant"); }
  function pick(opt) {
    item.value = opt.dataset.sku;
    closeList();
    qty.focus(); qty.select();
  }
  function focusItem() { item.focus(); item.select(); }
  let listFor = null; // the text the suggestions shown answer
  let enterWaiting = false; // Enter was pressed before they came
  let arrowed = false; // the CSR moved through them with ↑ ↓: Enter takes the one chosen
  // A code typed in full, or text only one item matches, is added at once (at the quantity
  // typed after it, else 1); among several suggestions Enter picks one and asks how many.
  // Otherwise the form submits what was typed: an item's code, or the promotion code the
  // suggestions name first (typed in full, or the start of one running now).
  function enter(opts) {
    const typed = typedItem();
    if (arrowed && active >= 0 && opts[active]) { pick(opts[active]); return "picked"; }
    const code = list.querySelector("[data-promotion-code]");
    if (code) { item.value = code.dataset.promotionCode; return "submit"; }
    if (!opts.some((o) => compact(o.dataset.sku) === typed)) {
      if (opts.length === 1) item.value = opts[0].dataset.sku + typedQuantity();
      else if (active >= 0 && opts[active]) { pick(opts[active]); return "picked"; }
    }
    return "submit";
  }
  // A quantity typed after the item, behind a space or `*` ('NB-BLK-A5*3'), as orders/forms.py.
  const QUANTITY_AFTER_ITEM = /(?:\s*\*\s*|\s+)\d{1,4}$/;
  // A code without its separators, as catalog.models.compact_code: 'nbblka5' is NB-BLK-A5.
  function compact(code) { return code.toUpperCase().replace(/[-\s./_]/g, ""); }
  function typedItem() { return compact(item.value.trim().replace(QUANTITY_AFTER_ITEM, "")); }
  function typedQuantity() { const m = item.value.trim().match(QUANTITY_AFTER_ITEM); return m ? m[0] : ""; }

  item.addEventListener("keydown", function (e) {
    const opts = options();
    if (e.key === "ArrowDown" && opts.length) { e.preventDefault(); e.stopPropagation(); arrowed = true; setActive(Math.min(active + 1, opts.length - 1)); }
    else if (e.key === "ArrowUp" && opts.length) { e.preventDefault(); e.stopPropagation(); arrowed = true; setActive(Math.max(active - 1, -1)); }
    else if (e.key === "Enter") {
      // Enter acts on the suggestions for what is in the box: typed faster than they came, it
      // waits for them (a second Enter does not).
      if (!enterWaiting && listFor !== item.value.trim() && item.value.trim().length > 1) {
        e.preventDefault(); enterWaiting = true; return;
      }
      enterWaiting = false;
      if (enter(opts) !== "submit") e.preventDefault();
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
      else listFor = asked.trim();
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target === list) {
      active = -1; arrowed = false; item.setAttribute("aria-expanded", options().length ? "true" : "false"); if (options().length && !list.querySelector("[data-promotion-code]")) setActive(0);
      if (enterWaiting) { enterWaiting = false; if (enter(options()) === "submit") form.requestSubmit(); }
    }
  });
  let sent = ""; // what the item box sent, given back if the add is refused
  form.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt !== form) return;
    // The box empties as the add is sent: the next SKU can be typed while it is on its way.
    sent = item.value; item.value = ""; qty.value = "1"; closeList();
  });
  document.body.addEventListener("cart-refused", function (e) {
    // The add was refused: its text comes back for the CSR to fix (unless they typed on).
    if (e.detail && e.detail.elt === form && item.value === "") item.value = sent;
  });
  document.body.addEventListener("cart-updated", function (e) {
    // After a change made outside the lines (the item box, the ship-to row, a panel) the cursor
    // goes back to the item box for the next SKU; what was typed there meanwhile stays. The
    // server fires it after the settle (views.CART_EVENTS): the screen is wired by then.
    const src = e.detail && e.detail.elt;
    const outsideLines = !src || !src.closest || !src.closest("#cart");
    if ((outsideLines || item.value === "") && !dialog.open && document.activeElement !== item) focusItem();
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    // A panel shows, with the cursor in it, only once htmx has wired its form, which it does at
    // settle, after the swap (later still on a busy machine): Enter there earlier was a plain GET.
    if (e.detail.target === panelBody || panelBody.contains(e.detail.target)) {
      if (!dialog.open) dialog.showModal();
      const first = panelBody.querySelector("[autofocus]") || panelBody.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
  });
  // What was typed before htmx had wired the box (the browser puts the cursor there while the
  // page still loads) is asked about once it has: this listener runs after htmx's own.
  document.addEventListener("DOMContentLoaded", function () {
    if (item.value.trim()) htmx.trigger(item, "input");
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
  // Text the browser kept in the box (a reload) gets its suggestions, as typed text does.
  if (item.value.trim().length > 1) htmx.trigger(item, "input");
  const wanted = new URLSearchParams(location.search).get("panel");
  if (wanted) openPanel(wanted);
})();
