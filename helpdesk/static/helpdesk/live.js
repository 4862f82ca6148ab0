// Live updates for agent pages: listens on /ws/agent/ and refreshes when something changes.
(function () {
  "use strict";
  var script = document.currentScript;
  var reloadOn = (script.dataset.reloadOn || "").split(" ");
  var watchTicket = script.dataset.watchTicket ? parseInt(script.dataset.watchTicket, 10) : null;
  var live = document.getElementById("live");
  var delay = 1000;

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/agent/");
    socket.onopen = function () {
      delay = 1000;
      if (watchTicket) socket.send(JSON.stringify({ watch_ticket: watchTicket }));
    };
    socket.onmessage = function (e) {
      var event = JSON.parse(e.data);
      if (reloadOn.indexOf(event.type) === -1) return;
      if (watchTicket && event.ticket !== watchTicket) return;
      var editing = document.activeElement && document.activeElement.tagName === "TEXTAREA" &&
        document.activeElement.value;
      if (editing) {
        if (live) live.textContent = "New activity: reload to see it.";
        return;
      }
      location.reload();
    };
    socket.onclose = function () {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
