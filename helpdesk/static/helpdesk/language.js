// The language menu applies the choice at once (no inline handler: the pages' CSP allows no
// inline script).
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
