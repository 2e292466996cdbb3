/*
 * Hotline console, "Gọi lại" tab: citizens waiting for a call back, the most urgent first, with
 * the due time (Vietnam time; overdue ones marked), the masked number, "Hiện số" (the full number,
 * audited on the server) and "Đã gọi xong" (closes it; the server erases the number).
 *
 * Refreshed every 30 seconds, when the tab is shown, on "Làm mới" and when the unit filter changes
 * (console.js: the root's data-unit and the "console-unit" event). Every piece of text from the
 * server is inserted with textContent; a revealed number only ever becomes a tel: link.
 */
(function () {
  "use strict";

  var root = document.getElementById("console");
  var list = document.getElementById("callbacks");
  if (!root || !list) return;

  var empty = document.getElementById("callbacks-empty");
  var status = document.getElementById("callbacks-status");
  var count = document.getElementById("callbacks-count");
  var refreshButton = document.getElementById("callbacks-refresh");
  var REFRESH_MS = 30000;
  var loading = null;
  var revealed = {}; // id -> full number, kept only while this page shows the open call-back

  var el = window.staffEl; // staff.js: builds nodes from text, never from HTML

  function api(url, options) {
    if (typeof window.staffFetch !== "function") return Promise.reject(new Error("Trang chưa tải xong, vui lòng tải lại."));
    return window.staffFetch(url, options);
  }

  function errorText(error) {
    return error && error.message ? error.message : "Không kết nối được máy chủ. Vui lòng thử lại.";
  }

  function unit() {
    return root.getAttribute("data-unit") || "";
  }

  function vietnamTime(iso) {
    var moment = new Date(iso || "");
    if (isNaN(moment.getTime())) return "";
    return moment.toLocaleString("vi-VN", {
      timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric"
    });
  }

  function setStatus(text, kind) {
    status.textContent = text || "";
    status.className = "stream-status" + (kind ? " " + kind : "");
  }

  function item(callback) {
    var li = el("li", {
      className: "callback-item" + (callback.overdue ? " overdue" : ""),
      "data-callback-id": callback.id
    });
    li.appendChild(el("p", { className: "queue-title" }, [
      el("span", { className: "badge channel-" + callback.channel, text: callback.channel_label || callback.channel }),
      " ",
      el("strong", { text: callback.tag || callback.citizen || "" }),
      callback.overdue ? " " : null,
      callback.overdue ? el("span", { className: "badge overdue-badge", text: "Quá hạn" }) : null
    ]));

    var due = el("p", { className: "callback-due" }, [
      el("span", { className: "label", text: "Gọi trong: " }),
      el("strong", { text: callback.due_text || "" })
    ]);
    due.appendChild(el("span", { className: "muted", text: " · hạn " + vietnamTime(callback.due_at) + " (giờ Việt Nam)" }));
    li.appendChild(due);

    var details = ["Người dân chọn: " + (callback.preferred_label || "")];
    if (callback.unit_name || callback.unit_code) {
      details.push("Đơn vị: " + (callback.unit_name || "") + (callback.unit_code ? " (" + callback.unit_code + ")" : ""));
    }
    if (callback.procedure_name || callback.procedure_code) {
      details.push("Thủ tục: " + (callback.procedure_name || "") + (callback.procedure_code ? " (" + callback.procedure_code + ")" : ""));
    }
    details.push("Gửi lúc " + vietnamTime(callback.created_at));
    li.appendChild(el("p", { className: "queue-details muted", text: details.join(" · ") }));

    var phoneLine = el("p", { className: "callback-phone" }, [el("span", { className: "label", text: "Số điện thoại: " })]);
    var number = revealed[callback.id];
    if (number) {
      phoneLine.appendChild(el("a", { className: "phone-full", href: "tel:" + number.replace(/[^0-9+]/g, ""), text: number }));
    } else {
      phoneLine.appendChild(el("span", { className: "phone-masked", text: callback.phone_masked || "" }));
    }
    li.appendChild(phoneLine);

    var error = el("p", { className: "error", role: "alert", hidden: true });
    var noteId = "callback-note-" + callback.id;
    var note = el("input", { id: noteId, type: "text", maxlength: "500", className: "callback-note", placeholder: "Kết quả cuộc gọi (không ghi số điện thoại)" });
    var actions = el("div", { className: "row" });
    if (!number) {
      var reveal = el("button", { type: "button", className: "button small", text: "Hiện số", "aria-label": "Hiện số điện thoại của " + (callback.citizen || "") });
      reveal.addEventListener("click", function () {
        reveal.disabled = true;
        api("/staff/api/callbacks/" + callback.id + "/reveal", { method: "POST", body: {} }).then(function (data) {
          if (data && typeof data.phone === "string") revealed[callback.id] = data.phone;
          render(lastCallbacks);
        }).catch(function (err) {
          reveal.disabled = false;
          error.textContent = errorText(err);
          error.hidden = false;
        });
      });
      actions.appendChild(reveal);
    }
    var done = el("button", { type: "button", className: "button small primary", text: "Đã gọi xong", "aria-label": "Đã gọi xong cho " + (callback.citizen || "") });
    done.addEventListener("click", function () {
      done.disabled = true;
      var body = note.value.trim() ? { note: note.value.trim() } : {};
      api("/staff/api/callbacks/" + callback.id + "/done", { method: "POST", body: body }).then(function () {
        delete revealed[callback.id];
        return load("Đã đánh dấu gọi xong; số điện thoại đã được xóa.");
      }).catch(function (err) {
        done.disabled = false;
        error.textContent = errorText(err);
        error.hidden = false;
        load();
      });
    });
    actions.appendChild(done);
    li.appendChild(el("label", { className: "visually-hidden", for: noteId, text: "Ghi chú cuộc gọi" }));
    li.appendChild(note);
    li.appendChild(actions);
    li.appendChild(error);
    return li;
  }

  var lastCallbacks = [];
  function render(callbacks) {
    lastCallbacks = callbacks;
    var open = {};
    callbacks.forEach(function (c) { open[c.id] = true; });
    Object.keys(revealed).forEach(function (id) { if (!open[id]) delete revealed[id]; });
    // Keep what an officer is typing in a note across a refresh.
    var notes = {};
    Array.prototype.forEach.call(list.querySelectorAll("input.callback-note"), function (input) {
      if (input.value) notes[input.id] = input.value;
    });
    list.textContent = "";
    callbacks.forEach(function (c) { list.appendChild(item(c)); });
    Object.keys(notes).forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.value = notes[id];
    });
    var overdue = callbacks.filter(function (c) { return c.overdue; }).length;
    empty.hidden = callbacks.length > 0;
    empty.textContent = unit() ? "Đơn vị " + unit() + " chưa có người dân nào chờ được gọi lại." : "Chưa có người dân nào chờ được gọi lại.";
    count.textContent = callbacks.length ? "(" + callbacks.length + (overdue ? ", " + overdue + " quá hạn" : "") + ")" : "";
    count.className = "tab-count" + (overdue ? " overdue" : "");
  }

  function load(message) {
    if (loading) return loading;
    var query = unit() ? "?unit=" + encodeURIComponent(unit()) : "";
    loading = api("/staff/api/callbacks" + query).then(function (data) {
      render(data && Array.isArray(data.callbacks) ? data.callbacks : []);
      var at = new Date().toLocaleTimeString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit" });
      setStatus(message || "Cập nhật lúc " + at, "live");
    }).catch(function (error) {
      setStatus(errorText(error), "down");
    }).then(function () { loading = null; });
    return loading;
  }

  refreshButton.addEventListener("click", function () { setStatus("Đang tải…"); load(); });
  root.addEventListener("console-unit", function () { load(); });
  root.addEventListener("console-tab", function (event) {
    if (event.detail && event.detail.tab === "tab-callbacks") load();
  });
  setInterval(function () { if (!document.hidden) load(); }, REFRESH_MS);
  load();
})();
