// farm dashboard: the build page's stage graph (svg#stage-graph).
// A layered drawing, left to right: a stage's layer is the longest path to
// it from a stage with no dependencies, and the stages of a layer are
// ordered by the barycentre of their neighbours, which removes most edge
// crossings in a few sweeps. Nodes keep a fixed, readable size; a big
// graph makes the SVG bigger and its container scrolls.
'use strict';

(() => {
  const Farm = (window.Farm = window.Farm || {});
  const { esc } = Farm;

  const NODE_W = 176;
  const NODE_H = 48;
  const GAP_X = 64; // between layers; room for the edge curves
  const GAP_Y = 14;
  const PAD = 16;
  const PLATFORM_LABEL_H = 24;

  function stageTitle(stage) {
    return stage.name ? stage.name : `stage ${stage.display || stage.index}`;
  }

  function truncate(text, max) {
    const s = String(text);
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
  }

  // What the second line of a node says about its progress.
  function stageStatus(stage, now) {
    const parts = [stage.state];
    if (stage.worker) parts.push(stage.worker);
    if (stage.started_ms) {
      const end = stage.finished_ms || (stage.state === 'running' ? now : 0);
      if (end) parts.push(Farm.fmtDuration(end - stage.started_ms));
    }
    return parts.join(' · ');
  }

  function stageTooltip(stage, platform, now) {
    const lines = [`${stageTitle(stage)} (stage ${stage.index})`];
    if (platform) lines.push(`platform ${platform}`);
    lines.push(`FROM ${stage.base || '?'}`);
    lines.push(stageStatus(stage, now));
    const n = (stage.instructions || []).length;
    if (n) lines.push(`${n} instruction${n === 1 ? '' : 's'}, from line ${stage.from_line}`);
    return lines.join('\n');
  }

  // ---------------------------------------------------------------------
  // Layout of one platform's stages.
  // ---------------------------------------------------------------------

  function layers(stages) {
    const byIndex = new Map(stages.map((s) => [s.index, s]));
    const layerOf = new Map();
    const visiting = new Set();
    // Longest path from a root; a dependency cycle (which a valid plan never
    // has) is cut rather than recursed into forever.
    const depth = (s) => {
      if (layerOf.has(s.index)) return layerOf.get(s.index);
      if (visiting.has(s.index)) return 0;
      visiting.add(s.index);
      let d = 0;
      for (const dep of s.depends_on || []) {
        const parent = byIndex.get(dep);
        if (parent && parent !== s) d = Math.max(d, depth(parent) + 1);
      }
      visiting.delete(s.index);
      layerOf.set(s.index, d);
      return d;
    };
    const result = [];
    for (const s of [...stages].sort((a, b) => a.index - b.index)) {
      const d = depth(s);
      (result[d] = result[d] || []).push(s);
    }
    return { layers: result.filter(Boolean), byIndex, layerOf };
  }

  // Barycentre sweeps: down by parents' positions, up by children's.
  function order(layerList, byIndex) {
    const pos = new Map();
    const children = new Map();
    for (const layer of layerList) {
      layer.forEach((s, i) => pos.set(s.index, i));
      for (const s of layer) {
        for (const dep of s.depends_on || []) {
          if (!byIndex.has(dep)) continue;
          if (!children.has(dep)) children.set(dep, []);
          children.get(dep).push(s.index);
        }
      }
    }
    const sortLayer = (layer, neighbours) => {
      const key = new Map();
      for (const s of layer) {
        const ns = neighbours(s).filter((n) => pos.has(n));
        key.set(s.index, ns.length ? ns.reduce((sum, n) => sum + pos.get(n), 0) / ns.length : pos.get(s.index));
      }
      layer.sort((a, b) => key.get(a.index) - key.get(b.index) || pos.get(a.index) - pos.get(b.index));
      layer.forEach((s, i) => pos.set(s.index, i));
    };
    const parents = (s) => s.depends_on || [];
    const kids = (s) => children.get(s.index) || [];
    for (let round = 0; round < 3; round++) {
      for (let i = 1; i < layerList.length; i++) sortLayer(layerList[i], parents);
      for (let i = layerList.length - 2; i >= 0; i--) sortLayer(layerList[i], kids);
    }
    for (let i = 1; i < layerList.length; i++) sortLayer(layerList[i], parents);
  }

  // Positions every stage of every platform; platforms stack vertically.
  function layout(platforms) {
    const blocks = [];
    let y = PAD;
    let width = 0;
    const labelled = platforms.length > 1 || platforms.some((p) => p.platform);
    for (const p of platforms) {
      const stages = p.stages || [];
      const { layers: layerList, byIndex, layerOf } = layers(stages);
      order(layerList, byIndex);
      const rows = Math.max(1, ...layerList.map((l) => l.length));
      const top = y + (labelled ? PLATFORM_LABEL_H : 0);
      const blockH = rows * NODE_H + (rows - 1) * GAP_Y;
      const at = new Map();
      const layerTops = []; // per layer, the y of each node's top edge
      layerList.forEach((layer, li) => {
        // Shorter layers are centred against the tallest one.
        const offset = ((rows - layer.length) * (NODE_H + GAP_Y)) / 2;
        layerTops[li] = [];
        layer.forEach((s, i) => {
          const y = top + offset + i * (NODE_H + GAP_Y);
          at.set(s.index, { x: PAD + li * (NODE_W + GAP_X), y });
          layerTops[li].push(y);
        });
      });
      width = Math.max(width, PAD * 2 + layerList.length * NODE_W + Math.max(0, layerList.length - 1) * GAP_X);
      blocks.push({ platform: p, at, byIndex, layerOf, layerTops, labelY: labelled ? y + 15 : null, top });
      y = top + blockH + PAD * 2;
    }
    return { blocks, width: Math.max(width, 200), height: Math.max(y - PAD, 80) };
  }

  // ---------------------------------------------------------------------
  // Drawing. The full drawing happens only when the graph's shape changes;
  // state changes update the existing nodes in place, so the running
  // pulse does not restart and element references stay valid.
  // ---------------------------------------------------------------------

  // An edge that skips layers would cut through the nodes in between, so it
  // crosses each skipped layer horizontally at its straight-line height,
  // moved into the nearest gap between nodes when a node is there.
  function freeY(tops, y) {
    for (const t of tops) {
      if (y > t - 5 && y < t + NODE_H + 5) {
        const above = t - GAP_Y / 2;
        const below = t + NODE_H + GAP_Y / 2;
        return y - above < below - y ? above : below;
      }
    }
    return y;
  }

  function edgePath(block, dep, index) {
    const from = block.at.get(dep);
    const to = block.at.get(index);
    const la = block.layerOf.get(dep);
    const lb = block.layerOf.get(index);
    const y1 = from.y + NODE_H / 2;
    const y2 = to.y + NODE_H / 2;
    const pts = [[from.x + NODE_W, y1]];
    for (let l = la + 1; l < lb; l++) {
      const y = freeY(block.layerTops[l] || [], y1 + ((y2 - y1) * (l - la)) / (lb - la));
      const lx = PAD + l * (NODE_W + GAP_X);
      pts.push([lx - 8, y], [lx + NODE_W + 8, y]);
    }
    pts.push([to.x - 4, y2]);
    let d = `M${pts[0][0]},${pts[0][1]}`;
    for (let i = 1; i < pts.length; i++) {
      const [xa, ya] = pts[i - 1];
      const [xb, yb] = pts[i];
      if (ya === yb) {
        d += ` L${xb},${yb}`;
      } else {
        const dx = Math.max(12, (xb - xa) / 2);
        d += ` C${xa + dx},${ya} ${xb - dx},${yb} ${xb},${yb}`;
      }
    }
    return d;
  }

  function nodeHtml(stage, platform, pos, isTarget, now) {
    const cls = `stage state-${esc(stage.state)}${isTarget ? ' target' : ''}`;
    return (
      `<g class="${cls}" data-stage-index="${esc(stage.index)}" data-state="${esc(stage.state)}" ` +
      `data-platform="${esc(platform)}" transform="translate(${pos.x},${pos.y})" tabindex="0">` +
      `<title>${esc(stageTooltip(stage, platform, now))}</title>` +
      `<rect class="node" width="${NODE_W}" height="${NODE_H}" rx="7"></rect>` +
      `<rect class="bar" width="5" height="${NODE_H}" rx="2"></rect>` +
      `<text class="name" x="14" y="20">${esc(truncate(stageTitle(stage), 21))}</text>` +
      (isTarget ? `<text class="target-mark" x="${NODE_W - 8}" y="20" text-anchor="end">target</text>` : '') +
      `<text class="sub" x="14" y="38">${esc(truncate(stageStatus(stage, now), 28))}</text>` +
      '</g>'
    );
  }

  function shapeKey(platforms) {
    return JSON.stringify(
      platforms.map((p) => [p.platform, p.target_stage, (p.stages || []).map((s) => [s.index, s.name, s.depends_on])]),
    );
  }

  function fullRender(svg, platforms, now) {
    const { blocks, width, height } = layout(platforms);
    const parts = [
      '<defs><marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">' +
        '<path d="M0,0 L10,5 L0,10 z" class="arrow"></path></marker></defs>',
    ];
    for (const block of blocks) {
      const p = block.platform;
      if (block.labelY !== null) {
        parts.push(`<text class="platform-label" x="${PAD}" y="${block.labelY}">${esc(p.platform || 'default platform')}</text>`);
      }
      // Edges first so the nodes cover their ends.
      for (const s of p.stages || []) {
        for (const dep of s.depends_on || []) {
          if (!block.at.has(dep) || !block.at.has(s.index) || dep === s.index) continue;
          parts.push(
            `<path class="edge" data-from="${esc(dep)}" data-to="${esc(s.index)}" data-platform="${esc(p.platform)}" ` +
              `d="${edgePath(block, dep, s.index)}" marker-end="url(#graph-arrow)"></path>`,
          );
        }
      }
      for (const s of p.stages || []) {
        parts.push(nodeHtml(s, p.platform || '', block.at.get(s.index), s.index === p.target_stage, now));
      }
    }
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.innerHTML = parts.join('');
  }

  function updateInPlace(svg, platforms, now) {
    for (const p of platforms) {
      for (const s of p.stages || []) {
        const g = svg.querySelector(
          `g.stage[data-platform="${CSS.escape(p.platform || '')}"][data-stage-index="${CSS.escape(String(s.index))}"]`,
        );
        if (!g) continue;
        if (g.dataset.state !== s.state) {
          g.dataset.state = s.state;
          g.setAttribute('class', `stage state-${s.state}${s.index === p.target_stage ? ' target' : ''}${g.classList.contains('selected') ? ' selected' : ''}`);
        }
        g.querySelector('title').textContent = stageTooltip(s, p.platform || '', now);
        g.querySelector('text.sub').textContent = truncate(stageStatus(s, now), 28);
      }
    }
  }

  // Draws `platforms` (the build detail's) into svg; `now` is the server's
  // time, for running stages' durations.
  function render(svg, platforms, now) {
    platforms = platforms || [];
    const key = shapeKey(platforms);
    if (svg.dataset.shape === key && svg.querySelector('g.stage')) {
      updateInPlace(svg, platforms, now);
    } else {
      fullRender(svg, platforms, now);
      svg.dataset.shape = key;
    }
    if (!platforms.some((p) => (p.stages || []).length)) {
      svg.innerHTML = `<text class="empty-label" x="${PAD}" y="30">no stages planned yet</text>`;
      svg.setAttribute('width', 300);
      svg.setAttribute('height', 50);
      svg.setAttribute('viewBox', '0 0 300 50');
      delete svg.dataset.shape;
    }
  }

  // Marks one stage as selected (the build page highlights its lines).
  function select(svg, platform, index) {
    for (const g of svg.querySelectorAll('g.stage.selected')) g.classList.remove('selected');
    if (index === null || index === undefined) return;
    const g = svg.querySelector(
      `g.stage[data-platform="${CSS.escape(platform || '')}"][data-stage-index="${CSS.escape(String(index))}"]`,
    );
    if (g) g.classList.add('selected');
  }

  // Scrolls the graph's container to the first node matching `selector`
  // (a running or failed stage), so a big graph opens where things happen.
  function reveal(svg, wrap, selector) {
    const g = svg.querySelector(selector);
    if (!g) return false;
    const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(g.getAttribute('transform') || '');
    if (!m) return false;
    const x = Number(m[1]);
    const y = Number(m[2]);
    if (x + NODE_W > wrap.scrollLeft + wrap.clientWidth || x < wrap.scrollLeft) wrap.scrollLeft = Math.max(0, x - wrap.clientWidth / 3);
    if (y + NODE_H > wrap.scrollTop + wrap.clientHeight || y < wrap.scrollTop) wrap.scrollTop = Math.max(0, y - wrap.clientHeight / 3);
    return true;
  }

  Farm.graph = { render, select, reveal, layout };
})();
