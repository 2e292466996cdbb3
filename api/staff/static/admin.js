// Knowledge admin pages: small enhancements over forms that already work without JavaScript
// (adding and removing list rows, confirmations, auto-submitting filters, upload size check).
// Data is never inserted as HTML: rows are cloned from <template> elements rendered by the server.
(function () {
  "use strict";

  function nextIndex(body) {
    var max = -1;
    body.querySelectorAll("[name]").forEach(function (input) {
      var match = /^[a-z_]+-(\d+)-/.exec(input.getAttribute("name"));
      if (match) max = Math.max(max, parseInt(match[1], 10));
    });
    return max + 1;
  }

  function addRow(kind) {
    var body = document.querySelector('[data-rows="' + kind + '"]');
    var template = document.querySelector('template[data-row-template="' + kind + '"]');
    if (!body || !template) return;
    var index = String(nextIndex(body));
    var fragment = template.content.cloneNode(true);
    fragment.querySelectorAll("[name]").forEach(function (input) {
      input.setAttribute("name", input.getAttribute("name").replace("__i__", index));
      if (input.id) input.id = input.id.replace("__i__", index);
    });
    fragment.querySelectorAll("[data-remove-row]").forEach(function (button) { button.hidden = false; });
    body.appendChild(fragment);
    var rows = body.querySelectorAll("[data-row]");
    var first = rows[rows.length - 1].querySelector("input, select");
    if (first) first.focus();
  }

  function clearRow(row) {
    row.querySelectorAll("input, select").forEach(function (input) {
      if (input.type === "checkbox") input.checked = false;
      else input.value = "";
    });
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { addRow(button.getAttribute("data-add-row")); });
  });
  document.querySelectorAll("[data-remove-row]").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-remove-row]");
    if (!button) return;
    var row = button.closest("[data-row]");
    var body = row && row.parentElement;
    // Keep one row so the table never disappears; an emptied row is ignored on save.
    if (body && body.querySelectorAll("[data-row]").length > 1) row.remove();
    else if (row) clearRow(row);
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { if (select.form) select.form.requestSubmit(); });
  });

  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var message = input.parentElement.querySelector("[data-size-error]");
    input.addEventListener("change", function () {
      var tooBig = input.files && input.files[0] && input.files[0].size > limit;
      input.setCustomValidity(tooBig && message ? message.textContent : "");
      if (message) message.hidden = !tooBig;
    });
  });

  // Saving twice by a double click would be refused as a stale version; one submit is enough.
  document.querySelectorAll("form.adm-form, form.adm-confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
    });
  });
})();
