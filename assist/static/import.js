// The import page: while a background import runs, poll its progress and move the bar; when it
// has finished, reload the page, which then shows the result and the report.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-import-status-url");
  var interval = parseInt(box.getAttribute("data-poll-ms"), 10) || 1000;
  var progress = box.querySelector(".progress");
  var bar = box.querySelector(".progress-bar");
  var text = box.querySelector("[data-progress-text]");
  var status = box.querySelector("[data-status]");
  var failures = 0;

  function show(s) {
    var reading = s.status === "queued" || s.status === "reading";
    var percent = reading ? 100 : s.percent;
    bar.style.width = percent + "%";
    bar.textContent = s.percent + "%";
    progress.setAttribute("aria-valuenow", String(s.percent));
    status.setAttribute("data-status", s.status);
    text.textContent = reading ? box.getAttribute("data-text-reading")
      : box.getAttribute("data-text-progress").replace("{done}", s.done).replace("{total}", s.total);
  }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { return retry(); }
      var s;
      try { s = JSON.parse(xhr.responseText); } catch (e) { return retry(); }
      failures = 0;
      show(s);
      if (s.finished) { window.location.reload(); } else { window.setTimeout(poll, interval); }
    };
    xhr.onerror = retry;
    xhr.send();
  }

  function retry() {
    failures += 1;
    // The server may be busy or restarting: slow down rather than give up.
    window.setTimeout(poll, interval * Math.min(10, 1 + failures));
  }

  window.setTimeout(poll, interval);
})();
