// The agent workspace, live: one WebSocket (/ws/agent/) brings new tickets and messages,
// colleagues viewing or typing, and mentions; keyboard shortcuts for the list and a ticket.
(function () {
  "use strict";
  var script = document.currentScript;
  var data = script.dataset;
  var me = parseInt(data.user, 10);
  var page = data.page || "";
  var ticketId = data.ticket ? parseInt(data.ticket, 10) : null;
  var socket = null;
  var delay = 1000;
  var others = {}; // user id -> {name, state, until}

  function send(obj) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
  }

  // Fetch a page and put its element #targetId in place of ours (a resolved promise either
  // way: a failed fetch leaves the page as it was, the next event tries again).
  function swap(url, targetId) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        // A <template> parses any fragment, a table's rows included, and runs nothing.
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var fresh = holder.content.getElementById(targetId);
        var current = document.getElementById(targetId);
        if (fresh && current) { current.replaceWith(document.importNode(fresh, true)); }
      })
      .catch(function () {});
  }

  function refresh(url, targetId) {
    if (url) { swap(url, targetId); }
  }

  // <div data-fragment="url">: filled once with what the address answers (suggestions).
  document.querySelectorAll("[data-fragment]").forEach(function (box) {
    fetch(box.dataset.fragment, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var body = new DOMParser().parseFromString(html, "text/html").body;
        box.replaceChildren.apply(box, Array.prototype.map.call(body.childNodes, function (node) {
          return document.importNode(node, true);
        }));
        // Parsed scripts never run: the fragment's own (same-origin files) are loaded afresh.
        box.querySelectorAll("script[src]").forEach(function (old) {
          var script = document.createElement("script");
          script.src = old.src;
          old.replaceWith(script);
        });
      })
      .catch(function () {});
  });

  // A live refresh of the list replaces its rows: the ticked tickets, the keyboard selection
  // and the focused checkbox or link are carried over to the new rows (by ticket id).
  function refreshRows(url) {
    if (!url) { return; }
    var ticked = {};
    document.querySelectorAll("#rows input[name=ids]:checked").forEach(function (box) { ticked[box.value] = true; });
    var chosen = document.querySelector("#rows tr.selected");
    var chosenId = chosen ? chosen.dataset.ticket : null;
    var active = document.activeElement;
    var activeRow = active && active.closest ? active.closest("#rows tr[data-ticket]") : null;
    var activeId = activeRow ? activeRow.dataset.ticket : null;
    var activeWhat = active && active.matches && active.matches("input[name=ids]") ? "input[name=ids]" : "a.open";
    swap(url, "rows").then(function () {
      var list = rows();
      list.forEach(function (row, i) {
        var box = row.querySelector("input[name=ids]");
        if (box && ticked[box.value]) { box.checked = true; }
        if (chosenId && row.dataset.ticket === chosenId) { selected = i; row.classList.add("selected"); }
        if (activeId && row.dataset.ticket === activeId) {
          var el = row.querySelector(activeWhat);
          if (el) { el.focus({ preventScroll: true }); }
        }
      });
    });
  }

  // The reply box shows the channel rules (WhatsApp's window) of the address chosen in
  // "Send via" only; the templates of another address are not sent.
  var sendVia = document.querySelector("#reply select[name=identity]");
  function showWindow() {
    document.querySelectorAll("#reply [data-window-for]").forEach(function (box) {
      var on = sendVia && box.dataset.windowFor === sendVia.value;
      box.hidden = !on;
      box.querySelectorAll("input").forEach(function (input) { input.disabled = !on; });
    });
  }
  if (sendVia) { sendVia.addEventListener("change", showWindow); showWindow(); }

  // Bulk actions: only the list of the chosen action is shown (and sent).
  var bulkAction = document.querySelector("#bulk select[name=action]");
  function showBulkValue() {
    document.querySelectorAll("#bulk [data-bulk-for]").forEach(function (el) {
      var on = el.dataset.bulkFor === bulkAction.value;
      el.hidden = !on;
      el.disabled = !on;
    });
  }
  if (bulkAction) { bulkAction.addEventListener("change", showBulkValue); showBulkValue(); }

  function typing() {
    var el = document.activeElement;
    return el && el.tagName === "TEXTAREA" && el.value;
  }

  var pending = false;
  var lastKey = "", lastAt = 0;
  function onActivity(event) {
    // The same event reaches a ticket page twice (inbox and ticket groups): act once.
    var key = JSON.stringify(event);
    if (key === lastKey && Date.now() - lastAt < 2000) return;
    lastKey = key; lastAt = Date.now();
    if (page === "list" && data.liveRows) {
      refreshRows(data.listUrl + data.liveRows);
      var live = document.getElementById("live");
      if (live) live.textContent = "";
    } else if (page === "ticket" && event.ticket === ticketId) {
      // The echo of this page's own property change: the page already shows it.
      if (event.type === "ticket.updated" && Date.now() < quietUntil) { refresh(data.timelineUrl, "timeline"); return; }
      if (event.type === "ticket.updated" && !typing()) { location.reload(); return; }
      if (typing() && event.type === "ticket.updated") {
        pending = true;
        var p = document.getElementById("presence");
        if (p) p.dataset.notice = data.i18nNewActivity;
        renderPresence();
        return;
      }
      refresh(data.timelineUrl, "timeline");
    }
  }

  function renderPresence() {
    var el = document.getElementById("presence");
    if (!el) return;
    var now = Date.now();
    var parts = [];
    Object.keys(others).forEach(function (id) {
      var o = others[id];
      if (o.until < now) { delete others[id]; return; }
      parts.push(o.name + " " + (o.state === "typing" ? data.i18nTyping : data.i18nViewing));
    });
    el.textContent = parts.join(" · ") + (el.dataset.notice ? "  " + el.dataset.notice : "");
  }

  function toast(text, href) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var a = document.createElement("a");
    a.className = "toast";
    a.href = href;
    a.textContent = text;
    box.appendChild(a);
    var badge = document.getElementById("mention-count");
    if (badge) { badge.hidden = false; badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1); }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/agent/");
    socket.onopen = function () {
      delay = 1000;
      if (ticketId) send({ watch_ticket: ticketId });
    };
    socket.onmessage = function (e) {
      var event = JSON.parse(e.data);
      // The server has joined this page to its groups: from now on nothing is missed.
      if (event.type === "ready") { document.documentElement.dataset.live = "ready"; }
      if (event.type === "watching" && event.ticket === ticketId) {
        send({ type: "viewing", ticket: ticketId });
      } else if (event.type === "message.created" || event.type === "ticket.updated" || event.type === "message.delivery") {
        onActivity(event);
      } else if (event.type === "presence" && event.ticket === ticketId && event.user !== me) {
        if (event.state === "left") delete others[event.user];
        else others[event.user] = { name: event.name, state: event.state, until: Date.now() + (event.state === "typing" ? 6000 : 45000) };
        renderPresence();
      } else if (event.type === "webchat.typing" && event.ticket === ticketId) {
        others.customer = { name: data.i18nCustomer, state: "typing", until: Date.now() + 6000 };
        renderPresence();
      } else if (event.type === "mention") {
        toast(data.i18nMention + " #" + event.ticket + " (@" + event.by + ")", data.listUrl + "tickets/" + event.ticket + "/");
      }
    };
    socket.onclose = function () {
      delete document.documentElement.dataset.live;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();

  if (ticketId) {
    setInterval(function () { send({ type: "viewing", ticket: ticketId }); renderPresence(); }, 20000);
    var lastTyping = 0;
    document.addEventListener("input", function (e) {
      if (e.target && e.target.id === "reply-text" && Date.now() - lastTyping > 2500) {
        lastTyping = Date.now();
        var internal = document.getElementById("id_internal");
        // Only a reply is announced to the customer; a note stays among agents.
        send({ type: "typing", ticket: ticketId, note: !!(internal && internal.checked) });
      }
    });
    document.addEventListener("focusout", function (e) {
      if (pending && e.target && e.target.id === "reply-text" && !e.target.value) location.reload();
    });
    var canned = document.getElementById("canned");
    if (canned) {
      canned.addEventListener("change", function () {
        if (!canned.value) return;
        fetch(canned.dataset.url + canned.value + "/", { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
          .then(function (body) {
            var text = document.getElementById("reply-text");
            text.value = text.value ? text.value + "\n" + body.text : body.text;
            text.focus();
          });
      });
    }
  }

  // --- Ticket properties: applied as soon as they change, with an "Undo" for a few seconds --
  var quietUntil = 0;
  var undoTimer = null;
  var undoLast = null;
  var UNDO_SECONDS = 8;
  if (document.getElementById("props")) { document.documentElement.classList.add("props-live"); }

  function csrfOf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function bodyOf(values, form) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfOf(form));
    Object.keys(values).forEach(function (key) {
      [].concat(values[key]).forEach(function (v) { body.append(key, v); });
    });
    return body;
  }
  function propPost(form, body) {
    quietUntil = Date.now() + 5000;
    return fetch(form.action, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json", "X-CSRFToken": csrfOf(form) }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (answer) {
        if (!r.ok || !answer.ok) { throw new Error(answer.error || data.i18nPropFailed); }
        return answer;
      });
    });
  }
  // The properties and the header, as the server now has them (one request).
  function propsRefresh() {
    var activeId = document.activeElement && document.activeElement.id;
    var inTags = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-prop=tags]");
    return fetch(location.pathname, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      ["props", "ticket-meta"].forEach(function (id) {
        var now = document.getElementById(id), next = fresh.getElementById(id);
        if (now && next) { now.replaceWith(document.importNode(next, true)); }
      });
      var again = activeId && document.getElementById(activeId);
      if (!again && inTags) { again = document.getElementById("tag-add"); }
      if (again) { again.focus({ preventScroll: true }); }
      refresh(data.timelineUrl, "timeline");
    });
  }
  function undoBar() { return document.getElementById("undo"); }
  function undoHide() {
    clearTimeout(undoTimer);
    undoLast = null;
    var bar = undoBar();
    if (bar) { bar.textContent = ""; bar.className = "undo-bar"; }
  }
  function undoSay(text, kind) {
    var bar = undoBar();
    if (!bar) return null;
    clearTimeout(undoTimer);
    bar.textContent = "";
    bar.className = "undo-bar ui-notice" + (kind ? " ui-notice-" + kind : "");
    var words = document.createElement("span");
    words.textContent = text;
    bar.appendChild(words);
    undoTimer = setTimeout(undoHide, UNDO_SECONDS * 1000);
    return bar;
  }
  function propApply(form, body) {
    return propPost(form, body).then(function (answer) {
      var bar = undoSay(answer.text, "success");
      if (bar && answer.undo) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "ui-button undo-button";
        button.textContent = data.i18nUndo;
        button.setAttribute("aria-keyshortcuts", "z");
        button.addEventListener("click", propUndo);
        bar.appendChild(document.createTextNode(" "));
        bar.appendChild(button);
        undoLast = { action: form.action, csrf: csrfOf(form), values: answer.undo };
      }
      return propsRefresh();
    }).catch(function (error) {
      undoSay(error.message, "error");
      return propsRefresh();
    });
  }
  function propUndo() {
    if (!undoLast) return;
    var last = undoLast;
    undoHide();
    var form = document.createElement("form");
    form.action = last.action;
    var token = document.createElement("input");
    token.name = "csrfmiddlewaretoken";
    token.value = last.csrf;
    form.appendChild(token);
    propPost(form, bodyOf(last.values, form)).then(function (answer) {
      undoSay(data.i18nUndone + " " + answer.text, "");
      return propsRefresh();
    }).catch(function (error) { undoSay(error.message, "error"); });
  }
  // A select applies a moment after its last change (arrow keys step through the options).
  var pendingSelect = {};
  document.addEventListener("change", function (e) {
    var select = e.target;
    var form = select && select.closest && select.closest("form[data-prop]");
    if (!form || select.tagName !== "SELECT") return;
    clearTimeout(pendingSelect[form.dataset.prop]);
    pendingSelect[form.dataset.prop] = setTimeout(function () {
      if (select.value === select.dataset.value) return;
      propApply(form, new FormData(form));
    }, 400);
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-prop]")) return;
    e.preventDefault();
    var body = new FormData(form);
    var submitter = e.submitter;
    if (submitter && submitter.name) { body.append(submitter.name, submitter.value); }
    if (form.dataset.prop === "tags" && !body.get("add") && !body.getAll("remove").length) return;
    propApply(form, body);
  });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.id === "tag-add" && e.key === "Enter") {
      e.preventDefault();
      e.target.form.requestSubmit(e.target.form.querySelector(".prop-apply"));
    }
  });

  // --- Rule editor: a row's value suggests the names of what its field or action names -----
  var nameLists = document.getElementById("rule-name-lists");
  if (nameLists) {
    var lists = JSON.parse(nameLists.textContent);
    var suggest = function (row) {
      var chooser = row.querySelector("select");
      var value = row.querySelector("input[name$='-value']");
      if (!chooser || !value) return;
      var kind = lists[chooser.value];
      if (kind) { value.setAttribute("list", "names-" + kind); } else { value.removeAttribute("list"); }
    };
    document.querySelectorAll("[data-rule-row]").forEach(function (row) {
      suggest(row);
      row.querySelector("select").addEventListener("change", function () { suggest(row); });
    });
  }

  // --- Keyboard shortcuts ------------------------------------------------------------------
  var selected = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#rows tr[data-ticket]")); }
  function select(i) {
    var list = rows();
    if (!list.length) return;
    selected = Math.max(0, Math.min(list.length - 1, i));
    list.forEach(function (r, j) { r.classList.toggle("selected", j === selected); });
    list[selected].scrollIntoView({ block: "nearest" });
  }
  function focus(id) { var el = document.getElementById(id); if (el) { el.focus(); return true; } return false; }
  var help = document.getElementById("help");
  var helpButton = document.querySelector("[data-help]");
  if (helpButton && help) helpButton.addEventListener("click", function () { help.showModal(); });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var editing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (editing) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t.id === "reply-text") { e.preventDefault(); t.form.requestSubmit(); }
      if (e.key === "Escape") t.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var key = e.key;
    if (key === "?" && help) { e.preventDefault(); help.showModal(); return; }
    if (page === "list") {
      if (key === "j") { select(selected + 1); e.preventDefault(); }
      else if (key === "k") { select(selected - 1); e.preventDefault(); }
      else if ((key === "o" || key === "Enter") && selected >= 0) { var a = rows()[selected].querySelector("a.open"); if (a) location.href = a.href; }
      else if (key === "x" && selected >= 0) { var box = rows()[selected].querySelector("input[type=checkbox]"); if (box) box.checked = !box.checked; }
    } else if (page === "ticket") {
      var internal = document.getElementById("id_internal");
      if (key === "r") { if (internal) internal.checked = false; focus("reply-text"); e.preventDefault(); }
      else if (key === "n") { if (internal) internal.checked = true; focus("reply-text"); e.preventDefault(); }
      else if (key === "a") { focus("assign-select"); e.preventDefault(); }
      else if (key === "s") { focus("status-select"); e.preventDefault(); }
      else if (key === "u") { location.href = data.listUrl; }
      else if (key === "z" && undoLast) { propUndo(); e.preventDefault(); }
    }
  });
})();
