// The dashboard's one script: marks the page as embedded (inside wp-admin the WordPress page
// has the heading and the submenu) and tells the plugin's iframe how tall the page is.
(function () {
  "use strict";
  var embedded = window.self !== window.top;
  if (embedded) { document.documentElement.classList.add("embedded"); }

  function reportHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    window.parent.postMessage({wooxero: "height", height: height}, "*");
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (embedded && "ResizeObserver" in window) {
      new ResizeObserver(reportHeight).observe(document.documentElement);
    }
    // A form that asks first ("Disconnect Xero?") says so in its data-confirm.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
    // Times counting down (a cooldown): "in 42 s", then the button they hold back.
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var ends = Date.now() + Number(element.dataset.countdown) * 1000;
      var release = element.dataset.releases ? document.getElementById(element.dataset.releases) : null;
      var tick = function () {
        var left = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
        element.textContent = left > 0 ? "available again in " + left + " s" : "";
        if (left > 0) { window.setTimeout(tick, 1000); } else if (release) { release.disabled = false; }
      };
      tick();
    });
  });
}());
