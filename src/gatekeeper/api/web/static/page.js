// gatekeeper: small enhancements; every page works without them.
// - <time class="countdown" datetime="ISO">: shows "in 3h 12m" or "overdue by 5m" next to
//   the absolute time the server wrote (kept in the element's title);
// - #build-search: filters the build diff's rows as one types (the form still submits
//   ?q= to the server without JavaScript).
(function () {
  "use strict";

  function span(ms) {
    var seconds = Math.floor(Math.abs(ms) / 1000);
    var parts = [
      [Math.floor(seconds / 86400), "d"],
      [Math.floor((seconds % 86400) / 3600), "h"],
      [Math.floor((seconds % 3600) / 60), "m"],
      [seconds % 60, "s"]
    ];
    var shown = [];
    for (var i = 0; i < parts.length && shown.length < 2; i++) {
      if (parts[i][0]) {
        shown.push(parts[i][0] + parts[i][1]);
      }
    }
    return shown.length ? shown.join(" ") : "0s";
  }

  function tick(root) {
    var now = Date.now();
    var times = root.querySelectorAll("time.countdown");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) {
        continue;
      }
      if (!el.dataset.absolute) {
        el.dataset.absolute = el.textContent;
        el.title = el.textContent;
      }
      var left = at - now;
      el.textContent = (left >= 0 ? "in " + span(left) : "passed " + span(left) + " ago") +
        " (" + el.dataset.absolute + ")";
    }
  }

  function filterBuilds(root) {
    var input = root.querySelector("#build-search");
    if (!input) {
      return;
    }
    var needle = input.value.trim().toLowerCase();
    var rows = root.querySelectorAll("tr.build");
    var count = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var text = (row.dataset.search || row.dataset.name || "").toLowerCase();
      var match = !needle || text.indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) {
        count++;
      }
    }
    var status = root.querySelector("#build-count");
    if (status) {
      status.textContent = count + " of " + rows.length + " builds shown";
    }
  }

  function enhance(root) {
    tick(root);
    var input = root.querySelector("#build-search");
    if (input && !input.dataset.enhanced) {
      input.dataset.enhanced = "1";
      input.addEventListener("input", function () {
        filterBuilds(document);
      });
      filterBuilds(root);
    }
  }

  window.gatekeeper = { enhance: enhance, span: span };
  enhance(document);
  window.setInterval(function () {
    tick(document);
  }, 1000);
})();
