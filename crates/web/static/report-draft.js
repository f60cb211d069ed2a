// The monthly report form keeps what a team leader types on this device (localStorage) until the
// report is sent, so that a dropped connection, a closed tab or a flat battery loses nothing. The
// figures go to the server only when the leader presses a button; sending the same submission
// twice still makes one report (the form's key).
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !form.dataset.draft) {
    return;
  }
  var storage;
  try {
    storage = window.localStorage;
    storage.getItem("probe");
  } catch (e) {
    return;
  }
  var key = "congdongso.report." + form.dataset.draft;
  var notice = document.getElementById("draft-notice");
  var discard = document.getElementById("draft-discard");
  var fields = Array.prototype.slice.call(form.querySelectorAll("input[name^='v_']"));

  function current() {
    var values = {};
    fields.forEach(function (f) { values[f.name] = f.value; });
    return values;
  }
  function same(a, b) {
    return fields.every(function (f) { return (a[f.name] || "") === (b[f.name] || ""); });
  }
  function read() {
    try {
      var kept = JSON.parse(storage.getItem(key) || "null");
      return kept && kept.values ? kept : null;
    } catch (e) {
      return null;
    }
  }
  function keep() {
    try {
      storage.setItem(key, JSON.stringify({ values: current(), kept_at: new Date().toISOString() }));
    } catch (e) {
      // A full storage keeps nothing; the form still works as a plain form.
    }
  }
  function tell(text) {
    if (notice) {
      notice.textContent = text;
      notice.hidden = false;
    }
  }

  // Sent (or locked): nothing is left to keep on this device.
  if (form.dataset.status === "submitted" || form.dataset.status === "approved") {
    storage.removeItem(key);
    return;
  }
  if (fields.length === 0 || fields[0].readOnly) {
    return;
  }
  var kept = read();
  if (kept && form.dataset.errors !== "1") {
    if (same(kept.values, current())) {
      // The server already holds these figures (a saved draft).
      storage.removeItem(key);
    } else {
      fields.forEach(function (f) {
        if (Object.prototype.hasOwnProperty.call(kept.values, f.name)) {
          f.value = kept.values[f.name];
        }
      });
      tell(notice ? notice.dataset.restored : "");
      if (discard) {
        discard.hidden = false;
      }
    }
  }
  form.addEventListener("input", keep);
  form.addEventListener("submit", function (event) {
    keep();
    if (navigator.onLine === false) {
      event.preventDefault();
      tell(notice ? notice.dataset.offline : "");
    }
  });
  if (discard) {
    discard.addEventListener("click", function () {
      storage.removeItem(key);
      window.location.reload();
    });
  }
})();
