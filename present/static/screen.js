// The wall screen: scale the 1920×1080 canvas to the display, follow the change feed (server-sent
// events, reconnecting by itself), and spotlight the province overview's task forces in turn.
(function () {
  "use strict";
  var canvas = document.getElementById("canvas");
  if (!canvas) { return; }

  function fit() {
    var k = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    canvas.style.transform = "scale(" + k + ")";
  }
  window.addEventListener("resize", fit);
  fit();

  function dark() {
    // A revoked or expired link: nothing of the data stays on the wall.
    canvas.textContent = "";
    document.body.className = "gone";
  }

  var spot = 0;
  function spotlight() {
    var tiles = canvas.querySelectorAll(".tile");
    if (!tiles.length) { return; }
    spot = (spot + 1) % tiles.length;
    for (var i = 0; i < tiles.length; i++) {
      tiles[i].classList.toggle("focus", i === spot);
    }
  }
  window.setInterval(spotlight, 8000);

  function show(html) {
    canvas.innerHTML = html;
    var tiles = canvas.querySelectorAll(".tile");
    if (tiles.length) {
      spot = spot % tiles.length;
      for (var i = 0; i < tiles.length; i++) { tiles[i].classList.toggle("focus", i === spot); }
    }
    canvas.setAttribute("data-version", String(Date.now()));
  }

  var source = null;
  function connect() {
    source = new EventSource(canvas.getAttribute("data-events"));
    source.addEventListener("screen", function (e) { show(e.data); });
    source.addEventListener("gone", function () { source.close(); dark(); });
    source.onerror = function () {
      // EventSource retries by itself after a drop; if the server refused the stream (closed), ask
      // whether the link still holds, then connect again.
      if (source.readyState !== EventSource.CLOSED) { return; }
      window.setTimeout(function () {
        fetch(canvas.getAttribute("data-fragment"), { cache: "no-store", credentials: "omit" })
          .then(function (r) {
            if (r.status === 404) { dark(); return null; }
            return r.ok ? r.text() : null;
          })
          .then(function (html) { if (html !== null && html !== undefined) { show(html); connect(); } })
          .catch(function () { connect(); });
      }, 3000);
    };
  }
  connect();
}());
