// The report's browser side, inlined into each report.html beside uPlot: draws every chart
// from the embedded model, with the run's timeline on each one (stages as dashed lines, fault
// windows shaded and hatched with their label, canary steps and decisions as marked lines).
// Plain JavaScript for the browser: it is not compiled, only inlined.
(function () {
  'use strict';
  const model = JSON.parse(document.getElementById('report-model').textContent);
  const PALETTE = ['#1f5fbf', '#c2410c', '#15803d', '#7e22ce', '#b45309', '#0e7490', '#be123c', '#4d7c0f'];
  const MARK_COLOURS = { 'canary-weight': '#0e7490', decision: '#7e22ce', abort: '#b91c1c', note: '#52525b' };
  const report = (window.__report = { charts: {}, ready: false });

  // Percentile charts put x on -log10(1 - p): 90 % at 1, 99 % at 2, 99.9 % at 3.
  const toTail = (p) => -Math.log10(1 - p / 100);
  const fromTail = (x) => 100 * (1 - Math.pow(10, -x));
  const formatPercent = (p) => (p >= 99 ? String(Math.round(p * 1000) / 1000) : String(Math.round(p))) + ' %';

  function hatch(ctx) {
    const tile = document.createElement('canvas');
    tile.width = tile.height = 8;
    const t = tile.getContext('2d');
    t.strokeStyle = 'rgba(185, 28, 28, 0.35)';
    t.lineWidth = 1.5;
    t.beginPath();
    t.moveTo(0, 8);
    t.lineTo(8, 0);
    t.stroke();
    return ctx.createPattern(tile, 'repeat');
  }

  /** uPlot plugin: the timeline under the series (faults, stages) and marks over them. */
  function timelinePlugin(chartId) {
    const timeline = model.timeline;
    const drawn = (report.charts[chartId].bands = []);
    return {
      hooks: {
        drawClear: [
          (u) => {
            const { ctx, bbox } = u;
            const px = window.devicePixelRatio || 1;
            drawn.length = 0;
            ctx.save();
            ctx.beginPath();
            ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
            ctx.clip();
            for (const fault of timeline.faults) {
              const x0 = u.valToPos(fault.from, 'x', true);
              const x1 = u.valToPos(fault.to, 'x', true);
              ctx.fillStyle = 'rgba(254, 202, 202, 0.55)';
              ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, 2 * px), bbox.height);
              ctx.fillStyle = hatch(ctx);
              ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, 2 * px), bbox.height);
              ctx.fillStyle = '#7f1d1d';
              ctx.font = `${11 * px}px system-ui, sans-serif`;
              ctx.fillText(`fault: ${fault.label}${fault.reverted ? '' : ' (not reverted)'}`, x0 + 3 * px, bbox.top + 12 * px);
              drawn.push({ label: fault.label, from: fault.from, to: fault.to, left: x0 / px, right: x1 / px });
            }
            ctx.setLineDash([4 * px, 4 * px]);
            ctx.strokeStyle = '#a1a1aa';
            ctx.lineWidth = px;
            ctx.fillStyle = '#52525b';
            ctx.font = `${10 * px}px system-ui, sans-serif`;
            timeline.stages.forEach((stage, i) => {
              if (i === 0 && stage.t === 0) return;
              const x = Math.round(u.valToPos(stage.t, 'x', true));
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
              ctx.fillText(`stage ${i + 1}`, x + 2 * px, bbox.top + bbox.height - 4 * px);
            });
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            const px = window.devicePixelRatio || 1;
            ctx.save();
            ctx.lineWidth = 1.5 * px;
            ctx.font = `${10 * px}px system-ui, sans-serif`;
            timeline.marks.forEach((mark, i) => {
              const x = Math.round(u.valToPos(mark.t, 'x', true));
              if (x < bbox.left || x > bbox.left + bbox.width) return;
              ctx.strokeStyle = ctx.fillStyle = MARK_COLOURS[mark.kind] || '#52525b';
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
              // Marks are numbered; the timeline table below the charts says what each was.
              ctx.fillText(`${mark.kind === 'abort' ? '✗' : '◆'} ${i + 1}`, x + 3 * px, bbox.top + 24 * px + (i % 3) * 11 * px);
            });
            ctx.restore();
          },
        ],
      },
    };
  }

  function draw(spec, index) {
    const figure = document.getElementById(`chart-${spec.id}`);
    const holder = figure.querySelector('.plot');
    const points = spec.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
    report.charts[spec.id] = { points, series: spec.series.length, bands: [], colours: [] };
    if (points === 0) {
      holder.textContent = 'No data for this chart in the run record.';
      return;
    }
    const percentile = spec.kind === 'percentile';
    const x = percentile ? spec.x.map(toTail) : spec.x;
    const colours = spec.series.map((_, i) => PALETTE[(i + (percentile ? 0 : index)) % PALETTE.length]);
    report.charts[spec.id].colours = colours;
    const options = {
      width: Math.max(320, holder.clientWidth),
      height: 240,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      // Every time chart spans the whole run, so charts line up and the timeline falls in view.
      scales: { x: percentile ? { time: false } : { time: false, range: [0, model.timeline.end] } },
      axes: [
        {
          label: percentile ? 'percentile' : 'seconds since start',
          values: percentile ? (u, ticks) => ticks.map((t) => formatPercent(fromTail(t))) : undefined,
          incrs: percentile ? [1] : undefined,
        },
        { label: spec.unit, size: 60 },
      ],
      series: [
        { label: percentile ? 'percentile' : 't (s)', value: percentile ? (u, v) => (v == null ? '' : formatPercent(fromTail(v))) : undefined },
        // Points are uPlot's default: shown where the data is sparse enough to see them.
        ...spec.series.map((s, i) => ({ label: s.label, stroke: colours[i], width: 1.5, spanGaps: false })),
      ],
      plugins: percentile ? [] : [timelinePlugin(spec.id)],
    };
    const plot = new uPlot(options, [x, ...spec.series.map((s) => s.values)], holder);
    report.charts[spec.id].plot = plot;
    new ResizeObserver(() => plot.setSize({ width: Math.max(320, holder.clientWidth), height: 240 })).observe(holder);
  }

  model.charts.forEach(draw);
  // uPlot commits its drawing in a microtask: the next frame comes after every chart is drawn.
  requestAnimationFrame(() => {
    report.readyAt = performance.now();
    report.ready = true;
  });
})();
