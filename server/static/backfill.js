// The backfill's progress on the Sync & backfill page, read again every few seconds while
// it runs, until it ends (without this script, reloading the page shows the same figures).
(function () {
  "use strict";
  var EVERY_MS = 3000;
  var STATUS = {running: ["running", "warning"], done: ["finished", "ok"], failed: ["stopped", "error"]};

  function timeLeft(seconds) {
    if (seconds === null) { return "not known yet"; }
    if (seconds < 60) { return "under a minute"; }
    var minutes = Math.round(seconds / 60);
    if (minutes < 90) { return "about " + minutes + " minute" + (minutes === 1 ? "" : "s"); }
    return "about " + Math.round(minutes / 60) + " hours";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("[data-backfill-url]");
    if (!section || section.dataset.status !== "running") { return; }
    var bar = section.querySelector("progress");
    var set = function (name, value) {
      section.querySelectorAll('[data-field="' + name + '"]').forEach(function (element) {
        element.textContent = value;
      });
    };

    function show(progress) {
      var expected = progress.total !== null ? progress.total : progress.read;
      var percent = expected ? Math.floor(progress.done * 100 / expected) : (progress.status === "done" ? 100 : 0);
      bar.max = Math.max(expected, 1);
      bar.value = progress.done;
      bar.textContent = percent + " %";
      set("percent", percent);
      set("done", progress.done);
      set("total", expected);
      set("read", progress.read);
      set("held", progress.held);
      set("failed", progress.failed);
      var ended = progress.status === "failed" ? "stopped just now" : "finished just now";
      set("left", progress.status === "running" ? timeLeft(progress.seconds_left) : ended);
      var badge = section.querySelector('[data-field="status"] .status');
      var words = STATUS[progress.status] || [progress.status, ""];
      badge.textContent = words[0];
      badge.className = "status status-" + words[1];
    }

    function poll() {
      fetch(section.dataset.backfillUrl, {headers: {"X-Wooxero-Dashboard": section.dataset.session}, cache: "no-store"})
        .then(function (response) {
          if (response.status === 401 || response.status === 403) { return null; }  // session ended
          if (!response.ok) { throw new Error(String(response.status)); }  // busy: try again later
          return response.json();
        })
        .then(function (progress) {
          if (progress === null) { return; }
          show(progress);
          if (progress.status === "running") { window.setTimeout(poll, EVERY_MS); }
        })
        .catch(function () { window.setTimeout(poll, EVERY_MS * 5); });  // offline a moment
    }
    window.setTimeout(poll, EVERY_MS);
  });
}());
