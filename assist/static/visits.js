// Visit pages on a phone: the check-in location, the signature pad, photo previews (and shrinking
// phone-sized photos before they are sent), and a guard against double taps. Everything here is an
// enhancement: the forms also work without it (no location, no signature), and the server refuses a
// second recording of the same form anyway (its one-time token).
(function () {
  "use strict";

  function busy(form, on) {
    var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    Array.prototype.forEach.call(buttons, function (b) {
      if (on) {
        if (!b.hasAttribute("data-label")) { b.setAttribute("data-label", b.textContent || b.value); }
        b.disabled = true;
        if (b.getAttribute("data-busy-text")) { b.textContent = b.getAttribute("data-busy-text"); }
      } else {
        b.disabled = false;
        if (b.hasAttribute("data-label") && b.tagName === "BUTTON") { b.textContent = b.getAttribute("data-label"); }
      }
    });
  }

  function submitAgain(form) {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  // --- double taps: once a form is on its way, its buttons are disabled ---------------------------
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (form.getAttribute("data-sent") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      // Disabled after this tick, so the browser still sends the form as it was.
      window.setTimeout(function () { busy(form, true); }, 0);
    });
  });
  // Coming back with the browser's back button shows the page from its cache: usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.removeAttribute("data-sent");
      busy(form, false);
    });
  });

  // --- the list: choose every completed visit on the page for verification --------------------------
  document.querySelectorAll("[data-check-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      all.form.querySelectorAll("input[name=visit_ids]").forEach(function (box) { box.checked = all.checked; });
    });
  });

  // --- check-in: add the location when the worker allows it, never wait long for it --------------
  document.querySelectorAll("form[data-geo]").forEach(function (form) {
    var lat = form.querySelector("input[name$='-lat']");
    var lng = form.querySelector("input[name$='-lng']");
    var status = form.querySelector("[data-geo-status]");
    var asked = false;
    if (!lat || !lng || !navigator.geolocation) { return; }

    function keep(pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
    }
    // Already allowed: fetch the position now, so that the tap itself does not wait.
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({name: "geolocation"}).then(function (p) {
        if (p.state === "granted") {
          navigator.geolocation.getCurrentPosition(keep, function () {}, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
        }
      }, function () {});
    }
    // A capturing listener on the form runs before the double-tap guard, which then sees the
    // stopped event not at all and guards the second, real submission instead.
    form.addEventListener("submit", function (event) {
      if (asked || lat.value) { return; }
      event.preventDefault();
      event.stopImmediatePropagation();
      asked = true;
      busy(form, true);
      var done = false;
      function go() {
        if (done) { return; }
        done = true;
        busy(form, false);
        submitAgain(form);
      }
      if (status) { status.textContent = status.getAttribute("data-text") || ""; }
      navigator.geolocation.getCurrentPosition(function (pos) { keep(pos); go(); }, go,
        {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
      // The timeout above does not count the time a permission question stays unanswered.
      window.setTimeout(go, 10000);
    }, true);
  });

  // --- the signature pad ---------------------------------------------------------------------------
  document.querySelectorAll("[data-signature-pad]").forEach(function (root) {
    var canvas = root.querySelector("canvas");
    var input = root.querySelector("[data-signature-input]");
    var clear = root.querySelector("[data-clear]");
    var ctx = canvas.getContext("2d");
    var drawing = false, last = null, inked = !!input.value, pointer = null;

    function size() { return canvas.getBoundingClientRect(); }
    function blank() {
      var r = size();
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, r.width, r.height);
    }
    function restore(url) {
      var img = new Image();
      img.onload = function () { var r = size(); ctx.drawImage(img, 0, 0, r.width, r.height); };
      img.src = url;
    }
    function setup() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1), r = size();
      if (!r.width) { return; }
      canvas.width = Math.round(r.width * ratio);
      canvas.height = Math.round(r.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      blank();
      // After a failed submission (or a turned phone) the drawing comes back from the hidden field.
      if (input.value) { restore(input.value); }
    }
    function at(event) {
      var r = size();
      return {x: event.clientX - r.left, y: event.clientY - r.top};
    }
    function save() {
      inked = true;
      input.value = canvas.toDataURL("image/png");
      root.classList.add("has-ink");
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (pointer !== null) { return; }
      event.preventDefault();
      pointer = event.pointerId;
      if (canvas.setPointerCapture) { try { canvas.setPointerCapture(event.pointerId); } catch (e) { /* ignore */ } }
      drawing = true;
      last = at(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fillStyle = "#111";
      ctx.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing || event.pointerId !== pointer) { return; }
      event.preventDefault();
      var points = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      if (!points.length) { points = [event]; }
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      points.forEach(function (e) { var p = at(e); ctx.lineTo(p.x, p.y); last = p; });
      ctx.stroke();
    });
    function end(event) {
      if (!drawing || event.pointerId !== pointer) { return; }
      drawing = false;
      pointer = null;
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);
    clear.addEventListener("click", function () {
      inked = false;
      input.value = "";
      root.classList.remove("has-ink");
      blank();
    });
    var width = 0;
    window.addEventListener("resize", function () {
      // Resizing a canvas wipes it; redraw only when the width really changed (not the URL bar).
      if (Math.round(size().width) !== width) { width = Math.round(size().width); setup(); }
    });
    width = Math.round(size().width);
    setup();
    if (!inked) { root.classList.remove("has-ink"); }
  });

  // --- photos: previews, and phone photos shrunk before sending ---------------------------------
  var MAX_EDGE = 1600, SHRINK_ABOVE = 1.5 * 1024 * 1024;

  function shrink(file) {
    if (file.size <= SHRINK_ABOVE || !/^image\/(jpeg|png)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
      var c = document.createElement("canvas");
      c.width = Math.round(bitmap.width * scale);
      c.height = Math.round(bitmap.height * scale);
      c.getContext("2d").drawImage(bitmap, 0, 0, c.width, c.height);
      return new Promise(function (resolve) {
        c.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", {type: "image/jpeg"}));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  document.querySelectorAll("input[type=file][data-photos]").forEach(function (input) {
    var form = input.form;
    var previews = form.querySelector("[data-photo-previews]");
    var pending = null;

    function show(files) {
      if (!previews) { return; }
      previews.textContent = "";
      files.forEach(function (f) {
        var img = document.createElement("img");
        img.className = "thumb";
        img.alt = f.name;
        img.src = URL.createObjectURL(f);
        img.onload = function () { URL.revokeObjectURL(img.src); };
        previews.appendChild(img);
      });
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      show(files);
      var canReplace = typeof DataTransfer === "function";
      if (!canReplace || !files.some(function (f) { return f.size > SHRINK_ABOVE; })) { return; }
      pending = Promise.all(files.map(shrink)).then(function (out) {
        try {
          var dt = new DataTransfer();
          out.forEach(function (f) { dt.items.add(f); });
          input.files = dt.files;
        } catch (e) { /* the originals are sent instead */ }
      }).then(function () { pending = null; }, function () { pending = null; });
    });

    form.addEventListener("submit", function (event) {
      if (!pending) { return; }
      event.preventDefault();
      event.stopImmediatePropagation();
      busy(form, true);
      pending.then(function () { busy(form, false); submitAgain(form); });
    }, true);
  });
})();
