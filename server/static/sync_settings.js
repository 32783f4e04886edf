// The sync settings page: every action goes through the store's JSON API.
(function () {
  "use strict";
  var root = document.getElementById("sync-settings");
  if (!root) { return; }
  var message = document.getElementById("message");
  var errors = document.getElementById("errors");

  function say(text, kind) {
    message.textContent = text;
    message.className = "alert alert-" + kind;
  }

  function call(method, path, body) {
    return fetch(root.dataset.base + path, {
      method: method,
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf},
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    });
  }

  function showFieldErrors(fields) {
    errors.textContent = "";
    Object.keys(fields || {}).forEach(function (path) {
      var item = document.createElement("li");
      item.textContent = path + ": " + fields[path];
      errors.appendChild(item);
    });
  }

  document.getElementById("save").addEventListener("click", function () {
    var documentValue;
    try {
      documentValue = JSON.parse(document.getElementById("document").value);
    } catch (problem) {
      say("The document is not valid JSON: " + problem.message, "danger");
      return;
    }
    call("PATCH", "/settings", documentValue).then(function (answer) {
      showFieldErrors(answer.data.errors);
      if (answer.status === 200) {
        var warnings = answer.data.warnings || {};
        delete answer.data.tax_mapping_status;
        delete answer.data.warnings;
        document.getElementById("document").value = JSON.stringify(answer.data, null, 2);
        showFieldErrors(warnings);
        say(Object.keys(warnings).length ? "Saved, with warnings (below)." : "Saved.",
            Object.keys(warnings).length ? "warning" : "success");
      } else {
        say(answer.data.error || "Some fields need attention.", "danger");
      }
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.sync"), function (button) {
    button.addEventListener("click", function () {
      call("POST", "/sync/" + button.dataset.scope).then(function (answer) {
        say(answer.status === 202 ? "Queued: " + button.dataset.scope : answer.data.error,
            answer.status === 202 ? "success" : "warning");
      });
    });
  });

  document.getElementById("start-backfill").addEventListener("click", function () {
    call("POST", "/backfill", {since: document.getElementById("since").value}).then(function (answer) {
      if (answer.status === 202) {
        say("Backfill started: " + (answer.data.total === null ? "counting orders" : answer.data.total + " orders"), "success");
      } else {
        say(answer.data.error || (answer.data.errors && answer.data.errors.since) || "Refused.", "danger");
      }
    });
  });

  document.getElementById("replay").addEventListener("click", function () {
    call("POST", "/replay", {}).then(function (answer) {
      say(answer.status === 200 ? answer.data.replayed + " order(s) will be sent again." : answer.data.error,
          answer.status === 200 ? "success" : "danger");
    });
  });
}());
