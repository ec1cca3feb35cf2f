// Polls a batch print's progress and reveals the download link when it is done.
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box || box.dataset.status === "done" || box.dataset.status === "failed") { return; }
  var bar = document.getElementById("batch-bar");
  function poll() {
    fetch(box.dataset.progressUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      var pct = job.total ? Math.round(100 * job.done / job.total) : 0;
      bar.style.width = pct + "%";
      bar.textContent = job.done + " / " + job.total;
      if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
