/* Grouped bar charts drawn by the vendored ECharts: every element with class "chart" and a
   data-source attribute naming a JSON script tag {names: [...], series: [{name, data}], unit}. */
(function () {
  if (!window.echarts) return;
  var colors = ['#9aa5b1', '#3370ff', '#d83931', '#2ea121'];
  document.querySelectorAll('.chart[data-source]').forEach(function (el) {
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: 'axis'},
      legend: {top: 0, data: data.series.map(function (s) { return s.name; })},
      grid: {left: 10, right: 10, top: 36, bottom: 10, containLabel: true},
      xAxis: {type: 'category', data: data.names, axisLabel: {interval: 0}},
      yAxis: {type: 'value', name: data.unit || ''},
      series: data.series.map(function (s, i) {
        return {name: s.name, type: 'bar', data: s.data.map(function (v) {
          return v === null ? null : Number(v);
        }), itemStyle: {color: colors[i % colors.length]}};
      })
    });
    window.addEventListener('resize', function () { chart.resize(); });
  });
})();
