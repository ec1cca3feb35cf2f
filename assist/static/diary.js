// Needs diary: "add another need" on the visit form. Without JavaScript the form shows two rows.
(function () {
  "use strict";
  var button = document.getElementById("add-need");
  var fieldset = document.getElementById("needs");
  if (!button || !fieldset) { return; }
  button.classList.remove("d-none");
  button.addEventListener("click", function () {
    var rows = fieldset.querySelectorAll(".need-row");
    var max = parseInt(button.getAttribute("data-max"), 10) || 20;
    if (rows.length >= max) { return; }
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    var index = rows.length;
    copy.querySelectorAll("select, textarea, input").forEach(function (el) {
      // WTForms names rows needs-0-kind, needs-1-kind, ...
      ["name", "id"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/needs-\d+-/, "needs-" + index + "-")); }
      });
      if (el.tagName === "TEXTAREA" || el.tagName === "INPUT") { el.value = ""; }
      el.classList.remove("is-invalid");
    });
    last.parentNode.insertBefore(copy, button);
    copy.querySelector("textarea").focus();
  });
})();
