/* Shared by every staff page: window.staffFetch(url, options) calls the staff JSON API with the
 * session's CSRF token and returns the parsed JSON; on an error it throws an Error whose message
 * is the server's Vietnamese explanation (or a plain one when the server could not be reached).
 * window.staffEl(tag, attrs, children) builds an element: "text" is set as textContent and string
 * children become text nodes, so nothing a citizen wrote is ever parsed as HTML. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !(value instanceof FormData) &&
      !(value instanceof Blob) && !(value instanceof URLSearchParams) && !(value instanceof ArrayBuffer);
  }

  async function staffFetch(url, options) {
    options = options || {};
    var method = (options.method || "GET").toUpperCase();
    var headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    var body = options.body;
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
    if (isPlainObject(body) || Array.isArray(body)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" });
    } catch (networkError) {
      throw new Error("Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.");
    }
    var data = null;
    var text = await response.text();
    if (text) {
      try { data = JSON.parse(text); } catch (parseError) { data = null; }
    }
    if (!response.ok) {
      var message = data && typeof data.error === "string" ? data.error : "Máy chủ trả lỗi " + response.status + ".";
      if (response.status === 401) message = (data && data.error) || "Phiên đăng nhập đã hết. Hãy đăng nhập lại.";
      var error = new Error(message);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  window.staffFetch = staffFetch;
  window.staffEl = el;
  window.staffCsrfToken = csrfToken;
})();
