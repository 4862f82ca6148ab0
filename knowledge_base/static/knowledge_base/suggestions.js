// Ticket page: one click puts a suggested article's link, or an excerpt and the link, into
// the reply box at the cursor.
(function () {
  "use strict";
  if (window.kbSuggestionsReady) { return; }
  window.kbSuggestionsReady = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-insert]");
    if (!button) { return; }
    var item = button.closest(".kb-suggestion");
    var box = document.querySelector("#reply textarea[name=text]");
    if (!item || !box) { return; }
    var text = button.dataset.kbInsert === "excerpt"
      ? item.dataset.excerpt + "\n" + item.dataset.title + ": " + item.dataset.link
      : item.dataset.link;
    var start = box.selectionStart, end = box.selectionEnd, value = box.value;
    var before = value.slice(0, start), after = value.slice(end);
    if (before && !/\s$/.test(before)) { text = (button.dataset.kbInsert === "excerpt" ? "\n\n" : " ") + text; }
    box.value = before + text + after;
    var caret = before.length + text.length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
