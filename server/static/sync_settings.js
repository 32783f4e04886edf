// The sync settings page's buttons: syncs, backfills and replays through the store's JSON API
// (the settings themselves are a form posted to the page).
(function () {
  "use strict";
  var root = document.getElementById("sync-settings");
  if (!root) { return; }
  var message = document.getElementById("message");

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
