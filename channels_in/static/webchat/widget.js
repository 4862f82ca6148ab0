/* The site chat widget. Served inside "(function (config) { ... })(config)" by embed.js.
   Everything the visitor or an agent writes is rendered as text (textContent), never HTML. */
"use strict";
if (window.__helpdeskWidget) { return; }
window.__helpdeskWidget = true;

var script = document.currentScript;
var lang = ((navigator.languages && navigator.languages[0]) || navigator.language || "en")
  .slice(0, 2).toLowerCase();
var t = config.strings[lang] || config.strings.en;
var cookieName = "hd_visitor_" + config.key;
var draftKey = "hd_draft_" + config.key;
var pendingKey = "hd_pending_" + config.key;

// What the visitor wrote survives a refused connection, a lost network and a reload: the
// draft and the unacknowledged messages are kept in this site's local storage.
function store(key, value) {
  try {
    if (value) { localStorage.setItem(key, value); } else { localStorage.removeItem(key); }
  } catch (e) { /* storage disabled: the page keeps them while it is open */ }
}
function stored(key) {
  try { return localStorage.getItem(key); } catch (e) { return null; }
}

function readCookie(name) {
  var parts = document.cookie ? document.cookie.split("; ") : [];
  for (var i = 0; i < parts.length; i++) {
    var eq = parts[i].indexOf("=");
    if (parts[i].slice(0, eq) === name) { return decodeURIComponent(parts[i].slice(eq + 1)); }
  }
  return null;
}
function writeCookie(name, value) {
  var secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = name + "=" + encodeURIComponent(value) +
    "; Max-Age=31536000; Path=/; SameSite=Lax" + secure;
}
function uid() {
  if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
  return String(Date.now()) + Math.random().toString(16).slice(2);
}
function el(tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text) { node.textContent = text; }
  return node;
}

var customer = null;
if (script && script.dataset.customerId) {
  customer = {
    id: script.dataset.customerId,
    email: script.dataset.customerEmail || "",
    name: script.dataset.customerName || "",
    signature: script.dataset.customerSignature || ""
  };
}

// --- DOM, inside a shadow root so the shop's styles do not leak in or out ---
var host = el("div", { id: "helpdesk-widget" });
// The inbox's appearance, set by the shop's managers: the accent colour and the text on it.
var appearance = config.appearance || {};
if (appearance.color) {
  host.style.setProperty("--hd-accent", appearance.color);
  host.style.setProperty("--hd-on-accent", appearance.onColor || "#fff");
}
var root = host.attachShadow({ mode: "open" });
var style = el("style");
style.textContent = config.css;
root.appendChild(style);

var bubble = el("button", {
  type: "button", "class": "bubble", "aria-label": t.open, "aria-expanded": "false",
  "aria-controls": "hd-panel"
});
bubble.appendChild(el("span", { "aria-hidden": "true", "class": "bubble-icon" }, "\uD83D\uDCAC"));
var badge = el("span", { "class": "badge", hidden: "" });
bubble.appendChild(badge);

var panel = el("section", {
  id: "hd-panel", "class": "panel", role: "dialog", "aria-modal": "false",
  "aria-labelledby": "hd-title", hidden: ""
});
var header = el("header", {});
header.appendChild(el("h2", { id: "hd-title" }, t.title));
var closeBtn = el("button", { type: "button", "class": "close", "aria-label": t.close }, "\u00D7");
header.appendChild(closeBtn);
var status = el("p", { "class": "status", role: "status", "aria-live": "polite" });
var log = el("ol", { "class": "log", role: "log", "aria-live": "polite", "aria-label": t.log,
  tabindex: "0" });
if (appearance.greeting) {
  // Shown first in the conversation; not a message of the ticket.
  var greeting = el("li", { "class": "msg theirs greeting", "data-id": "0" });
  greeting.appendChild(el("span", { "class": "who" }, t.title));
  greeting.appendChild(el("p", { "class": "text" }, appearance.greeting));
  log.appendChild(greeting);
}
var typing = el("p", { "class": "typing", hidden: "" }, t.typing);

var offline = el("form", { "class": "offline", hidden: "", novalidate: "" });
offline.appendChild(el("p", { id: "hd-offline-text" }, t.offline));
var emailLabel = el("label", { "for": "hd-email" }, t.email_label);
var emailInput = el("input", { id: "hd-email", type: "email", name: "email", required: "",
  autocomplete: "email", "aria-describedby": "hd-offline-text" });
var emailBtn = el("button", { type: "submit" }, t.email_send);
offline.appendChild(emailLabel);
offline.appendChild(emailInput);
offline.appendChild(emailBtn);

// A known customer's address: a one-time code went there, typed here to prove it.
var codeForm = el("form", { "class": "offline code", hidden: "", novalidate: "" });
codeForm.appendChild(el("p", { id: "hd-code-text" }, t.code_sent));
var codeLabel = el("label", { "for": "hd-code" }, t.code_label);
var codeInput = el("input", { id: "hd-code", name: "code", inputmode: "numeric",
  autocomplete: "one-time-code", maxlength: "6", required: "", "aria-describedby": "hd-code-text" });
var codeBtn = el("button", { type: "submit" }, t.code_send);
codeForm.appendChild(codeLabel);
codeForm.appendChild(codeInput);
codeForm.appendChild(codeBtn);

var form = el("form", { "class": "compose" });
var textLabel = el("label", { "for": "hd-text", "class": "visually-hidden" }, t.placeholder);
var text = el("textarea", { id: "hd-text", name: "text", rows: "2", placeholder: t.placeholder,
  maxlength: String(config.maxTextChars) });
var fileLabel = el("label", { "class": "file", title: t.image });
fileLabel.appendChild(el("span", { "class": "visually-hidden" }, t.image));
fileLabel.appendChild(el("span", { "aria-hidden": "true" }, "\uD83D\uDCF7"));
var file = el("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp",
  "class": "visually-hidden" });
fileLabel.appendChild(file);
var sendBtn = el("button", { type: "submit", "class": "send" }, t.send);
form.appendChild(textLabel);
form.appendChild(text);
form.appendChild(fileLabel);
form.appendChild(sendBtn);

panel.appendChild(header);
// Help-centre answers before writing: results open the article in a new tab.
var help = el("form", { "class": "help", role: "search" });
var helpInput = el("input", { type: "search", "aria-label": t.help_search,
  placeholder: t.help_search, maxlength: "200" });
var helpList = el("ul", { "class": "help-results" });
help.appendChild(helpInput);
help.appendChild(helpList);
var helpTimer = null;
function helpFind(event) {
  if (event) { event.preventDefault(); }
  clearTimeout(helpTimer);
  var q = helpInput.value.trim();
  if (q.length < 2) { helpList.textContent = ""; return; }
  helpTimer = setTimeout(function () {
    fetch(config.helpSearch + "?limit=3&lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(q))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        helpList.textContent = "";
        data.results.forEach(function (hit) {
          var a = el("a", { href: hit.url, target: "_blank", rel: "noopener" }, hit.title);
          var li = el("li", {});
          li.appendChild(a);
          helpList.appendChild(li);
        });
      })
      .catch(function () { helpList.textContent = ""; });
  }, event && event.type === "submit" ? 0 : 200);
}
helpInput.addEventListener("input", helpFind);
help.addEventListener("submit", helpFind);
panel.appendChild(help);
panel.appendChild(status);
panel.appendChild(log);
panel.appendChild(typing);
panel.appendChild(offline);
panel.appendChild(codeForm);
panel.appendChild(form);
root.appendChild(panel);
root.appendChild(bubble);

// --- state ---
var socket = null;
var started = false;
var lastId = 0;
var seen = {};
var pending = [];   // frames not yet acknowledged, resent after a reconnect
var refused = false;
try { pending = JSON.parse(stored(pendingKey) || "[]"); } catch (e) { pending = []; }
if (!Array.isArray(pending)) { pending = []; }
function savePending() {
  // Images are too large for local storage: only text frames outlive the page.
  var texts = pending.filter(function (f) { return !f.image; });
  store(pendingKey, texts.length ? JSON.stringify(texts) : "");
}
var retry = 0;
var unread = 0;
var typingTimer = null;
var lastTypingSent = 0;

function setOpen(open) {
  panel.hidden = !open;
  bubble.setAttribute("aria-expanded", open ? "true" : "false");
  if (open) {
    unread = 0;
    badge.hidden = true;
    connect();
    text.focus();
  } else {
    bubble.focus();
  }
}
bubble.addEventListener("click", function () { setOpen(panel.hidden); });
closeBtn.addEventListener("click", function () { setOpen(false); });
panel.addEventListener("keydown", function (event) {
  if (event.key === "Escape") { setOpen(false); }
});

// The text as text, with its web addresses (a tracking link, say) as links that open apart.
function textWithLinks(value) {
  var p = el("p", { "class": "text" });
  var pattern = /https?:\/\/[^\s<>"]+/g;
  var last = 0;
  var match;
  while ((match = pattern.exec(value)) !== null) {
    var url = match[0].replace(/[.,;:!?)\]]+$/, "");
    if (match.index > last) { p.appendChild(document.createTextNode(value.slice(last, match.index))); }
    p.appendChild(el("a", { href: url, target: "_blank", rel: "noopener nofollow" }, url));
    last = match.index + url.length;
    pattern.lastIndex = last;
  }
  if (last < value.length) { p.appendChild(document.createTextNode(value.slice(last))); }
  return p;
}

function render(message) {
  if (seen[message.id]) { return; }
  seen[message.id] = true;
  lastId = Math.max(lastId, message.id);
  var item = el("li", { "class": "msg " + (message.from === "visitor" ? "mine" : "theirs"),
    "data-id": String(message.id) });
  var who = message.from === "visitor" ? t.you : (message.author || t.agent);
  item.appendChild(el("span", { "class": "who" }, who));
  if (message.text) { item.appendChild(textWithLinks(message.text)); }
  if (message.survey) {
    var stars = el("div", { "class": "stars", role: "group", "aria-label": message.text || "" });
    [1, 2, 3, 4, 5].forEach(function (n) {
      var star = el("button", { type: "button", "class": "star", "aria-label": String(n) + " / 5" }, "\u2605");
      star.addEventListener("click", function () {
        Array.prototype.forEach.call(stars.children, function (s, i) {
          s.setAttribute("aria-pressed", String(i < n));
        });
        queue({ type: "message", client_id: uid(), text: String(n), language: lang,
          page: location.href.slice(0, 500) });
      });
      stars.appendChild(star);
    });
    item.appendChild(stars);
  }
  (message.attachments || []).forEach(function (a) {
    if (a.type.indexOf("image/") === 0) {
      var img = el("img", { src: a.url, alt: a.name, loading: "lazy" });
      item.appendChild(img);
    } else {
      item.appendChild(el("a", { href: a.url, target: "_blank", rel: "noopener" }, a.name));
    }
  });
  if (message.from !== "visitor" && message.choices && message.choices.length) {
    var choices = el("div", { "class": "choices" });
    message.choices.forEach(function (c) {
      var button = el("button", { type: "button", "class": "choice" }, c.label);
      button.addEventListener("click", function () {
        if (refused) { return; }
        queue({ type: "message", client_id: uid(), text: c.label, quick_reply: c.value,
          language: lang, page: location.href.slice(0, 500) });
        choices.remove();
      });
      choices.appendChild(button);
    });
    item.appendChild(choices);
  }
  // Keep the conversation in id order whatever order frames arrive in.
  var next = null;
  for (var i = 0; i < log.children.length; i++) {
    if (Number(log.children[i].getAttribute("data-id")) > message.id) { next = log.children[i]; break; }
  }
  log.insertBefore(item, next);
  log.scrollTop = log.scrollHeight;
  if (message.from !== "visitor") {
    typing.hidden = true;
    if (panel.hidden) {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
    }
  }
}

function showStatus(message, kind) {
  status.textContent = message || "";
  status.className = "status" + (kind ? " status-" + kind : "");
}

// The page's address is not allowed to open this chat: say so, stop retrying, and give the
// visitor back every word they wrote, in the box, to send another way or later.
function refuse() {
  refused = true;
  var texts = pending.filter(function (f) { return f.text; }).map(function (f) { return f.text; });
  pending = [];
  savePending();
  if (texts.length) {
    text.value = texts.concat(text.value ? [text.value] : []).join("\n\n");
    store(draftKey, text.value);
  }
  showStatus(t.origin_refused, "error");
  sendBtn.disabled = true;
}

function transmit(frame) {
  if (socket && socket.readyState === 1 && started) {
    socket.send(JSON.stringify(frame));
  }
}

function connect() {
  if (socket && socket.readyState <= 1) { return; }
  socket = new WebSocket(config.socket);
  socket.onopen = function () {
    retry = 0;
    var hello = { type: "hello", visitor: readCookie(cookieName), after: lastId, language: lang };
    if (customer) { hello.customer = customer; }
    socket.send(JSON.stringify(hello));
  };
  socket.onmessage = function (event) {
    var data = JSON.parse(event.data);
    if (data.type === "welcome") {
      started = true;
      showStatus("");
      writeCookie(cookieName, data.visitor);
      data.messages.forEach(render);
      offline.hidden = data.available;
      pending.forEach(function (frame) { socket.send(JSON.stringify(frame)); });
    } else if (data.type === "message") {
      render(data.message);
    } else if (data.type === "ack") {
      pending = pending.filter(function (f) { return f.client_id !== data.client_id; });
      savePending();
    } else if (data.type === "typing") {
      typing.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 6000);
    } else if (data.type === "email_saved") {
      offline.hidden = true;
      showStatus(t.email_saved);
    } else if (data.type === "code_sent") {
      offline.hidden = true;
      codeForm.hidden = false;
      showStatus("");
      codeInput.focus();
    } else if (data.type === "code_accepted") {
      codeForm.hidden = true;
      showStatus(t.code_accepted);
    } else if (data.type === "error" && data.error === "bad_code") {
      codeInput.value = "";
      showStatus(data.reason || t.bad_code, "error");
    } else if (data.type === "error") {
      if (data.error === "origin_refused") { refuse(); return; }
      if (data.error === "customer_signature_invalid") {
        // Not a failure to send: the conversation goes on, as a guest's.
        showStatus(t.customer_signature_invalid, "info");
        return;
      }
      var failed = null;
      if (data.client_id) {
        failed = pending.filter(function (f) { return f.client_id === data.client_id; })[0];
        pending = pending.filter(function (f) { return f.client_id !== data.client_id; });
        savePending();
      }
      if (failed && failed.text && !text.value) {
        // A message that was refused goes back into the box rather than vanishing.
        text.value = failed.text;
        store(draftKey, text.value);
      }
      showStatus(t[data.error] || (data.client_id ? t.error : t.problem), "error");
    }
  };
  socket.onclose = function (event) {
    started = false;
    if (event.code === 4403) { if (!refused) { refuse(); } return; }
    if (event.code === 4404) { showStatus(t.problem, "error"); return; }
    showStatus(t.reconnecting);
    retry = Math.min(retry + 1, 6);
    setTimeout(connect, Math.min(500 * Math.pow(2, retry - 1), 10000));
  };
}

function queue(frame) {
  pending.push(frame);
  savePending();
  transmit(frame);
  if (!socket || socket.readyState > 1) { connect(); }
}

form.addEventListener("submit", function (event) {
  event.preventDefault();
  var value = text.value.trim();
  if (!value || refused) { return; }
  queue({ type: "message", client_id: uid(), text: value, language: lang,
    page: location.href.slice(0, 500) });
  text.value = "";
  store(draftKey, "");
  text.focus();
});
text.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
text.addEventListener("input", function () {
  store(draftKey, text.value);
  var now = Date.now();
  if (now - lastTypingSent > 3000) {
    lastTypingSent = now;
    transmit({ type: "typing" });
  }
});
file.addEventListener("change", function () {
  var chosen = file.files && file.files[0];
  file.value = "";
  if (!chosen) { return; }
  if (chosen.size > config.maxImageBytes) { showStatus(t.too_large); return; }
  var reader = new FileReader();
  reader.onload = function () {
    var data = String(reader.result);
    queue({ type: "message", client_id: uid(), text: "", language: lang,
      image: { name: chosen.name, type: chosen.type, data: data.slice(data.indexOf(",") + 1) } });
  };
  reader.readAsDataURL(chosen);
});
offline.addEventListener("submit", function (event) {
  event.preventDefault();
  if (!emailInput.checkValidity()) { showStatus(t.bad_email); return; }
  transmit({ type: "email", email: emailInput.value.trim(), language: lang });
});

codeForm.addEventListener("submit", function (event) {
  event.preventDefault();
  if (!codeInput.value.trim()) { return; }
  transmit({ type: "code", code: codeInput.value.trim() });
});

function mount() {
  document.body.appendChild(host);
  text.value = stored(draftKey) || "";
  // A returning visitor (or one with messages still to send) reconnects at once so replies
  // written meanwhile show up and nothing waits.
  if (readCookie(cookieName) || pending.length) { connect(); }
}
if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
