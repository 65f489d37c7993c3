/* Keyboard-first desk.
 * Any element with data-key="X" is activated by pressing X when no field has focus;
 * inputs are focused, everything else is clicked. data-key-label names it in the `?` list.
 * Alt+X does the same from inside a field. `/` focuses the element marked data-search. Esc
 * closes dialogs and returns to it. Ctrl+Enter presses the data-ctrl-enter button.
 */
(function () {
  "use strict";

  function isTyping(target) {
    if (!target) return false;
    const tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function shown(el) { return !el.closest("[hidden]") && el.offsetParent !== null; }

  // The key's element: in the focused result row first, then anywhere on the page except in
  // rows that keep their keys to themselves (data-own-keys: N on a caller found is a new order
  // for that caller, and only once the CSR has moved to that caller, or when that caller is the
  // only one found for what the search box holds now).
  function keyed(key) {
    const wanted = key.toUpperCase();
    const row = document.activeElement && document.activeElement.closest("[data-row]");
    const match = (el) => el.dataset.key.toUpperCase() === wanted && shown(el);
    const inRow = row && Array.from(row.querySelectorAll("[data-key]")).find(match);
    return inRow || Array.from(document.querySelectorAll("[data-key]")).find(
      (el) => match(el) && (!el.closest("[data-own-keys]") || onlyRowFound(el))
    );
  }

  // A list marked data-answers="<text>" holds what was found for that text: its one row speaks
  // for the search only while the box still holds that text (not while newer results are due).
  function onlyRowFound(el) {
    const list = el.closest("[data-answers]");
    const box = document.querySelector("[data-search]");
    return Boolean(list && box) && list.dataset.answers === box.value.trim()
      && list.querySelectorAll("[data-own-keys]").length === 1;
  }

  // Ctrl+Enter: the open dialog's action, else the page's.
  function ctrlEnterTarget() {
    const inDialog = document.querySelector("dialog[open] [data-ctrl-enter]");
    return inDialog || Array.from(document.querySelectorAll("[data-ctrl-enter]")).find(shown);
  }

  // Alt+letter from a field: the letter's shortcut, without leaving the field first.
  function altLetter(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
    const code = event.code || "";
    if (code.startsWith("Key")) return code.slice(3);
    if (code.startsWith("Digit")) return code.slice(5);
    return null;
  }

  function activate(el) {
    if (isTyping(el)) { el.focus(); if (el.select) el.select(); } else { el.click(); }
  }

  function fillShortcutList() {
    const rows = document.getElementById("shortcut-rows");
    if (!rows) return;
    rows.querySelectorAll("tr[data-page-key]").forEach((tr) => tr.remove());
    const seen = new Set();
    document.querySelectorAll("[data-key][data-key-label]").forEach((el) => {
      const key = el.dataset.key.toUpperCase();
      if (seen.has(key)) return;
      seen.add(key);
      const tr = document.createElement("tr");
      tr.dataset.pageKey = key;
      const k = document.createElement("td");
      k.innerHTML = "<kbd></kbd>";
      k.firstChild.textContent = key;
      const d = document.createElement("td");
      d.textContent = el.dataset.keyLabel;
      tr.append(k, d);
      rows.append(tr);
    });
  }

  function openShortcuts() {
    const dialog = document.getElementById("shortcuts");
    if (!dialog || dialog.open) return;
    fillShortcutList();
    dialog.showModal();
  }

  function focusSearch() {
    const box = document.querySelector("[data-search]");
    if (box) { box.focus(); if (box.select) box.select(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      const open = document.querySelector("dialog[open]");
      if (open) { open.close(); event.preventDefault(); return; }
      if (isTyping(event.target) && !event.target.matches("[data-search]")) { focusSearch(); return; }
      return;
    }
    if (event.ctrlKey && event.key === "Enter") {
      const submit = ctrlEnterTarget();
      if (submit) { event.preventDefault(); submit.click(); }
      return;
    }
    const letter = altLetter(event);
    if (letter && !document.querySelector("dialog[open]")) {
      const el = keyed(letter);
      if (el) { event.preventDefault(); activate(el); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "?") { event.preventDefault(); openShortcuts(); return; }
    if (event.key === "/") { if (focusSearch()) event.preventDefault(); return; }
    if (event.key.length !== 1) return;
    const el = keyed(event.key);
    if (el) { event.preventDefault(); activate(el); }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]")) openShortcuts();
  });

  /* No inline handlers (the Content-Security-Policy forbids them): a select marked
     data-autosubmit submits its form on change; a form with data-confirm asks first. */
  document.addEventListener("change", function (event) {
    const select = event.target.closest("select[data-autosubmit]");
    if (select) select.form.submit();
  });
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    // One click or Ctrl+Enter sends a form marked data-submit-once once: its button is
    // disabled while the request runs.
    const once = event.target.closest("form[data-submit-once]");
    if (once) {
      const button = once.querySelector("button[type=submit], button:not([type])");
      setTimeout(() => { button.disabled = true; button.textContent = once.dataset.submitOnce; }, 0);
    }
  });

  /* Result lists: ↑/↓ move between rows marked data-row (each holding a link), ⏎ opens; from
   the search box or with nothing focused. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const list = document.querySelector("[data-rows]");
    if (!list) return;
    const rows = Array.from(list.querySelectorAll("[data-row]"));
    if (!rows.length) return;
    const current = rows.findIndex((r) => r.contains(document.activeElement));
    // From the search box, or from nowhere (a page with no search box, such as Operations).
    const fromNowhere = !document.activeElement || document.activeElement === document.body;
    if (current === -1 && !fromNowhere && !document.activeElement.matches("[data-search]")) return;
    event.preventDefault();
    const next = event.key === "ArrowDown" ? Math.min(current + 1, rows.length - 1) : current - 1;
    if (next < 0) { focusSearch(); return; }
    const link = rows[next].querySelector("a, button") || rows[next];
    link.focus();
  });

  /* The browser applies `autofocus` at a later rendering step, after the page's load event on a
   busy machine: a shortcut key pressed in between was then typed into the field it focused.
   Focused here, once htmx has wired the page (its DOMContentLoaded handler, added first, runs
   first), the field has the cursor before the page counts as loaded, and its typing is heard. */
  document.addEventListener("DOMContentLoaded", function () {
    const first = document.querySelector("[autofocus]");
    const unfocused = !document.activeElement || document.activeElement === document.body;
    if (first && shown(first) && unfocused) first.focus();
  });
})();
