// Settings pages: the widget's live preview follows the form as it is typed, and the embed
// snippet copies with one click.
(function () {
  "use strict";
  var preview = document.getElementById("widget-preview");
  var form = document.getElementById("settings-form");
  function field(name) { return form && form.querySelector("[name=" + name + "]"); }
  function update() {
    if (!preview) return;
    var title = field("title"), greeting = field("greeting"), color = field("color");
    if (title && title.value) preview.querySelector("[data-preview=title]").textContent = title.value;
    if (greeting) preview.querySelector("[data-preview=greeting]").textContent = greeting.value;
    if (color && /^#[0-9a-fA-F]{6}$/.test(color.value)) preview.style.setProperty("--accent", color.value);
  }
  if (form) form.addEventListener("input", update);
  update();
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      source.select();
      if (navigator.clipboard) navigator.clipboard.writeText(source.value);
    });
  });
})();
