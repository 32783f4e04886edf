// The dashboard's one script: marks the page as embedded (inside wp-admin the WordPress page
// has the heading and the submenu) and tells the plugin's iframe how tall the page is; asks
// before some forms; counts cooldowns down; adds rows to the settings' tables (without it,
// each table offers two empty rows per save). The operator's sync settings page loads it too.
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
    // Tables of rows (`data-rows`, named "<table>.<n>.<field>"): "Add a row" copies the last
    // row, emptied, under the next free number.
    document.querySelectorAll("table[data-rows]").forEach(function (table) {
      var body = table.tBodies[0];
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button btn btn-outline-secondary btn-sm";
      button.textContent = "Add a row";
      button.addEventListener("click", function () {
        var rows = body.querySelectorAll("tr[data-row]");
        var next = 0;
        body.querySelectorAll("[name]").forEach(function (field) {
          var number = /\.(\d+)\./.exec(field.name);
          if (number) { next = Math.max(next, Number(number[1]) + 1); }
        });
        var row = rows[rows.length - 1].cloneNode(true);
        row.querySelectorAll(".field-error, .field-warning").forEach(function (note) { note.remove(); });
        row.querySelectorAll("[name]").forEach(function (field) {
          field.name = field.name.replace(/\.\d+\./, "." + next + ".");
          field.id = field.id.replace(/-\d+-/, "-" + next + "-");
          field.removeAttribute("aria-invalid");
          field.removeAttribute("aria-describedby");
          if (field.tagName === "SELECT") { field.selectedIndex = 0; } else { field.value = ""; }
        });
        body.appendChild(row);
        row.querySelector("[name]").focus();
      });
      var after = table.parentNode.classList.contains("table-scroll") ? table.parentNode : table;
      after.parentNode.insertBefore(button, after.nextSibling);
    });
  });
}());
