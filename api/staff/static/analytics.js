// Analytics page: reads the filters from the address bar (so a view can be bookmarked or sent),
// fetches /staff/api/analytics, draws the charts with the vendored Chart.js and fills the tables.
// Data is only ever inserted with textContent.
(function () {
  "use strict";

  var API = "/staff/api/analytics";
  var CSV = "/staff/api/analytics.csv";
  var FILTERS = ["from", "to", "channel", "unit"];
  var COLORS = ["#b3261e", "#1d4e89", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#c2185b", "#546e7a", "#9e9d24"];
  var number = new Intl.NumberFormat("vi-VN");
  var percent = new Intl.NumberFormat("vi-VN", { style: "percent", maximumFractionDigits: 1 });
  var decimal = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 });
  var charts = {};

  var form = document.getElementById("analytics-filters");
  var status = document.getElementById("analytics-status");
  var csvLink = document.getElementById("analytics-csv");
  var unitSelect = document.getElementById("filter-unit");

  function fmt(value, kind) {
    if (value === null || value === undefined) return "–";
    if (kind === "rate") return percent.format(value);
    if (kind === "seconds") return duration(value);
    if (kind === "decimal") return decimal.format(value);
    return number.format(value);
  }

  function duration(seconds) {
    var s = Math.round(seconds);
    if (s < 60) return s + " giây";
    var minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes + " phút " + (s % 60) + " giây";
    return Math.floor(minutes / 60) + " giờ " + (minutes % 60) + " phút";
  }

  function dayLabel(iso) {
    var parts = iso.split("-");
    return parts[2] + "/" + parts[1];
  }

  function query() {
    var params = new URLSearchParams();
    FILTERS.forEach(function (name) {
      var value = form.elements[name].value;
      if (value) params.set(name, value);
    });
    return params.toString();
  }

  // textColumns: indexes of cells that hold words (left-aligned); the others hold numbers.
  function fillRows(id, rows, textColumns) {
    var body = document.getElementById(id);
    body.replaceChildren();
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = body.closest("table").querySelectorAll("thead th").length;
      td.className = "analytics-empty";
      td.textContent = "Chưa có số liệu trong khoảng thời gian này.";
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (cell, i) {
        var td = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) td.scope = "row";
        if (textColumns && textColumns.indexOf(i) >= 0) td.className = "analytics-text";
        td.textContent = cell;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign(
      {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: config.data.datasets.length > 1 } },
      },
      config.options || {}
    );
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  function bar(id, labels, datasets, horizontal) {
    draw(id, {
      type: "bar",
      data: {
        labels: labels,
        datasets: datasets.map(function (set, i) {
          return { label: set.label, data: set.data, backgroundColor: set.color || COLORS[i % COLORS.length] };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function shorten(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  function renderTotals(data) {
    var kinds = {
      fallback_rate: "rate",
      handoff_rate: "rate",
      wait_median_seconds: "seconds",
      wait_p90_seconds: "seconds",
      rating_average: "decimal",
    };
    document.querySelectorAll("[data-total]").forEach(function (dd) {
      var key = dd.getAttribute("data-total");
      dd.textContent = fmt(data.totals[key], kinds[key]);
    });
    document.getElementById("analytics-period").textContent =
      "(" + dayLabel(data.start) + "/" + data.start.slice(0, 4) + " – " + dayLabel(data.end) + "/" + data.end.slice(0, 4) + ")";
  }

  function renderDays(data) {
    draw("chart-days", {
      type: "line",
      data: {
        labels: data.days.map(function (d) { return dayLabel(d.date); }),
        datasets: [
          { label: "Cuộc trò chuyện", data: data.days.map(function (d) { return d.conversations; }), borderColor: COLORS[0], backgroundColor: COLORS[0] },
          { label: "Tin nhắn", data: data.days.map(function (d) { return d.messages; }), borderColor: COLORS[1], backgroundColor: COLORS[1] },
          { label: "Gặp cán bộ", data: data.days.map(function (d) { return d.handoffs; }), borderColor: COLORS[3], backgroundColor: COLORS[3] },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    fillRows("table-days", data.days.map(function (d) {
      return [dayLabel(d.date), fmt(d.conversations), fmt(d.messages), fmt(d.fallbacks), fmt(d.handoffs)];
    }));
  }

  function renderRanked(data) {
    bar("chart-procedures",
      data.top_procedures.map(function (p) { return shorten(p.label, 40); }),
      [{ label: "Tin nhắn", data: data.top_procedures.map(function (p) { return p.messages; }) }],
      true);
    fillRows("table-procedures", data.top_procedures.map(function (p) {
      return [p.key, p.label, fmt(p.messages), fmt(p.conversations)];
    }), [1]);
    bar("chart-intents",
      data.top_intents.map(function (i) { return i.label; }),
      [{ label: "Tin nhắn", data: data.top_intents.map(function (i) { return i.messages; }), color: COLORS[1] }],
      true);
    fillRows("table-intents", data.top_intents.map(function (i) {
      return [i.label, fmt(i.messages), fmt(i.conversations)];
    }));
  }

  function renderRatings(data) {
    var scores = ["1", "2", "3", "4", "5"];
    bar("chart-ratings",
      scores.map(function (s) { return s + " sao"; }),
      [{ label: "Lượt đánh giá", data: scores.map(function (s) { return data.rating_distribution[s] || 0; }), color: COLORS[2] }]);
    var rows = scores.map(function (s) { return [s + " sao", fmt(data.rating_distribution[s] || 0)]; });
    rows.push(["Trung bình", fmt(data.totals.rating_average, "decimal")]);
    fillRows("table-ratings", rows);
  }

  function groupRow(g) {
    return [
      g.label,
      fmt(g.conversations),
      fmt(g.messages),
      fmt(g.fallback_rate, "rate"),
      fmt(g.handoffs) + (g.handoff_rate === null ? "" : " (" + fmt(g.handoff_rate, "rate") + ")"),
      g.ratings ? fmt(g.rating_average, "decimal") + " (" + fmt(g.ratings) + " lượt)" : "–",
      fmt(g.callbacks || 0),
    ];
  }

  function renderGroups(data) {
    bar("chart-channels",
      data.channels.map(function (c) { return c.label; }),
      [
        { label: "Cuộc trò chuyện", data: data.channels.map(function (c) { return c.conversations; }) },
        { label: "Gặp cán bộ", data: data.channels.map(function (c) { return c.handoffs; }), color: COLORS[3] },
      ]);
    fillRows("table-channels", data.channels.map(groupRow));
    fillRows("table-units", data.units.map(groupRow));
  }

  function renderUnitChoices(data) {
    var current = unitSelect.value || data.unit || "";
    var keep = unitSelect.options[0];
    unitSelect.replaceChildren(keep);
    var units = data.available_units.slice();
    if (current && units.indexOf(current) < 0) units.push(current);
    units.forEach(function (unit) {
      var option = document.createElement("option");
      option.value = unit;  // the unit's official code; officers pick it by its name
      option.textContent = (data.unit_labels && data.unit_labels[unit]) || unit;
      unitSelect.appendChild(option);
    });
    unitSelect.value = current;
  }

  function load() {
    var q = query();
    csvLink.href = CSV + (q ? "?" + q : "");
    status.textContent = "Đang tải số liệu…";
    status.classList.remove("analytics-error");
    return window.staffFetch(API + (q ? "?" + q : ""))
      .then(function (response) { return response && typeof response.json === "function" ? response.json() : response; })
      .then(function (data) {
        if (!form.elements.from.value) form.elements.from.value = data.start;
        if (!form.elements.to.value) form.elements.to.value = data.end;
        renderUnitChoices(data);
        renderTotals(data);
        renderDays(data);
        renderRanked(data);
        renderRatings(data);
        renderGroups(data);
        status.textContent = "Đã cập nhật số liệu.";
        document.getElementById("analytics").setAttribute("data-loaded", "true");
      })
      .catch(function (error) {
        status.textContent = error && error.message ? error.message : "Không tải được số liệu, xin thử lại.";
        status.classList.add("analytics-error");
      });
  }

  function start() {
    var params = new URLSearchParams(window.location.search);
    FILTERS.forEach(function (name) {
      var value = params.get(name);
      if (!value) return;
      if (name === "unit") {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        unitSelect.appendChild(option);
      }
      form.elements[name].value = value;
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = query();
      window.history.replaceState(null, "", window.location.pathname + (q ? "?" + q : ""));
      load();
    });
    load();
  }

  if (!window.Chart) {
    // The tables carry every number; without the library they still fill in.
    window.Chart = function () { return { destroy: function () {} }; };
  }
  start();
})();
