// The agents' search page: results as you type. The form is an ordinary GET form, so the
// page works without JavaScript; with it, the results part of the page is fetched again a
// moment after the typing stops (older answers are dropped) and the address follows.
(function () {
  "use strict";
  var form = document.querySelector("form.kb-search[data-live]");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var results = document.getElementById("kb-search-results");
  var status = document.querySelector(".kb-search-status");
  var DELAY = 250, MIN = 2;
  var timer = null, seq = 0, controller = null, last = input.value.trim();

  function run(q) {
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var mine = ++seq;
    var url = form.dataset.live + "?q=" + encodeURIComponent(q);
    status.textContent = status.dataset.searching;
    fetch(url + "&partial=1", {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      signal: controller ? controller.signal : undefined
    })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        if (mine !== seq) { return; }
        results.innerHTML = html;
        status.textContent = "";
        window.history.replaceState(null, "", q ? url : form.dataset.live);
      })
      .catch(function (e) {
        if (mine === seq && e.name !== "AbortError") { status.textContent = status.dataset.failed; }
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q === last) { return; }
    if (q.length < MIN && q.length) { return; }
    timer = setTimeout(function () { last = q; run(q); }, DELAY);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    last = input.value.trim();
    run(last);
  });
})();
