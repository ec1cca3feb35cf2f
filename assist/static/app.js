// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  // Keep the first invalid field in view after a failed submission.
  var invalid = document.querySelector(".is-invalid");
  if (invalid) { invalid.scrollIntoView({block: "center"}); invalid.focus({preventScroll: true}); }
})();
