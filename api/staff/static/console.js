/*
 * Hotline console: suggestions for a caller's question, the live queue of handoff requests, and the
 * conversation an officer has taken (reply, hand back to the assistant). Also: the unit filter
 * (shared with console-callbacks.js through the root's data-unit and a "console-unit" event), the
 * tabs (queue / call-backs) and the presence ping that keeps the officer counted as on duty.
 *
 * Security: every piece of text from the server is inserted with textContent, never as HTML; links
 * accept http(s) URLs only. POSTs go through window.staffFetch (CSRF header).
 */
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;
  var viewer = root.getAttribute("data-viewer") || "";
  var UNIT_KEY = "tthc-console-unit";
  var UNIT_RE = /^[0-9]{2,8}$/;
  var unitFilter = readUnit();
  root.setAttribute("data-unit", unitFilter);

  function readUnit() {
    try {
      var stored = window.localStorage.getItem(UNIT_KEY) || "";
      return UNIT_RE.test(stored) ? stored : "";
    } catch (e) { return ""; }
  }

  var LEVELS = { xa: "Cấp xã", tinh: "Cấp tỉnh", bo: "Cấp bộ", khac: "Cơ quan khác" };
  var FACT_LABELS = {
    processing_time: "Thời hạn", time: "Thời hạn", deadline: "Thời hạn",
    fee: "Phí, lệ phí", fees: "Phí, lệ phí",
    documents: "Hồ sơ", agency: "Cơ quan thực hiện", receiving_place: "Nơi nộp", where: "Nơi nộp",
    online: "Nộp trực tuyến", online_url: "Nộp trực tuyến", steps: "Trình tự", result: "Kết quả",
    field: "Lĩnh vực", last_verified: "Cập nhật"
  };
  var AUTHOR_LABELS = { citizen: "Người dân", agent: "Cán bộ", system: "Thông báo", user: "Người dân", bot: "Trợ lý" };

  // --- helpers ----------------------------------------------------------------------------------
  var el = window.staffEl; // staff.js: builds nodes from text, never from HTML
  function str(value) { return typeof value === "string" ? value.trim() : (typeof value === "number" ? String(value) : ""); }
  function safeUrl(value) {
    try {
      var url = new URL(String(value || "").trim());
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) { return null; }
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }
  // staffFetch comes from staff.js; the same contract here if the page lacks it (returns parsed JSON).
  function api(url, options) {
    if (typeof window.staffFetch === "function") {
      return Promise.resolve(window.staffFetch(url, options)).then(function (result) {
        if (result && typeof result.json === "function" && typeof result.ok === "boolean") {
          return result.json().catch(function () { return null; });
        }
        return result;
      });
    }
    options = options || {};
    var headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
    var body = options.body;
    if (body && typeof body === "object") { headers["Content-Type"] = "application/json"; body = JSON.stringify(body); }
    return fetch(url, { method: options.method || "GET", headers: headers, body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok) {
            var error = new Error(data && typeof data.error === "string" ? data.error : "Máy chủ trả lỗi " + response.status + ".");
            error.status = response.status;
            throw error;
          }
          return data;
        });
      });
  }
  function errorText(error) {
    return error && error.message ? error.message : "Không kết nối được máy chủ. Vui lòng thử lại.";
  }
  function waited(iso) {
    var started = Date.parse(iso || "");
    if (isNaN(started)) return "";
    var minutes = Math.max(0, Math.floor((Date.now() - started) / 60000));
    if (minutes < 1) return "vừa gửi";
    if (minutes < 60) return "chờ " + minutes + " phút";
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return "chờ " + hours + " giờ " + (minutes % 60) + " phút";
    return "chờ " + Math.floor(hours / 24) + " ngày";
  }
  function clock(iso) {
    var moment = new Date(iso || "");
    if (isNaN(moment.getTime())) return "";
    return moment.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
  }

  // --- suggestions ------------------------------------------------------------------------------
  var suggestForm = document.getElementById("suggest-form");
  var suggestBox = document.getElementById("suggest-q");
  var suggestStatus = document.getElementById("suggest-status");
  var suggestResults = document.getElementById("suggest-results");
  var replyText = document.getElementById("reply-text");
  var suggestSeq = 0;
  var suggestTimer = null;
  var lastPrefill = null;

  function factValue(value) {
    if (Array.isArray(value)) return value.map(factValue).filter(Boolean).join("; ");
    if (value && typeof value === "object") {
      return Object.keys(value).map(function (k) { return factValue(value[k]); }).filter(Boolean).join("; ");
    }
    return str(value);
  }

  function suggestionCard(item, rank) {
    var name = str(item.name) || "Thủ tục hành chính";
    var card = el("li", { className: "suggestion" });
    var meta = [];
    if (str(item.code)) meta.push("Mã " + str(item.code));
    var level = Array.isArray(item.level) ? item.level : [item.level];
    var levels = level.map(function (l) { return LEVELS[l] || str(l); }).filter(Boolean);
    if (levels.length) meta.push(levels.join(", "));
    if (typeof item.score === "number") meta.push("độ khớp " + item.score.toFixed(2));
    card.appendChild(el("h3", { text: rank + ". " + name }));
    if (meta.length) card.appendChild(el("p", { className: "muted", text: meta.join(" · ") }));
    var answer = str(item.answer);
    if (answer) card.appendChild(el("p", { className: "answer", text: answer }));
    if (item.facts && typeof item.facts === "object") {
      var list = el("dl", { className: "facts" });
      Object.keys(item.facts).forEach(function (key) {
        var value = factValue(item.facts[key]);
        if (!value) return;
        list.appendChild(el("dt", { text: FACT_LABELS[key] || key }));
        list.appendChild(el("dd", { text: value }));
      });
      // The answer already reads them out: the facts stay folded, for a quick look.
      if (list.childNodes.length) card.appendChild(el("details", { className: "facts-box" }, [el("summary", { text: "Chi tiết" }), list]));
    }
    var actions = el("p", { className: "row" });
    var source = safeUrl(item.source_url);
    if (source) {
      actions.appendChild(el("a", { href: source, target: "_blank", rel: "noopener noreferrer", text: "Nguồn chính thức" }));
    } else {
      actions.appendChild(el("span", { className: "muted", text: "Chưa có đường dẫn nguồn." }));
    }
    if (answer) {
      var use = el("button", { type: "button", className: "button small", text: "Dùng câu trả lời này" });
      use.addEventListener("click", function () {
        replyText.value = answer + (source ? "\nNguồn: " + source : "");
        if (!replyForm.hidden) replyText.focus();
        else suggestStatus.textContent = "Đã chép câu trả lời vào ô trả lời (nhận một cuộc trò chuyện để gửi).";
      });
      actions.appendChild(use);
    }
    card.appendChild(actions);
    return card;
  }

  function suggest() {
    var q = suggestBox.value.trim();
    var seq = ++suggestSeq;
    if (!q) {
      suggestResults.textContent = "";
      suggestStatus.textContent = "";
      return;
    }
    suggestStatus.textContent = "Đang tìm…";
    fetch("/staff/api/suggestions?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) throw new Error("Chức năng gợi ý chưa sẵn sàng trên máy chủ (404).");
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok) throw new Error(data && typeof data.error === "string" ? data.error : "Máy chủ trả lỗi " + response.status + ".");
          return data;
        });
      })
      .then(function (data) {
        if (seq !== suggestSeq) return; // a newer question was typed meanwhile
        var items = data && Array.isArray(data.suggestions) ? data.suggestions : [];
        suggestResults.textContent = "";
        items.forEach(function (item, i) { if (item && typeof item === "object") suggestResults.appendChild(suggestionCard(item, i + 1)); });
        var took = data && typeof data.took_ms === "number" ? " (" + Math.round(data.took_ms) + " ms)" : "";
        suggestStatus.textContent = items.length
          ? items.length + " gợi ý" + took
          : "Không tìm thấy thủ tục phù hợp. Hãy hỏi lại người dân hoặc tra cứu trên Cổng Dịch vụ công quốc gia.";
      })
      .catch(function (error) {
        if (seq !== suggestSeq) return;
        suggestResults.textContent = "";
        suggestStatus.textContent = errorText(error);
      });
  }

  suggestForm.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(suggestTimer); suggest(); });
  suggestBox.addEventListener("input", function () {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 250);
  });
  function prefill(text) {
    var value = str(text);
    if (!value) return;
    if (suggestBox.value.trim() && suggestBox.value !== lastPrefill) return; // the officer is typing their own
    suggestBox.value = value;
    lastPrefill = value;
    suggest();
  }

  // --- queue ------------------------------------------------------------------------------------
  var queueList = document.getElementById("queue");
  var queueEmpty = document.getElementById("queue-empty");
  var streamStatus = document.getElementById("stream-status");
  var requests = {}; // id -> request view
  var openId = null;
  var seen = {}; // handoff message ids shown in the open conversation

  function queueItem(request) {
    var li = el("li", { className: "queue-item status-" + request.status, "data-request-id": request.id });
    var title = el("p", { className: "queue-title" }, [
      el("span", { className: "badge channel-" + request.channel, text: request.channel_label || request.channel }),
      " ",
      el("strong", { text: request.tag || request.citizen || "" }),
      " · ",
      el("span", { className: "status", text: request.status_label || request.status })
    ]);
    li.appendChild(title);
    var details = [];
    if (request.procedure_name || request.procedure_code) {
      details.push("Thủ tục: " + (request.procedure_name || "") + (request.procedure_code ? " (" + request.procedure_code + ")" : ""));
    }
    if (request.unit_code) details.push("Đơn vị: " + request.unit_code);
    if (request.reason) details.push("Lý do: " + request.reason);
    if (details.length) li.appendChild(el("p", { className: "queue-details", text: details.join(" · ") }));
    var when = request.status === "taken"
      ? "Đang do " + (request.mine ? "anh/chị" : "cán bộ " + (request.taken_by_name || request.taken_by || "")) + " hỗ trợ"
      : waited(request.created_at);
    li.appendChild(el("p", { className: "queue-wait muted", "data-created": request.status === "taken" ? null : request.created_at, text: when }));
    var actions = el("div", { className: "row" });
    var open = el("button", { type: "button", className: "button small", text: "Xem", "aria-label": "Xem cuộc trò chuyện " + (request.citizen || "") });
    open.addEventListener("click", function () { openConversation(request.id); });
    actions.appendChild(open);
    if (request.status === "queued" || request.status === "out_of_hours") {
      var take = el("button", { type: "button", className: "button small primary", text: "Nhận", "aria-label": "Nhận cuộc trò chuyện " + (request.citizen || "") });
      take.addEventListener("click", function () { takeRequest(request.id); });
      actions.appendChild(take);
    }
    li.appendChild(actions);
    if (request.id === openId) li.classList.add("open");
    return li;
  }

  function renderQueue() {
    var ids = Object.keys(requests).map(Number).sort(function (a, b) {
      var ra = requests[a], rb = requests[b];
      var order = { queued: 0, taken: 1, out_of_hours: 2 };
      return (order[ra.status] - order[rb.status]) || (Date.parse(ra.created_at) - Date.parse(rb.created_at)) || a - b;
    });
    var existing = {};
    Array.prototype.forEach.call(queueList.children, function (li) { existing[li.getAttribute("data-request-id")] = li; });
    ids.forEach(function (id, index) {
      var fresh = queueItem(requests[id]);
      var old = existing[String(id)];
      if (old) { queueList.replaceChild(fresh, old); delete existing[String(id)]; }
      var at = queueList.children[index];
      if (at !== fresh) queueList.insertBefore(fresh, at || null);
    });
    Object.keys(existing).forEach(function (id) { existing[id].remove(); });
    queueEmpty.hidden = ids.length > 0;
  }

  function upsert(request) {
    if (!request || typeof request.id !== "number") return;
    var otherUnit = unitFilter && request.unit_code !== unitFilter;
    if (request.status === "closed" || otherUnit) delete requests[request.id];
    else requests[request.id] = request;
    if (request.id === openId) showRequest(request);
  }

  setInterval(function () {
    Array.prototype.forEach.call(queueList.querySelectorAll("[data-created]"), function (node) {
      node.textContent = waited(node.getAttribute("data-created"));
    });
  }, 15000);

  // --- live stream ------------------------------------------------------------------------------
  var source = null;
  function connect(cursor) {
    if (source) source.close();
    source = new EventSource("/staff/api/handoffs/stream?after=" + encodeURIComponent(cursor));
    source.addEventListener("open", function () { streamStatus.textContent = "Đang cập nhật trực tiếp"; streamStatus.className = "stream-status live"; });
    source.addEventListener("handoff", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (!data || typeof data !== "object") return;
      upsert(data.request);
      renderQueue();
      var message = data.message;
      if (message && data.request && data.request.id === openId) {
        addLine(message);
        if (message.author === "citizen") prefill(message.text);
      }
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        streamStatus.textContent = "Mất kết nối trực tiếp. Tải lại trang (có thể phiên đăng nhập đã hết hạn).";
        streamStatus.className = "stream-status down";
      } else {
        streamStatus.textContent = "Mất kết nối, đang kết nối lại…";
        streamStatus.className = "stream-status down";
      }
    });
  }

  function queueUrl() {
    return "/staff/api/handoffs" + (unitFilter ? "?unit=" + encodeURIComponent(unitFilter) : "");
  }

  function loadQueue() {
    return api(queueUrl()).then(function (data) {
      requests = {};
      (data && Array.isArray(data.requests) ? data.requests : []).forEach(upsert);
      renderQueue();
      connect(data && typeof data.cursor === "number" ? data.cursor : 0);
    }).catch(function (error) {
      streamStatus.textContent = errorText(error);
      streamStatus.className = "stream-status down";
    });
  }

  // --- the open conversation ----------------------------------------------------------------------
  var chat = document.getElementById("chat");
  var chatLog = document.getElementById("chat-log");
  var chatMeta = document.getElementById("chat-meta");
  var chatError = document.getElementById("chat-error");
  var replyForm = document.getElementById("reply-form");
  var takeButton = document.getElementById("take-button");
  var handbackButton = document.getElementById("handback-button");
  var closeChatButton = document.getElementById("close-chat-button");

  function showError(text) {
    chatError.textContent = text || "";
    chatError.hidden = !text;
  }

  function showRequest(request) {
    var parts = [request.citizen, request.status_label];
    if (request.procedure_name || request.procedure_code) parts.push(request.procedure_name || request.procedure_code);
    chatMeta.textContent = parts.filter(Boolean).join(" · ");
    var open = request.status === "queued" || request.status === "out_of_hours";
    takeButton.hidden = !open;
    replyForm.hidden = !request.mine;
    handbackButton.hidden = !(request.mine || open);
    handbackButton.textContent = request.mine ? "Trả lại cho trợ lý" : "Đóng yêu cầu";
    if (request.status === "closed") { takeButton.hidden = true; handbackButton.hidden = true; replyForm.hidden = true; }
    chat.setAttribute("data-status", request.status);
  }

  function line(author, text, meta, extraClass) {
    var label = AUTHOR_LABELS[author] || author;
    var node = el("div", { className: "line from-" + author + (extraClass ? " " + extraClass : "") }, [
      el("span", { className: "who", text: label + (meta ? " · " + meta : "") }),
      el("p", { className: "text", text: text })
    ]);
    chatLog.appendChild(node);
    chatLog.scrollTop = chatLog.scrollHeight;
    return node;
  }

  function addLine(message) {
    if (!message || typeof message.id !== "number" || seen[message.id]) return;
    if (message.kind === "queued") return;
    if (message.kind === "message" && message.text === null) {
      // A colleague's conversation: its words are read by opening it again (the read is audited),
      // so this line stays unseen and appears then.
      line("system", "Có tin nhắn mới. Bấm “Xem” để đọc lại cuộc trò chuyện (lượt xem được ghi nhật ký).", clock(message.created_at), "notice");
      return;
    }
    seen[message.id] = true;
    var text = str(message.text);
    if (!text) return;
    if (message.kind === "message") {
      var who = message.author === "agent" ? (message.agent || "") : "";
      line(message.author, text, [who, clock(message.created_at)].filter(Boolean).join(" · "));
    } else {
      line("system", text, clock(message.created_at), "notice");
    }
  }

  function openConversation(id) {
    openId = id;
    seen = {};
    showError("");
    chat.hidden = false;
    chatLog.textContent = "";
    chatLog.appendChild(el("p", { className: "muted", text: "Đang tải cuộc trò chuyện…" }));
    renderQueue();
    return api("/staff/api/handoffs/" + id).then(function (data) {
      if (openId !== id) return;
      chatLog.textContent = "";
      seen = {}; // lines the live stream showed while loading are in the transcript too
      showRequest(data.request);
      var history = Array.isArray(data.history) ? data.history : [];
      if (history.length) {
        chatLog.appendChild(el("p", { className: "separator", text: "Trao đổi với trợ lý tự động" }));
        history.forEach(function (h) {
          if (!h || !str(h.text)) return;
          var author = h.from === "user" ? "user" : h.from === "agent" ? "agent" : h.from === "system" ? "system" : "bot";
          line(author, str(h.text), author === "agent" ? str(h.agent) : "");
        });
      } else if (data.history_available === false) {
        chatLog.appendChild(el("p", { className: "muted", text: "Không đọc được lịch sử trò chuyện với trợ lý (trợ lý đang gián đoạn)." }));
      }
      var messages = Array.isArray(data.messages) ? data.messages : [];
      if (messages.length) chatLog.appendChild(el("p", { className: "separator", text: "Trao đổi với cán bộ" }));
      messages.forEach(addLine);
      prefill(data.last_citizen_text);
    }).catch(function (error) {
      chatLog.textContent = "";
      showError(errorText(error));
    });
  }

  function takeRequest(id) {
    showError("");
    return api("/staff/api/handoffs/" + id + "/take", { method: "POST", body: {} }).then(function (data) {
      upsert(data && data.request);
      renderQueue();
      return openConversation(id).then(function () {
        if (data && data.assistant_paused === false) {
          showError("Đã nhận cuộc trò chuyện, nhưng chưa báo được cho trợ lý tự động (trợ lý đang gián đoạn).");
        }
        replyText.focus();
      });
    }).catch(function (error) {
      if (openId !== id) openConversation(id);
      setTimeout(function () { showError(errorText(error)); }, 0);
      loadQueueQuietly();
    });
  }

  function loadQueueQuietly() {
    api(queueUrl()).then(function (data) {
      requests = {};
      (data && Array.isArray(data.requests) ? data.requests : []).forEach(upsert);
      renderQueue();
    }).catch(function () { /* the live stream keeps trying */ });
  }

  takeButton.addEventListener("click", function () { if (openId) takeRequest(openId); });

  replyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = replyText.value.trim();
    if (!text || !openId) return;
    var button = replyForm.querySelector("button[type=submit]");
    button.disabled = true;
    showError("");
    api("/staff/api/handoffs/" + openId + "/reply", { method: "POST", body: { text: text } }).then(function (data) {
      replyText.value = "";
      if (data && data.message) addLine(data.message);
    }).catch(function (error) {
      showError(errorText(error));
    }).then(function () {
      button.disabled = false;
      replyText.focus();
    });
  });
  replyText.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      replyForm.requestSubmit();
    }
  });

  handbackButton.addEventListener("click", function () {
    if (!openId) return;
    var id = openId;
    handbackButton.disabled = true;
    showError("");
    api("/staff/api/handoffs/" + id + "/hand-back", { method: "POST", body: {} }).then(function (data) {
      if (data && data.request) {
        upsert(data.request);
        renderQueue();
        showRequest(data.request);
      }
      if (data && data.assistant_resumed === false) {
        showError("Đã trả lại, nhưng chưa báo được cho trợ lý tự động (trợ lý đang gián đoạn).");
      }
    }).catch(function (error) {
      showError(errorText(error));
    }).then(function () { handbackButton.disabled = false; });
  });

  closeChatButton.addEventListener("click", function () {
    openId = null;
    chat.hidden = true;
    renderQueue();
  });

  // --- unit filter --------------------------------------------------------------------------------
  var unitForm = document.getElementById("unit-filter-form");
  var unitInput = document.getElementById("unit-filter");
  var unitClear = document.getElementById("unit-filter-clear");
  var emptyText = queueEmpty.textContent;

  function applyUnit(value) {
    unitFilter = value;
    try {
      if (value) window.localStorage.setItem(UNIT_KEY, value);
      else window.localStorage.removeItem(UNIT_KEY);
    } catch (e) { /* private mode: the filter lasts for this page only */ }
    root.setAttribute("data-unit", value);
    unitInput.value = value;
    unitClear.hidden = !value;
    queueEmpty.textContent = value ? "Chưa có yêu cầu nào của đơn vị " + value + "." : emptyText;
    root.dispatchEvent(new CustomEvent("console-unit", { detail: { unit: value } }));
  }

  if (unitForm) {
    unitInput.value = unitFilter;
    unitClear.hidden = !unitFilter;
    if (unitFilter) queueEmpty.textContent = "Chưa có yêu cầu nào của đơn vị " + unitFilter + ".";
    unitForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = unitInput.value.trim();
      if (value && !UNIT_RE.test(value)) {
        unitInput.setCustomValidity("Mã đơn vị gồm 2 đến 8 chữ số, ví dụ 26743.");
        unitInput.reportValidity();
        return;
      }
      unitInput.setCustomValidity("");
      applyUnit(value);
      loadQueueQuietly();
    });
    unitInput.addEventListener("input", function () { unitInput.setCustomValidity(""); });
    unitClear.addEventListener("click", function () { applyUnit(""); loadQueueQuietly(); unitInput.focus(); });
  }

  // --- tabs: the queue and the call-backs ------------------------------------------------------------
  var tabs = Array.prototype.slice.call(root.querySelectorAll('[role="tab"]'));
  function selectTab(tab, focus) {
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    });
    if (focus) tab.focus();
    root.dispatchEvent(new CustomEvent("console-tab", { detail: { tab: tab.id } }));
  }
  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function () { selectTab(tab, false); });
    tab.addEventListener("keydown", function (event) {
      var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      event.preventDefault();
      selectTab(tabs[(index + step + tabs.length) % tabs.length], true);
    });
  });

  // --- presence: this officer is on duty while the console is open ------------------------------
  var presenceStatus = document.getElementById("presence-status");
  var pingSeconds = Math.max(5, parseInt(root.getAttribute("data-ping-seconds") || "30", 10) || 30);
  function ping() {
    api("/staff/api/presence", { method: "POST", body: {} }).then(function (data) {
      if (!presenceStatus || !data || typeof data.online !== "number") return;
      presenceStatus.textContent = "Anh/chị đang trực · " + data.online + " cán bộ đang trực";
      presenceStatus.className = "presence live";
    }).catch(function (error) {
      if (!presenceStatus) return;
      presenceStatus.textContent = "Chưa báo được trạng thái trực: " + errorText(error);
      presenceStatus.className = "presence down";
    });
  }
  ping();
  setInterval(ping, pingSeconds * 1000);

  loadQueue();
})();
