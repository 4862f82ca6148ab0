// Article editor: the preview follows the Markdown as it is typed (sanitised by the server).
(function () {
  "use strict";
  var body = document.querySelector("textarea[data-preview]");
  var preview = document.getElementById("kb-preview");
  if (!body || !preview) { return; }
  var token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timer = null;
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var data = new FormData();
      data.append("body", body.value);
      fetch(preview.dataset.url, { method: "POST", body: data, headers: { "X-CSRFToken": token }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) { preview.innerHTML = d.html; });
    }, 250);
  });
})();
