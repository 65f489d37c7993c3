// "Adjust" on a stock row fills the adjust form with that SKU and center.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill-sku]");
  if (!button) return;
  const form = document.getElementById("adjust-form");
  form.elements.sku.value = button.dataset.fillSku;
  form.elements.center.value = button.dataset.fillCenter;
  form.elements.quantity.focus();
});
