// gatekeeper: the compose page follows its decision, waivers and rerun requests.
// Every data-poll-ms milliseconds (default 2000) it asks /composes/<id>/version; when the
// revision it answers differs from <main data-revision> (a new decision version, a newer
// result named, a waiver or a rerun request), it fetches the page again and replaces the
// contents of <main>, keeping the focused element, the scroll position and the build
// search. Without JavaScript the page is complete as served; reloading shows what changed.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !main.dataset.compose || !window.fetch || !window.DOMParser) {
    return;
  }
  var compose = main.dataset.compose;
  var period = parseInt(main.dataset.pollMs || "2000", 10);
  if (!(period > 0)) {
    period = 2000;
  }
  var versionUrl = "/composes/" + encodeURIComponent(compose) + "/version";
  var busy = false;

  function shown(version) {
    return version === null || version === undefined ? "" : String(version);
  }

  function announce(text) {
    var status = document.getElementById("live-status");
    if (status) {
      status.textContent = text;
    }
  }

  function replace(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("main");
    if (!fresh) {
      return;
    }
    var active = document.activeElement;
    var focusId = active && main.contains(active) && active.id ? active.id : null;
    var search = document.getElementById("build-search");
    var query = search ? search.value : null;
    var start = search ? search.selectionStart : null;
    var x = window.scrollX;
    var y = window.scrollY;
    main.innerHTML = fresh.innerHTML;
    main.dataset.version = fresh.dataset.version || "";
    main.dataset.revision = fresh.dataset.revision || "";
    if (fresh.dataset.pollMs) {
      main.dataset.pollMs = fresh.dataset.pollMs;
    }
    if (document.title !== doc.title && doc.title) {
      document.title = doc.title;
    }
    var again = document.getElementById("build-search");
    if (again && query !== null) {
      again.value = query;
    }
    if (window.gatekeeper && window.gatekeeper.enhance) {
      window.gatekeeper.enhance(main);
    }
    if (focusId) {
      var target = document.getElementById(focusId);
      if (target) {
        target.focus({ preventScroll: true });
        if (target === again && start !== null && again.setSelectionRange) {
          again.setSelectionRange(start, start);
        }
      }
    }
    window.scrollTo(x, y);
    announce("The page changed; it shows decision version " + (main.dataset.version || "none") + ".");
    main.dispatchEvent(new CustomEvent("gatekeeper:updated", { bubbles: true }));
  }

  function poll() {
    if (busy) {
      return;
    }
    busy = true;
    fetch(versionUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("version: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        var now = body.revision === undefined ? shown(body.version) : String(body.revision);
        var then = body.revision === undefined ? main.dataset.version : main.dataset.revision;
        if (now === (then || "")) {
          return null;
        }
        return fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
          .then(function (response) {
            if (!response.ok) {
              throw new Error("page: HTTP " + response.status);
            }
            return response.text();
          })
          .then(replace);
      })
      .catch(function () {
        // the server may be restarting: the next poll tries again
      })
      .then(function () {
        busy = false;
        window.setTimeout(poll, period);
      });
  }

  window.setTimeout(poll, period);
})();
