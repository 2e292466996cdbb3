// Learning page: the inbox (assign an intent, a procedure alias, or dismiss) and the retrain
// panel (polled while a job runs). Every value from the server is inserted with textContent.
(function () {
  "use strict";

  const root = document.getElementById("learning");
  if (!root) return;
  const intents = JSON.parse(root.dataset.intents || "[]");
  const reasons = JSON.parse(root.dataset.reasons || "{}");
  const PAGE = 25;
  const STAGES = ["prepare", "train", "evaluate", "compare", "activate"];
  let offset = 0;
  let pollTimer = null;

  const $ = (id) => document.getElementById(id);
  const el = (tag, props, children) => {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children || []) node.append(child);
    return node;
  };
  const when = (iso) => (iso ? new Date(iso).toLocaleString("vi-VN") : "");
  const score = (value) => (value === null || value === undefined ? "—" : Number(value).toFixed(4));
  const say = (id, text, isError) => {
    const node = $(id);
    node.textContent = text;
    node.classList.toggle("learning-error", Boolean(isError));
  };

  // --- inbox ---------------------------------------------------------------------------------
  function filters() {
    const form = new FormData($("inbox-filters"));
    const params = new URLSearchParams();
    for (const [key, value] of form.entries()) if (value) params.set(key, value);
    params.set("limit", PAGE);
    params.set("offset", offset);
    return params;
  }

  async function loadInbox() {
    try {
      const data = await window.staffFetch("/staff/api/learning/inbox?" + filters().toString());
      renderInbox(data);
    } catch (error) {
      say("inbox-status", error.message, true);
    }
  }

  function renderInbox(data) {
    $("inbox-pending").textContent = data.pending;
    const rows = $("inbox-rows");
    rows.replaceChildren(...data.items.map(inboxRow));
    $("inbox-empty").hidden = data.items.length > 0;
    const pages = Math.max(1, Math.ceil(data.total / PAGE));
    $("inbox-page").textContent = `Trang ${Math.floor(offset / PAGE) + 1}/${pages} · ${data.total} tin nhắn`;
    $("inbox-prev").disabled = offset === 0;
    $("inbox-next").disabled = offset + PAGE >= data.total;
  }

  function guessCell(item) {
    const guess = item.intent ? `${item.intent_label}` : "—";
    const confidence = item.confidence === null ? "" : ` (${Math.round(item.confidence * 100)}%)`;
    return el("td", {}, [
      el("span", { className: "learning-reason", textContent: reasons[item.reason] || item.reason }),
      el("br"),
      el("span", { textContent: guess + confidence }),
    ]);
  }

  function intentSelect(item) {
    const select = el("select", { className: "inbox-intent", title: "Ý định đúng của tin nhắn" });
    select.append(el("option", { value: "", textContent: "— chọn ý định —" }));
    for (const intent of intents) {
      select.append(el("option", { value: intent.name, textContent: intent.label, selected: intent.name === item.intent }));
    }
    return select;
  }

  function inboxRow(item) {
    const row = el("tr", { className: "inbox-row" });
    row.dataset.id = item.id;
    const select = intentSelect(item);
    const assign = el("button", { type: "button", className: "inbox-assign", textContent: "Gán ý định" });
    const aliasToggle = el("button", { type: "button", className: "inbox-alias-toggle", textContent: "Gán tên gọi thủ tục" });
    const dismissButton = el("button", { type: "button", className: "inbox-dismiss", textContent: "Bỏ qua" });
    const aliasPanel = aliasForm(item, row);
    assign.addEventListener("click", () => {
      if (!select.value) {
        say("inbox-status", "Hãy chọn một ý định trước khi gán.", true);
        select.focus();
        return;
      }
      decide(row, `/staff/api/learning/inbox/${item.id}/intent`, { intent: select.value });
    });
    dismissButton.addEventListener("click", () => decide(row, `/staff/api/learning/inbox/${item.id}/dismiss`, {}));
    aliasToggle.addEventListener("click", () => {
      aliasPanel.hidden = !aliasPanel.hidden;
      if (!aliasPanel.hidden) aliasPanel.querySelector("input[name=procedure-q]").focus();
    });
    row.append(
      el("td", { textContent: when(item.at) }),
      el("td", { textContent: item.channel_label }),
      el("td", { className: "inbox-text" }, [el("span", { textContent: item.text }), aliasPanel]),
      guessCell(item),
      el("td", { className: "inbox-actions" }, [select, assign, aliasToggle, dismissButton]),
    );
    return row;
  }

  function aliasForm(item, row) {
    const panel = el("div", { className: "inbox-alias", hidden: true });
    const alias = el("input", { type: "text", name: "alias", value: item.text, maxLength: 255, title: "Tên gọi người dân dùng" });
    const query = el("input", { type: "search", name: "procedure-q", placeholder: "Tìm thủ tục theo tên hoặc mã", value: item.text.slice(0, 200) });
    const choices = el("select", { name: "procedure", className: "inbox-procedure" });
    const find = el("button", { type: "button", textContent: "Tìm" });
    const save = el("button", { type: "button", className: "inbox-alias-save", textContent: "Thêm tên gọi" });
    async function search() {
      if (!query.value.trim()) return;
      try {
        const hits = await window.staffFetch("/staff/api/learning/procedures?q=" + encodeURIComponent(query.value.trim()));
        choices.replaceChildren(...hits.map((h) => el("option", { value: h.code, textContent: `${h.code} — ${h.name}` })));
        if (!hits.length) choices.append(el("option", { value: "", textContent: "Không tìm thấy thủ tục" }));
      } catch (error) {
        say("inbox-status", error.message, true);
      }
    }
    find.addEventListener("click", search);
    query.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        search();
      }
    });
    save.addEventListener("click", () => {
      if (!choices.value) {
        say("inbox-status", "Hãy tìm và chọn một thủ tục.", true);
        return;
      }
      decide(row, `/staff/api/learning/inbox/${item.id}/alias`, { procedure_code: choices.value, alias: alias.value });
    });
    panel.append(
      el("label", {}, ["Tên gọi ", alias]),
      el("label", {}, ["Thủ tục ", query]),
      find,
      choices,
      save,
    );
    return panel;
  }

  async function decide(row, url, body) {
    for (const button of row.querySelectorAll("button")) button.disabled = true;
    try {
      const result = await window.staffFetch(url, { method: "POST", body });
      say("inbox-status", result.message, false);
      row.remove();
      $("inbox-pending").textContent = result.pending;
      if (!$("inbox-rows").children.length) loadInbox();
      loadRetrain();
    } catch (error) {
      say("inbox-status", error.message, true);
      for (const button of row.querySelectorAll("button")) button.disabled = false;
    }
  }

  $("inbox-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    loadInbox();
  });
  $("inbox-prev").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    loadInbox();
  });
  $("inbox-next").addEventListener("click", () => {
    offset += PAGE;
    loadInbox();
  });

  // --- retrain -------------------------------------------------------------------------------
  async function loadRetrain() {
    try {
      renderRetrain(await window.staffFetch("/staff/api/learning/retrain"));
    } catch (error) {
      say("retrain-status", error.message, true);
    }
  }

  function renderJob(job) {
    $("retrain-current").hidden = false;
    $("retrain-job-title").textContent = `Lượt #${job.id} — ${job.status_label} (${job.started_by})`;
    const index = STAGES.indexOf(job.stage);
    for (const item of $("retrain-stages").children) {
      const position = STAGES.indexOf(item.dataset.stage);
      const finished = job.stage === "done" || position < index;
      item.classList.toggle("done", finished);
      item.classList.toggle("current", position === index && job.status === "running");
      item.classList.toggle("failed", position === index && job.status === "failed");
    }
    $("retrain-components").textContent = job.components_total
      ? `(${job.components_done}/${job.components_total} thành phần)`
      : "";
    $("retrain-progress").value = job.progress;
    $("retrain-percent").textContent = `${job.progress}%`;
    $("retrain-message").textContent = job.message || job.stage_label;
    $("retrain-log").textContent = job.log_tail || "";
  }

  function jobRow(job) {
    const cand = job.candidate_scores || {};
    const cur = job.current_scores || {};
    const row = el("tr", { className: `job-row job-${job.status}` }, [
      el("td", { textContent: job.id }),
      el("td", { textContent: when(job.started_at || job.created_at) }),
      el("td", { textContent: job.started_by }),
      el("td", { className: "job-status", textContent: job.status_label }),
      el("td", { textContent: `${score(cand.macro_f1)} / ${score(cur.macro_f1)}` }),
      el("td", { textContent: `${score(cand.accuracy)} / ${score(cur.accuracy)}` }),
      el("td", { textContent: job.message || job.stage_label }),
    ]);
    row.dataset.id = job.id;
    return row;
  }

  function modelRow(model) {
    return el("tr", { className: model.active ? "model-active" : "" }, [
      el("td", { textContent: model.name }),
      el("td", { textContent: score(model.macro_f1) }),
      el("td", { textContent: score(model.accuracy) }),
      el("td", { textContent: when(model.activated_at) }),
      el("td", { textContent: model.active ? "Đang chạy" : "" }),
    ]);
  }

  function renderRetrain(data) {
    $("learned-count").textContent = data.learned_examples;
    $("jobs-rows").replaceChildren(...data.jobs.map(jobRow));
    $("models-rows").replaceChildren(...data.models.map(modelRow));
    const start = $("retrain-start");
    start.disabled = data.running !== null || !data.available;
    if (!data.available) say("retrain-status", "Máy chủ này không có môi trường Rasa nên không huấn luyện lại được.", true);
    if (data.jobs.length) renderJob(data.jobs.find((j) => j.id === data.running) || data.jobs[0]);
    schedulePoll(data.running !== null);
  }

  function schedulePoll(active) {
    clearTimeout(pollTimer);
    // Fast while a job runs, so progress moves; nothing to poll otherwise.
    if (active) pollTimer = setTimeout(loadRetrain, 1500);
  }

  $("retrain-start").addEventListener("click", async () => {
    $("retrain-start").disabled = true;
    try {
      const job = await window.staffFetch("/staff/api/learning/retrain", { method: "POST" });
      say("retrain-status", `Đã bắt đầu lượt huấn luyện #${job.id}. Có thể đóng trang; công việc vẫn chạy.`, false);
    } catch (error) {
      say("retrain-status", error.message, true);
    }
    loadRetrain();
  });

  loadInbox();
  loadRetrain();
})();
