// Help centre: results as you type (the form still works without JavaScript), and votes
// sent without leaving the page.
(function () {
  "use strict";
  var form = document.querySelector(".hc-search");
  if (form) {
    var input = form.querySelector("input[type=search]");
    var list = form.querySelector(".hc-suggestions");
    var lang = form.querySelector("input[name=lang]").value;
    var timer = null, seq = 0;
    var close = function () { list.hidden = true; list.innerHTML = ""; };
    var show = function (data) {
      list.innerHTML = "";
      if (!data.results.length) {
        var empty = document.createElement("li");
        empty.className = "hc-empty";
        empty.textContent = list.dataset.empty;
        list.appendChild(empty);
      }
      data.results.forEach(function (hit) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        var a = document.createElement("a");
        a.href = hit.path;
        a.textContent = hit.title;
        var small = document.createElement("small");
        small.textContent = hit.snippet;
        a.appendChild(small);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = false;
    };
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(form.dataset.suggest + "?lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(q))
          .then(function (r) { return r.json(); })
          .then(function (data) { if (mine === seq) { show(data); } })
          .catch(close);
      }, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { close(); }
      if (e.key === "ArrowDown" && !list.hidden) {
        var first = list.querySelector("a");
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    document.addEventListener("click", function (e) { if (!form.contains(e.target)) { close(); } });
  }
  var vote = document.querySelector(".hc-vote form");
  if (vote) {
    vote.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = new FormData(vote);
      body.append("helpful", e.submitter ? e.submitter.value : "yes");
      fetch(vote.action, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function () {
          var p = document.createElement("p");
          p.className = "hc-thanks";
          p.textContent = vote.dataset.thanks;
          vote.replaceWith(p);
        })
        .catch(function () {
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = "helpful";
          hidden.value = body.get("helpful");
          vote.appendChild(hidden);
          vote.submit();
        });
    });
  }
})();
