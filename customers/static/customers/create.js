// Focus the first field with an error, else the first field.
(function () {
  var bad = document.querySelector("#create-form .has-error input, #create-form .has-error select");
  var first = bad || document.getElementById("id_first_name");
  if (first) first.focus();
})();
