// Follow a scaffold run: poll the run API for new log lines and step states until the run finishes.
(function () {
  "use strict";
  var live = document.getElementById("run-live");
  if (!live || live.dataset.live !== "true") { return; }
  var statusUrl = live.dataset.statusUrl;
  var after = Number(live.dataset.after || 0);
  var labels = { pending: "Pending", running: "Running", succeeded: "Succeeded", failed: "Failed" };
  var failures = 0;

  function setBadge(el, state) {
    el.className = "badge run-" + state;
    el.textContent = labels[state] || state;
  }

  function time(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toISOString().slice(11, 19);
  }

  function appendLines(lines) {
    var log = document.getElementById("run-log");
    var empty = document.getElementById("log-empty");
    lines.forEach(function (line) {
      var li = document.createElement("li");
      li.className = "level-" + line.level;
      li.dataset.id = line.id;
      var t = document.createElement("time");
      t.textContent = time(line.created_at);
      li.appendChild(t);
      li.appendChild(document.createTextNode(" "));
      if (line.step) {
        var step = document.createElement("span");
        step.className = "muted";
        step.textContent = "[" + line.step + "]";
        li.appendChild(step);
        li.appendChild(document.createTextNode(" "));
      }
      li.appendChild(document.createTextNode(line.message));
      log.appendChild(li);
      after = Math.max(after, line.id);
    });
    if (lines.length) {
      if (empty) { empty.hidden = true; }
      log.scrollTop = log.scrollHeight;
    }
  }

  function updateSteps(steps) {
    steps.forEach(function (step) {
      var li = document.querySelector('#run-steps li[data-step="' + step.name + '"]');
      if (!li) { return; }
      li.className = "step-" + step.state;
      setBadge(li.querySelector(".badge"), step.state);
    });
  }

  function link(id, label, url) {
    var item = document.getElementById(id);
    if (!item || !url || !/^https?:\/\//.test(url)) { return; }
    item.textContent = label + ": ";
    var a = document.createElement("a");
    a.href = url;
    a.textContent = url;
    item.appendChild(a);
  }

  function finish(run) {
    var error = document.getElementById("run-error");
    if (run.error) { error.textContent = run.error; error.hidden = false; }
    if (run.state === "succeeded") {
      link("result-repo", "Repository", run.repo_url);
      link("result-pr", "GitOps pull request", run.pull_request_url);
      document.getElementById("run-result").hidden = false;
    }
  }

  function poll() {
    fetch(statusUrl + "?after=" + after, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("the portal answered " + response.status); }
        return response.json();
      })
      .then(function (run) {
        failures = 0;
        document.getElementById("poll-error").hidden = true;
        document.getElementById("run-pending").hidden = run.state !== "pending";
        setBadge(document.getElementById("run-state"), run.state);
        updateSteps(run.steps || []);
        appendLines(run.log || []);
        if (run.state === "succeeded" || run.state === "failed") { finish(run); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function (err) {
        failures += 1;
        var box = document.getElementById("poll-error");
        box.textContent = "Lost contact with the portal (" + err.message + "); retrying.";
        box.hidden = false;
        window.setTimeout(poll, Math.min(15000, 1000 * Math.pow(2, failures)));
      });
  }

  window.setTimeout(poll, 500);
})();
