/* Find catalog item: Enter in the search box opens the first result once it matches the box. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches("#q")) return;
    const results = document.querySelector(".catalog-results");
    const first = document.querySelector(".catalog-results [data-row] a");
    if (first && results && results.dataset.query === event.target.value.trim()) {
      event.preventDefault();
      first.click();
    }
  });
})();
