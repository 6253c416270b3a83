/* Charts of the dashboard pages: each element with data-chart="kind" reads the JSON in the
   <script type="application/json" id="data-source"> it names and gets an ECharts instance. */
(function () {
  "use strict";
  var DAY = 86400000;
  function niceCeil(x) {
    var step = Math.pow(10, Math.floor(Math.log10(x)));
    return [1, 2, 2.5, 5, 10].map(function (m) { return m * step; })
      .filter(function (v) { return v >= x; })[0];
  }
  function ms(day) { return day ? Date.parse(day + "T00:00:00") : null; }
  // A tooltip formatter's string is inserted as HTML: every value in it is escaped first
  // (names come from users: an operation called <img onerror=...> must stay text).
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" };
  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  function ganttRows(d) {
    var rows = [];
    d.stages.forEach(function (s) { rows.push({ name: s.name, bar: s }); });
    d.operations.forEach(function (o) { rows.push({ name: "工序·" + o.name, bar: o }); });
    return rows;
  }

  function rect(shift) {
    return function (params, api) {
      var start = api.coord([api.value(1), api.value(0)]);
      var end = api.coord([api.value(2), api.value(0)]);
      var h = api.size([0, 1])[1] * 0.32;
      var shape = echarts.graphic.clipRectByRect(
        { x: start[0], y: shift < 0 ? start[1] - h - 1 : start[1] + 1,
          width: Math.max(end[0] - start[0], 3), height: h },
        { x: params.coordSys.x, y: params.coordSys.y,
          width: params.coordSys.width, height: params.coordSys.height });
      return shape && { type: "rect", shape: shape, style: api.style() };
    };
  }

  var builders = {
    gantt: function (d) {
      var rows = ganttRows(d), today = ms(d.day), planned = [], actual = [], span = [today];
      rows.forEach(function (r, i) {
        var b = r.bar;
        if (b.planned_start && b.planned_end) {
          planned.push([i, ms(b.planned_start), ms(b.planned_end) + DAY, r.name]);
        }
        if (b.actual_start) {
          var end = b.actual_end ? ms(b.actual_end) + DAY : today + DAY;
          actual.push([i, ms(b.actual_start), end, r.name]);
        }
      });
      planned.concat(actual).forEach(function (v) { span.push(v[1], v[2]); });
      var series = function (name, data, color, shift) {
        return { type: "custom", name: name, data: data, renderItem: rect(shift),
          itemStyle: { color: color }, encode: { x: [1, 2], y: 0 } };
      };
      var plan = series("计划", planned, "#9fb8dc", -1);
      plan.markLine = { symbol: "none", silent: true, data: [{ xAxis: today }],
        label: { formatter: "今天", position: "start" }, lineStyle: { color: "#c0392b" } };
      return {
        tooltip: { formatter: function (p) {
          var v = p.value, f = function (t) { return new Date(t).toISOString().slice(0, 10); };
          return esc(p.seriesName) + " · " + esc(v[3]) + "<br>" +
            esc(f(v[1])) + " ~ " + esc(f(v[2] - DAY));
        } },
        legend: { top: 0, left: 0 },
        grid: { left: 96, right: 16, top: 52, bottom: 24 },
        xAxis: { type: "time", min: Math.min.apply(null, span) - DAY,
          max: Math.max.apply(null, span) + DAY, axisLabel: { hideOverlap: true } },
        yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }),
          axisLabel: { width: 88, overflow: "truncate" } },
        series: [plan, series("实际", actual, "#2e7d32", 1)]
      };
    },
    output: function (d) {
      var ops = d.operations, neck = d.bottleneck ? d.bottleneck.operation_id : null;
      var actual = ops.map(function (o) {
        return o.id === neck
          ? { value: o.actual_cum, itemStyle: { color: "#c0392b" },
              label: { show: true, position: "top", formatter: "瓶颈", color: "#c0392b" } }
          : o.actual_cum;
      });
      return {
        tooltip: { trigger: "axis" },
        legend: { top: 0, left: 0 },
        grid: { left: 40, right: 8, top: 34, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: ops.map(function (o) { return o.name; }),
          axisLabel: { interval: 0, rotate: ops.length > 4 ? 40 : 0 } },
        yAxis: { type: "value" },
        series: [
          { type: "bar", name: "累计计划", data: ops.map(function (o) { return o.planned_cum; }),
            itemStyle: { color: "#9fb8dc" } },
          { type: "bar", name: "累计实际", data: actual, itemStyle: { color: "#2e7d32" } }
        ]
      };
    },
    kpi: function (k) {
      var values = k.trend.map(function (p) { return p.value; });
      var empty = values.every(function (v) { return v === null; });
      var line = { type: k.key === "shortages" ? "bar" : "line", name: k.name,
        connectNulls: true, showSymbol: true, symbol: "circle", symbolSize: 8, data: values,
        itemStyle: { color: "#1f4e8c" }, label: { show: true, position: "top" } };
      var axis = { type: "value" };
      if (k.key === "on_time") { axis.min = 0; axis.max = 100; }
      if (k.key === "satisfaction") { axis.min = 1; axis.max = 5; }
      if (k.target !== null) {
        line.markLine = { symbol: "none", silent: true, data: [{ yAxis: k.target }],
          label: { formatter: "目标 " + k.target, position: "insideEndTop" },
          lineStyle: { color: "#c0392b", type: "dashed" } };
        if (axis.max === undefined) {
          axis.max = function (v) { return niceCeil(Math.max(v.max, k.target) * 1.2); };
        }
      }
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: k.trend.map(function (p) { return p.month; }) },
        yAxis: axis,
        graphic: empty ? [{ type: "text", left: "center", top: "middle",
          style: { text: "暂无数据", fill: "#8f959e", fontSize: 14 } }] : [],
        series: [line]
      };
    }
  };

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    // The height travels in data-height: the CSP allows no inline style attributes.
    if (el.dataset.height) el.style.height = el.dataset.height + "px";
    var chart = echarts.init(el);
    var option = builders[el.getAttribute("data-chart")](JSON.parse(source.textContent));
    // Phones are slow and the figures matter more than the motion.
    option.animation = false;
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
