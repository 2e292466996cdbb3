/*!
 * Trợ lý thủ tục hành chính — web chat widget (GPL-3.0-or-later).
 *
 * Embed with one tag; the script finds the API from its own src:
 *   <script src="https://HOST/widget.js" data-title="Trợ lý thủ tục hành chính"
 *           data-unit="Phường Bến Thành" data-color="#b3261e" defer></script>
 *
 * Optional attributes: data-text-color (text on data-color; chosen for contrast when absent),
 * data-position ("right" | "left"), data-greeting, data-launcher-label, data-api (API base URL
 * when it is not where the script is served from).
 *
 * Security: every piece of text (the citizen's, the assistant's, an officer's, button titles,
 * procedure cards) is inserted with textContent or as a text node, never as HTML; links accept
 * http(s) URLs only.
 *
 * When the citizen asks for a person, the API says so (`handoff` in its answers) and the widget
 * listens to GET /api/chat/events (Server-Sent Events) for the officer's lines until the
 * conversation is handed back to the assistant.
 *
 * data-unit may be the commune's name (current, or its name before the 2025 merger) or its
 * official code. When the panel opens the widget shows, as a banner, the notices in force for its
 * unit (GET /api/notices?unit=…: holiday closures, portal maintenance), and the news of dossiers
 * the citizen asked to follow (GET /api/dossiers/news?sender=…), acknowledged once shown.
 */
(function () {
  "use strict";

  if (window.__tthcWidgetLoaded) return; // the tag was pasted twice
  window.__tthcWidgetLoaded = true;

  var MAX_CHARS = 2000; // same limit as POST /api/chat
  var REQUEST_TIMEOUT_MS = 30000;
  var STORAGE_KEY = "tthc-widget-sender";
  var OPEN_KEY = "tthc-widget-open";
  var SENDER_RE = /^web-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var LEVELS = { xa: "cấp xã", tinh: "cấp tỉnh", bo: "cấp bộ", khac: "cơ quan khác" };
  var TEXT = {
    offline:
      "Không kết nối được với máy chủ của trợ lý nên tin nhắn chưa được gửi. " +
      "Anh/chị kiểm tra kết nối mạng rồi bấm “Thử lại” nhé.",
    retry: "Thử lại",
    notSent: "Chưa gửi được",
    rejected: "Tin nhắn chưa gửi được. Anh/chị sửa lại nội dung rồi gửi lại giúp em.",
    historyUnavailable: "Chưa tải lại được các tin nhắn trước đó. Anh/chị vẫn có thể tiếp tục hỏi.",
    typing: "Trợ lý đang soạn câu trả lời…",
    placeholder: "Nhập câu hỏi của anh/chị…",
    inputLabel: "Câu hỏi của anh/chị",
    send: "Gửi",
    close: "Đóng khung trò chuyện",
    you: "Anh/chị: ",
    bot: "Trợ lý: ",
    officer: "Cán bộ",
    officerSays: "Cán bộ hỗ trợ: ",
    notice: "Thông báo: ",
    notices: "Thông báo của đơn vị",
    hideNotices: "Ẩn thông báo",
    news: "Tin về hồ sơ",
    newTab: " (mở trong thẻ mới)",
    suggestions: "Câu hỏi gợi ý",
    quickReplies: "Lựa chọn trả lời",
    note: "Thông tin chỉ để tham khảo. Không nhập mật khẩu, số tài khoản hay số căn cước.",
    log: "Nội dung trò chuyện"
  };
  var SUGGESTIONS = [
    "Đăng ký khai sinh cần giấy tờ gì?",
    "Lệ phí đăng ký kết hôn bao nhiêu?",
    "Tra cứu tình trạng hồ sơ"
  ];

  // --- configuration from the script tag ------------------------------------------------------
  var script = document.currentScript || findOwnScript();
  var data = (script && script.dataset) || {};

  function findOwnScript() {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(all[i].src || "")) return all[i];
    }
    return null;
  }

  function cleanText(value, fallback, max) {
    if (typeof value !== "string") return fallback;
    var text = value.replace(/\s+/g, " ").trim();
    return text ? text.slice(0, max) : fallback;
  }

  function apiBase() {
    var explicit = typeof data.api === "string" ? data.api.trim() : "";
    var source = explicit || (script && script.src) || window.location.href;
    try {
      var url = new URL(explicit ? explicit.replace(/\/*$/, "/") : ".", source);
      return url.href.replace(/\/+$/, "");
    } catch (e) {
      return "";
    }
  }

  var config = {
    title: cleanText(data.title, "Trợ lý thủ tục hành chính", 80),
    unit: cleanText(data.unit, "", 120),
    // An official code ("26743") is shown by its unit's name once the API has told it.
    unitIsCode: /^[0-9]{2}(?:[0-9]{3})?$/.test(cleanText(data.unit, "", 120)),
    greeting: cleanText(data.greeting, "", 400),
    launcherLabel: cleanText(data.launcherLabel, "Hỏi đáp thủ tục", 40),
    position: data.position === "left" ? "left" : "right",
    base: apiBase()
  };
  if (!config.greeting) {
    config.greeting =
      "Xin chào anh/chị! Em là trợ lý ảo hỗ trợ thủ tục hành chính" +
      (config.unit && !config.unitIsCode ? " của " + config.unit : "") +
      ". Anh/chị có thể hỏi về hồ sơ cần chuẩn bị, lệ phí, thời hạn giải quyết, nơi nộp hoặc tra cứu hồ sơ đã nộp.";
  }

  // --- colours: the site's colour, with text colours that keep WCAG AA contrast -----------------
  function parseHex(value) {
    var match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || "").trim());
    if (!match) return null;
    var hex = match[1];
    if (hex.length === 3) hex = hex.replace(/./g, "$&$&");
    return [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
  }
  function toHex(rgb) {
    return "#" + rgb.map(function (c) { return ("0" + Math.round(c).toString(16)).slice(-2); }).join("");
  }
  function luminance(rgb) {
    var lin = rgb.map(function (c) {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function darkenUntil(rgb, against, ratio) {
    var c = rgb.slice();
    for (var i = 0; i < 40 && contrast(c, against) < ratio; i++) {
      c = c.map(function (x) { return x * 0.9; });
    }
    return c;
  }
  var WHITE = [255, 255, 255], INK = [27, 31, 36];
  var primary = parseHex(data.color) || parseHex("#b3261e");
  var onPrimary = parseHex(data.textColor);
  if (!onPrimary || contrast(onPrimary, primary) < 4.5) {
    onPrimary = contrast(WHITE, primary) >= contrast(INK, primary) ? WHITE : INK;
  }
  if (contrast(onPrimary, primary) < 4.5) primary = darkenUntil(primary, onPrimary, 4.5);
  var accent = darkenUntil(primary, WHITE, 4.5); // text, borders and focus rings on white

  // --- storage (may be unavailable: private browsing, blocked cookies) -------------------------
  function storageGet(store, key) {
    try { return window[store].getItem(key); } catch (e) { return null; }
  }
  function storageSet(store, key, value) {
    try {
      if (value === null) window[store].removeItem(key);
      else window[store].setItem(key, value);
    } catch (e) { /* not persisted: the conversation lasts as long as the page */ }
  }
  function newSender() {
    var uuid;
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      uuid = window.crypto.randomUUID(); // secure contexts only
    } else {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      uuid = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
    }
    return "web-" + uuid.toLowerCase();
  }

  var stored = storageGet("localStorage", STORAGE_KEY);
  var returning = !!stored && SENDER_RE.test(stored);
  var sender = returning ? stored : newSender();
  if (!returning) storageSet("localStorage", STORAGE_KEY, sender);

  // --- DOM helpers: elements and text nodes only ----------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = value;
        else if (name === "className") node.className = value;
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function icon(paths, size) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 24));
    svg.setAttribute("height", String(size || 24));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }
  var ICONS = {
    chat: ["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"],
    close: ["M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z"],
    send: ["M3.4 20.4 21 12 3.4 3.6 3.4 10.2 15 12 3.4 13.8z"],
    down: ["M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z"]
  };

  function safeUrl(value) {
    if (typeof value !== "string") return null;
    try {
      var url = new URL(value.trim());
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }
  function externalLink(href, label, className) {
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", className: className }, [
      label,
      el("span", { className: "sr-only", text: TEXT.newTab })
    ]);
  }

  // Bot text as text nodes, with http(s) URLs turned into links (built as elements, never parsed).
  function linkified(text) {
    var fragment = document.createDocumentFragment();
    var pattern = /https?:\/\/[^\s<>"“”]+/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
      var href = safeUrl(raw);
      if (!href) continue;
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      fragment.appendChild(externalLink(href, raw, "inline-link"));
      last = match.index + raw.length;
      pattern.lastIndex = last;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // --- build the widget (in a shadow root: the site's CSS and ours do not mix) -----------------
  var host = document.createElement("tthc-chat-widget");
  host.setAttribute("data-tthc-widget", "");
  var shadow = host.attachShadow({ mode: "open" });
  var style = el("link", { rel: "stylesheet", href: config.base + "/widget.css" });
  var root = el("div", { className: "root pos-" + config.position, hidden: true });
  root.style.setProperty("--tthc-primary", toHex(primary));
  root.style.setProperty("--tthc-on-primary", toHex(onPrimary));
  root.style.setProperty("--tthc-accent", toHex(accent));

  var launcher = el("button", {
    type: "button", className: "launcher", "aria-expanded": "false", "aria-controls": "tthc-panel",
    "aria-haspopup": "dialog", title: config.title
  }, [icon(ICONS.chat, 26), el("span", { className: "launcher-label", text: config.launcherLabel })]);

  var title = el("h2", { id: "tthc-title", className: "title", text: config.title });
  var subtitle = config.unit
    ? el("p", { id: "tthc-subtitle", className: "subtitle", text: config.unitIsCode ? "" : config.unit, hidden: config.unitIsCode })
    : null;
  var closeButton = el("button", { type: "button", className: "icon-button close", "aria-label": TEXT.close, title: TEXT.close },
    [icon(ICONS.close, 22)]);
  var log = el("div", {
    className: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": TEXT.log
  });
  // The status region stays in the page (screen readers announce its text changing); only the
  // three animated dots are shown and hidden.
  var typingText = el("span", { className: "sr-only" });
  var typingDots = el("span", { className: "typing-bubble", "aria-hidden": "true", hidden: true },
    [el("span", { className: "dot" }), el("span", { className: "dot" }), el("span", { className: "dot" })]);
  var typing = el("div", { className: "typing", role: "status" }, [typingDots, typingText]);
  var scroller = el("div", { className: "scroller" }, [log, typing]);
  // The unit's notices in force: a banner between the header and the conversation.
  var noticeList = el("div", { className: "notice-list" });
  var hideNoticesButton = el("button", { type: "button", className: "notices-hide", text: TEXT.hideNotices });
  var notices = el("section", { className: "notices", "aria-label": TEXT.notices, hidden: true }, [noticeList, hideNoticesButton]);
  var input = el("textarea", {
    id: "tthc-input", className: "input", rows: "1", maxlength: String(MAX_CHARS), placeholder: TEXT.placeholder,
    autocomplete: "off", enterkeyhint: "send", "aria-describedby": "tthc-count"
  });
  var counter = el("span", { id: "tthc-count", className: "count", "aria-live": "polite", hidden: true });
  var sendButton = el("button", { type: "submit", className: "send", "aria-label": TEXT.send, title: TEXT.send },
    [icon(ICONS.send, 22)]);
  var form = el("form", { className: "composer", novalidate: true }, [
    el("label", { className: "sr-only", for: "tthc-input", text: TEXT.inputLabel }),
    input, sendButton
  ]);
  var panel = el("section", {
    id: "tthc-panel", className: "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "tthc-title", "aria-describedby": subtitle ? "tthc-subtitle" : null, hidden: true
  }, [
    el("header", { className: "header" }, [el("div", { className: "heading" }, [title, subtitle]), closeButton]),
    notices,
    scroller,
    el("div", { className: "footer" }, [form, el("p", { className: "note" }, [counter, el("span", { text: TEXT.note })])])
  ]);
  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(style);
  shadow.appendChild(root);

  function reveal() { root.hidden = false; }
  style.addEventListener("load", reveal);
  style.addEventListener("error", reveal);

  // --- conversation state ----------------------------------------------------------------------
  var busy = false;
  var historyReady = null; // a promise while the history loads

  function scrollToEnd(from) {
    if (from && scroller.scrollHeight - from.offsetTop > scroller.clientHeight) {
      scroller.scrollTop = Math.max(0, from.offsetTop - 8); // long answer: show its beginning
    } else {
      scroller.scrollTop = scroller.scrollHeight;
    }
  }

  function addUser(text) {
    var bubble = el("div", { className: "msg user" }, [el("span", { className: "sr-only", text: TEXT.you }), text]);
    log.appendChild(bubble);
    return bubble;
  }

  function addBotText(text, extraClass) {
    var bubble = el("div", { className: "msg bot" + (extraClass ? " " + extraClass : "") },
      [el("span", { className: "sr-only", text: TEXT.bot })]);
    bubble.appendChild(linkified(text));
    log.appendChild(bubble);
    return bubble;
  }

  // An officer's line (labelled with the officer's name) or a notice about the officer.
  var shownOfficerLines = {}; // handoff event ids already shown (history and live stream overlap)
  function addOfficer(kind, message, agentName, id) {
    if (typeof id === "number") {
      if (shownOfficerLines[id]) return null;
      shownOfficerLines[id] = true;
    }
    var body = text(message);
    if (!body) return null;
    var bubble;
    if (kind === "message") {
      var name = text(agentName);
      var titled = name.toLocaleLowerCase("vi").indexOf(TEXT.officer.toLocaleLowerCase("vi")) === 0;
      var label = !name ? TEXT.officer : titled ? name : TEXT.officer + " " + name;
      bubble = el("div", { className: "msg bot agent" }, [
        el("span", { className: "sr-only", text: TEXT.officerSays }),
        el("span", { className: "author", text: label })
      ]);
      bubble.appendChild(linkified(body));
    } else {
      bubble = el("div", { className: "msg bot notice" }, [el("span", { className: "sr-only", text: TEXT.notice }), body]);
    }
    log.appendChild(bubble);
    return bubble;
  }

  function addQuickReplies(buttons, label, extraClass) {
    var box = el("div", { className: "quick" + (extraClass ? " " + extraClass : ""), role: "group", "aria-label": label });
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", className: "chip", text: b.title });
      button.addEventListener("click", function (event) {
        if (busy || button.disabled) return;
        button.classList.add("chosen");
        send(b.payload, b.title, event.detail === 0);
      });
      box.appendChild(button);
    });
    log.appendChild(box);
    return box;
  }

  function text(value) { return typeof value === "string" ? value.trim() : ""; }

  function formatDate(value) {
    var match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text(value));
    return match ? match[3] + "/" + match[2] + "/" + match[1] : text(value);
  }

  function addCard(card) {
    var name = text(card.name) || "Thủ tục hành chính";
    var article = el("article", { className: "card", "aria-label": "Thủ tục: " + name });
    var meta = [];
    if (text(card.code)) meta.push("Mã " + text(card.code));
    var levels = Array.isArray(card.levels) ? card.levels.map(function (l) { return LEVELS[l] || text(l); }).filter(Boolean) : [];
    if (levels.length) meta.push(levels.join(", "));
    article.appendChild(el("h3", { className: "card-title", text: name }));
    if (meta.length) article.appendChild(el("p", { className: "card-meta", text: meta.join(" · ") }));
    if (text(card.agency)) {
      article.appendChild(el("p", { className: "card-agency" }, [el("strong", { text: "Cơ quan thực hiện: " }), text(card.agency)]));
    }
    // One entry per distinct (time, fee): channels with the same terms are listed together.
    var groups = [];
    (Array.isArray(card.channels) ? card.channels : []).forEach(function (c) {
      if (!c || typeof c !== "object") return;
      var time = text(c.processing_time) || "Chưa có thông tin";
      var fee = text(c.fee) || "Chưa có thông tin";
      var label = text(c.label) || "Cách nộp khác";
      var same = groups.filter(function (g) { return g.time === time && g.fee === fee; })[0];
      if (same) same.labels.push(label.charAt(0).toLocaleLowerCase("vi") + label.slice(1));
      else groups.push({ labels: [label], time: time, fee: fee });
    });
    if (groups.length) {
      var list = el("ul", { className: "channels" });
      groups.forEach(function (g) {
        var facts = el("dl", { className: "facts" }, [
          el("dt", { text: "Thời hạn" }), el("dd", { text: g.time }),
          el("dt", { text: "Phí, lệ phí" }), el("dd", { text: g.fee })
        ]);
        list.appendChild(el("li", { className: "channel" }, [
          el("strong", { className: "channel-label", text: g.labels.join(", ") }), facts
        ]));
      });
      article.appendChild(list);
    }
    var online = safeUrl(card.online_url), source = safeUrl(card.source_url);
    if (online || source) {
      var links = el("p", { className: "card-links" });
      if (online) links.appendChild(externalLink(online, "Nộp trực tuyến", "card-link primary-link"));
      if (source) links.appendChild(externalLink(source, "Nguồn", "card-link"));
      article.appendChild(links);
    }
    if (text(card.last_verified)) {
      article.appendChild(el("p", { className: "card-verified", text: "Thông tin cập nhật ngày " + formatDate(card.last_verified) }));
    }
    log.appendChild(article);
    return article;
  }

  // One Rasa-style message: text, then a procedure card, then quick replies. Returns its first node.
  function addBot(message) {
    if (!message || typeof message !== "object") return null;
    var first = null;
    function keep(node) { if (!first) first = node; }
    if (text(message.text)) keep(addBotText(message.text));
    var custom = message.custom;
    if (custom && typeof custom === "object" && custom.type === "procedure_card") keep(addCard(custom));
    var buttons = Array.isArray(message.buttons) ? message.buttons.filter(function (b) {
      return b && typeof b.title === "string" && b.title.trim() && typeof b.payload === "string" && b.payload.trim();
    }) : [];
    if (buttons.length) keep(addQuickReplies(buttons, TEXT.quickReplies));
    return first;
  }

  // Choices already answered cannot be sent again (they would answer a question no longer asked).
  function retireChoices() {
    var boxes = log.querySelectorAll(".quick:not(.retired)");
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].classList.add("retired");
      var buttons = boxes[i].querySelectorAll("button");
      for (var j = 0; j < buttons.length; j++) buttons[j].disabled = true;
    }
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    form.setAttribute("aria-busy", value ? "true" : "false");
    typingDots.hidden = !value;
    typingText.textContent = value ? TEXT.typing : "";
    var buttons = log.querySelectorAll(".quick:not(.retired) button");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = value;
    if (value) scrollToEnd();
  }

  function postChat(message) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return fetch(config.base + "/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(config.unit ? { sender: sender, message: message, unit: config.unit } : { sender: sender, message: message }),
      credentials: "omit",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (response.ok && body && Array.isArray(body.messages)) {
          return { ok: true, messages: body.messages, handoff: body.handoff || null };
        }
        var clientError = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
        if (clientError) {
          return { ok: false, retry: false, error: body && typeof body.error === "string" ? TEXT.rejected + " (" + body.error + ")" : TEXT.rejected };
        }
        return { ok: false, retry: true, error: TEXT.offline };
      });
    }, function () {
      return { ok: false, retry: true, error: TEXT.offline };
    }).then(function (result) {
      if (timer) clearTimeout(timer);
      return result;
    });
  }

  function deliver(pending) {
    setBusy(true);
    return postChat(pending.message).then(function (result) {
      setBusy(false);
      if (result.ok) {
        pending.bubble.classList.remove("failed");
        if (pending.status) { pending.status.remove(); pending.status = null; }
        var first = null;
        result.messages.forEach(function (m) { var node = addBot(m); if (!first) first = node; });
        scrollToEnd(first);
        if (result.handoff) listenToOfficer(result.handoff);
      } else {
        showFailure(pending, result);
      }
    });
  }

  function showFailure(pending, result) {
    pending.bubble.classList.add("failed");
    if (!pending.status) {
      pending.status = el("span", { className: "msg-status", text: TEXT.notSent });
      pending.bubble.appendChild(pending.status);
    }
    var notice = el("div", { className: "msg bot error", role: "alert" }, [el("p", { text: result.error })]);
    if (result.retry) {
      var retry = el("button", { type: "button", className: "retry", text: TEXT.retry });
      retry.addEventListener("click", function () {
        if (busy) return;
        notice.remove();
        input.focus({ preventScroll: true });
        deliver(pending);
      });
      notice.appendChild(retry);
    }
    log.appendChild(notice);
    scrollToEnd();
  }

  // Sends `message` (a payload for a quick reply) and shows `shown` as the citizen's words.
  function send(message, shown, focusInput) {
    var body = String(message || "").trim();
    if (busy || !body || body.length > MAX_CHARS) return;
    if (historyReady) { // the earlier messages come first
      busy = true;
      historyReady.then(function () {
        busy = false;
        send(message, shown, focusInput);
      });
      return;
    }
    removeSuggestions();
    retireChoices();
    var pending = { message: body, bubble: addUser(shown || body), status: null };
    if (focusInput) input.focus({ preventScroll: true });
    deliver(pending);
  }

  function removeSuggestions() {
    var box = log.querySelector(".suggestions");
    if (box) box.remove();
  }

  function addSuggestions() {
    addQuickReplies(SUGGESTIONS.map(function (s) { return { title: s, payload: s }; }), TEXT.suggestions, "suggestions");
  }

  function loadHistory() {
    var url = config.base + "/api/chat/history?sender=" + encodeURIComponent(sender);
    return fetch(url, { credentials: "omit" }).then(function (response) {
      if (response.status === 403 || response.status === 422) {
        sender = newSender(); // an id the server does not accept: start afresh
        storageSet("localStorage", STORAGE_KEY, sender);
        return { available: true, messages: [] };
      }
      if (!response.ok) return { available: false, messages: [] };
      return response.json();
    }).catch(function () {
      return { available: false, messages: [] };
    }).then(function (body) {
      var messages = body && Array.isArray(body.messages) ? body.messages : [];
      messages.forEach(function (m) {
        if (!m || typeof m !== "object") return;
        if (m.from === "user") {
          if (text(m.text)) { retireChoices(); addUser(m.text); }
        } else if (m.from === "agent") {
          addOfficer("message", m.text, m.agent, m.id);
        } else if (m.from === "system") {
          addOfficer("notice", m.text, null, m.id);
        } else {
          addBot(m);
        }
      });
      if (!body || body.available === false) addBotText(TEXT.historyUnavailable, "info");
      else if (!messages.length) addSuggestions();
      scrollToEnd();
      if (body && body.handoff) listenToOfficer(body.handoff);
    });
  }

  // --- an officer's replies, live ----------------------------------------------------------------
  var officerStream = null;

  function stopListening() {
    if (officerStream) { officerStream.close(); officerStream = null; }
  }

  function listenToOfficer(handoff) {
    if (officerStream || typeof window.EventSource !== "function") return;
    var after = handoff && typeof handoff.cursor === "number" ? handoff.cursor : 0;
    var url = config.base + "/api/chat/events?sender=" + encodeURIComponent(sender) + "&after=" + after;
    var stream = new EventSource(url); // no credentials: the conversation id is the only key
    officerStream = stream;
    stream.addEventListener("status", function (event) {
      var data = parse(event.data);
      if (data && data.status === "none") stopListening(); // nobody was asked for any more
    });
    stream.addEventListener("handoff", function (event) {
      var data = parse(event.data);
      if (!data) return;
      var node = addOfficer(data.kind === "message" ? "message" : "notice", data.text, data.agent, data.id);
      if (node) scrollToEnd(node);
      // After a hand-back the server ends the stream; the reconnect hears "none" and stops there.
    });
    stream.addEventListener("error", function () {
      if (stream.readyState === 2) { // closed for good (e.g. 403): the chat itself still works
        if (officerStream === stream) officerStream = null;
      }
    });
  }

  function parse(data) {
    try {
      var value = JSON.parse(data);
      return value && typeof value === "object" ? value : null;
    } catch (e) {
      return null;
    }
  }

  // --- notices of the unit: a banner when the panel opens --------------------------------------
  var NOTICES_HIDDEN_KEY = "tthc-widget-notices-hidden";
  var NOTICES_REFRESH_MS = 5 * 60 * 1000;
  var noticesLoadedAt = 0;
  var noticesLoading = false;
  var shownNoticeIds = "";

  function capitalised(value) {
    return value ? value.charAt(0).toLocaleUpperCase("vi") + value.slice(1) : value;
  }

  function showNotices(items) {
    while (noticeList.firstChild) noticeList.removeChild(noticeList.firstChild);
    shownNoticeIds = items.map(function (n) { return String(n.id); }).join(",");
    items.forEach(function (n) {
      var warning = n.severity === "warning";
      var item = el("div", { className: "notice-item" + (warning ? " warning" : ""), role: warning ? "alert" : null }, [
        el("span", { className: "sr-only", text: TEXT.notice }),
        el("strong", { className: "notice-title", text: text(n.title) })
      ]);
      var body = el("p", { className: "notice-body" });
      body.appendChild(linkified(text(n.body)));
      item.appendChild(body);
      if (text(n.until)) item.appendChild(el("p", { className: "notice-until", text: capitalised(text(n.until)) + "." }));
      noticeList.appendChild(item);
    });
    var hidden = shownNoticeIds && storageGet("sessionStorage", NOTICES_HIDDEN_KEY) === shownNoticeIds;
    notices.hidden = !items.length || hidden;
  }

  hideNoticesButton.addEventListener("click", function () {
    notices.hidden = true;
    storageSet("sessionStorage", NOTICES_HIDDEN_KEY, shownNoticeIds); // until other notices come
    input.focus({ preventScroll: true });
  });

  function showUnitName(unit) {
    if (!subtitle || !config.unitIsCode || !unit || !text(unit.name)) return;
    subtitle.textContent = text(unit.name) + (text(unit.province) ? ", " + text(unit.province) : "");
    subtitle.hidden = false;
  }

  function loadNotices() {
    if (noticesLoading || Date.now() - noticesLoadedAt < NOTICES_REFRESH_MS) return;
    noticesLoading = true;
    var url = config.base + "/api/notices" + (config.unit ? "?unit=" + encodeURIComponent(config.unit) : "");
    fetch(url, { credentials: "omit" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (body) {
      noticesLoadedAt = Date.now();
      if (!body || typeof body !== "object") return;
      showUnitName(body.unit);
      var items = Array.isArray(body.notices) ? body.notices.filter(function (n) {
        return n && typeof n === "object" && text(n.title) && (typeof n.id === "number" || typeof n.id === "string");
      }) : [];
      showNotices(items);
    }).catch(function () { /* no banner: the chat itself works */ }).then(function () {
      noticesLoading = false;
    });
  }

  // --- news of the dossiers the citizen follows: shown once, then acknowledged -------------------
  var newsLoading = false;
  var shownNews = {};

  function formatTime(value) {
    var iso = text(value);
    // The API's times are UTC; one without an offset must not be read as the browser's time.
    if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += "Z";
    var when = new Date(iso);
    if (isNaN(when.getTime())) return "";
    try {
      return when.toLocaleString("vi-VN", {
        timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric"
      });
    } catch (e) {
      return "";
    }
  }

  function addNews(item) {
    var body = text(item.text);
    if (!body) return null;
    var at = formatTime(item.at);
    var bubble = el("div", { className: "msg bot news" }, [
      el("span", { className: "sr-only", text: TEXT.bot }),
      el("span", { className: "author", text: TEXT.news + (at ? " · " + at : "") })
    ]);
    bubble.appendChild(linkified(body));
    log.appendChild(bubble);
    return bubble;
  }

  function acknowledge(ids) {
    return fetch(config.base + "/api/dossiers/news/ack", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, ids: ids }),
      credentials: "omit"
    }).catch(function () { /* shown again next time: better twice than never */ });
  }

  function loadNews() {
    if (newsLoading) return;
    newsLoading = true;
    Promise.resolve(historyReady).then(function () {
      return fetch(config.base + "/api/dossiers/news?sender=" + encodeURIComponent(sender), { credentials: "omit" });
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (body) {
      var items = body && Array.isArray(body.news) ? body.news : [];
      var ids = [], first = null;
      items.forEach(function (item) {
        if (!item || typeof item !== "object" || item.id === undefined || item.id === null) return;
        var key = String(item.id);
        if (!shownNews[key]) {
          var node = addNews(item);
          if (!node) return;
          shownNews[key] = true;
          if (!first) first = node;
        }
        ids.push(item.id);
      });
      if (first) { removeSuggestions(); scrollToEnd(first); }
      if (ids.length) return acknowledge(ids);
    }).catch(function () { /* no news endpoint, or offline: nothing to show */ }).then(function () {
      newsLoading = false;
    });
  }

  // --- opening and closing ---------------------------------------------------------------------
  var savedOverflow = null;
  function isSmallScreen() { return window.matchMedia && window.matchMedia("(max-width: 479.98px)").matches; }

  function openPanel(moveFocus) {
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    storageSet("sessionStorage", OPEN_KEY, "1");
    if (isSmallScreen() && savedOverflow === null) {
      savedOverflow = document.documentElement.style.overflow; // the page behind must not scroll
      document.documentElement.style.overflow = "hidden";
    }
    scrollToEnd();
    if (moveFocus) input.focus({ preventScroll: true });
    loadNotices();
    loadNews();
  }

  function closePanel(returnFocus) {
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    storageSet("sessionStorage", OPEN_KEY, null);
    if (savedOverflow !== null) {
      document.documentElement.style.overflow = savedOverflow;
      savedOverflow = null;
    }
    if (returnFocus) launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) openPanel(true);
    else closePanel(true);
  });
  closeButton.addEventListener("click", function () { closePanel(true); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      event.stopPropagation();
      closePanel(true);
    }
  });

  function autoGrow() {
    input.style.height = "";
    if (input.value) input.style.height = Math.min(Math.max(input.scrollHeight + 4, 48), 144) + "px";
    var length = input.value.length;
    counter.hidden = length < MAX_CHARS - 200;
    counter.textContent = counter.hidden ? "" : length + "/" + MAX_CHARS + " ký tự";
  }
  input.addEventListener("input", autoGrow);
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; never while a Vietnamese input method is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  function submit() {
    var value = input.value.trim();
    if (busy || !value) return;
    input.value = "";
    autoGrow();
    send(value, null, false);
  }

  // --- start -----------------------------------------------------------------------------------
  function start() {
    document.body.appendChild(host);
    addBotText(config.greeting, "greeting");
    if (returning) {
      historyReady = loadHistory().then(function () { historyReady = null; });
    } else {
      addSuggestions();
    }
    if (storageGet("sessionStorage", OPEN_KEY)) openPanel(false); // reopened after a reload
  }

  window.TTHCWidget = {
    open: function () { openPanel(true); },
    close: function () { closePanel(false); },
    sender: function () { return sender; }
  };

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
