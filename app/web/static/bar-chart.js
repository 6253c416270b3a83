/* Budget against actual as grouped bars: ECharts (vendored) reading the page's JSON data. */
(function () {
  var el = document.getElementById('cost-chart');
  if (!window.echarts || !el) return;
  var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: 'axis'},
    legend: {data: ['预算', '实际']},
    grid: {left: 50, right: 10, top: 30, bottom: 25},
    xAxis: {type: 'category', data: data.names},
    yAxis: {type: 'value'},
    series: [
      {name: '预算', type: 'bar', data: data.budget.map(Number), itemStyle: {color: '#9aa5b1'}},
      {name: '实际', type: 'bar', data: data.actual.map(Number), itemStyle: {color: '#3370ff'}}
    ]
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
