// The namespaces picture's webview: draws what src/learning/namespacesPanel.ts posts, and repaints only the frames of
// the containers an update names. Every string comes from the extension, already localised.
// @ts-check
(function () {
  // @ts-expect-error acquireVsCodeApi is injected by VS Code into the webview.
  const vscode = acquireVsCodeApi();
  /** Every string, localised by the extension and carried by the page itself. @type {Record<string, string>} */
  const t = JSON.parse(document.body.dataset.strings ?? '{}');
  /** Frame of each container by key. */
  const frames = new Map();
  const root = /** @type {HTMLElement} */ (document.getElementById('containers'));
  const empty = /** @type {HTMLElement} */ (document.getElementById('empty'));
  const hostToggle = /** @type {HTMLButtonElement} */ (document.getElementById('host-toggle'));
  const hostBody = /** @type {HTMLElement} */ (document.getElementById('host-body'));
  const hostFilter = /** @type {HTMLInputElement} */ (document.getElementById('host-filter'));
  const hostList = /** @type {HTMLElement} */ (document.getElementById('host-list'));
  const hostMore = /** @type {HTMLElement} */ (document.getElementById('host-more'));
  let paints = 0;
  /** The number of the last update applied: the extension sends diffs from it (0: nothing yet). */
  let applied = 0;
  let resyncAsked = false;

  /** "{0} of {1}" → "3 of 9". */
  const format = (template, ...args) => template.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)]));

  /** An element with a class and, optionally, text. */
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- drawing one container

  function drawFrame(c) {
    const frame = frames.get(c.key) ?? el('section', 'frame');
    frame.dataset.key = c.key;
    frame.dataset.depth = String(c.depth);
    frame.dataset.paints = String(Number(frame.dataset.paints ?? 0) + 1);
    frame.setAttribute('role', 'group');
    frame.setAttribute('aria-label', format(t.frameAria, c.label, c.depth));
    // Its height while out of sight, before it was ever drawn (namespaces.css): a row is about 20 px.
    frame.style.containIntrinsicSize = `auto ${(c.processes.length + c.holders.length + 3) * 20}px`;
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.id : undefined;
    for (const old of [...frame.children]) if (!old.classList.contains('nested')) old.remove();
    const nested = frame.querySelector(':scope > .nested') ?? el('div', 'nested');

    const head = el('header', 'frame-head');
    head.append(el('span', 'frame-name', c.label), el('span', 'frame-level', format(t.levelOf, c.depth)));
    if (!c.startedHere) head.append(el('span', 'frame-note', t.discovered));
    if (c.usage) head.append(el('span', 'frame-usage', c.usage));
    if (c.network) {
      const ports = c.publish.map((p) => format(t.publishOne, ...p.split(':'))).join(', ');
      head.append(el('span', 'frame-network', (t[`network.${c.network}`] ?? c.network) + (ports ? ` · ${format(t.publishes, ports)}` : '')));
    }
    frame.append(head);

    if (c.holders.length) {
      const chain = el('ol', 'holders');
      chain.setAttribute('aria-label', t.heldBy);
      for (const h of c.holders) {
        const row = el('li', 'row holder');
        row.dataset.id = `holder:${h.id}`;
        row.dataset.hostPid = String(h.hostPid);
        row.dataset.role = h.role;
        row.tabIndex = -1;
        row.title = h.command;
        const words = t[`role.${h.role}`] ?? h.role;
        row.setAttribute('aria-label', format(t.holderAria, h.hostPid, words, t['fact.hostOnly']));
        row.append(pidCell(h.hostPid, 'host'), el('span', 'role', words), el('span', 'fact', t['fact.hostOnly']));
        chain.append(row);
      }
      frame.append(chain);
    }

    const list = el('ol', 'processes');
    const levels = el('li', 'levels');
    levels.setAttribute('aria-hidden', 'true');
    levels.append(el('span', 'pid-head host', t.host));
    for (let level = 1; level <= c.depth; level++) levels.append(el('span', 'join-head'), el('span', 'pid-head', format(t.levelOf, level)));
    list.append(levels);
    for (const p of c.processes) list.append(processRow(c, p));
    frame.append(list, nested);
    if (focused) frame.querySelector(`[data-id="${CSS.escape(focused)}"]`)?.focus();
    return frame;
  }

  function pidCell(pid, kind) {
    return el('span', `pid ${kind}`, String(pid));
  }

  function processRow(c, p) {
    const row = el('li', 'row process');
    row.dataset.id = `process:${p.id}`;
    row.dataset.container = c.key;
    row.dataset.hostPid = String(p.hostPid);
    row.dataset.pids = p.pids.join(' ');
    row.tabIndex = -1;
    row.dataset.state = p.state;
    // A zombie's row says why it is still listed when hovered, as the tree's tooltip does.
    row.title = p.facts.includes('zombie') ? `${p.command}\n${t.zombieWhy}` : p.command;
    // What the kill commands need to find the process again: its container and its identity.
    row.dataset.ref = JSON.stringify({ containerKey: c.key, hostPid: p.hostPid, startTime: p.startTime });
    row.setAttribute('aria-haspopup', 'menu');
    // A zombie's fact names its parent's host PID ("{0}"); the other facts have no placeholder.
    const facts = p.facts.map((f) => format(t[`fact.${f}`] ?? f, p.ppid));
    row.setAttribute('aria-label', format(t.processAria, p.pids[0], p.pids.slice(1).join(' / '), p.command, facts.join(', ')));
    row.append(pidCell(p.pids[0], 'host'));
    p.pids.slice(1).forEach((pid, i) => {
      row.append(el('span', 'join'), pidCell(pid, `ns l${i + 1}${pid === 1 ? ' init' : ''}`));
    });
    row.append(el('span', 'cmd', p.command));
    if (p.user) row.append(el('span', 'user', p.user));
    for (const f of facts) row.append(el('span', 'fact', f));
    return row;
  }

  // --- applying an update: only the named frames are drawn again

  /**
   * Applies an update numbered `seq`, a diff from the picture numbered `base` (0: the whole picture, which replaces
   * whatever is drawn). A diff from another picture than this page's is not applied: the page asks for the whole.
   */
  function receiveUpdate(base, seq, update) {
    if (base !== 0 && base !== applied) {
      askResync();
      return;
    }
    if (base === 0) {
      for (const frame of frames.values()) frame.remove();
      frames.clear();
    }
    apply(update);
    applied = seq;
    resyncAsked = false;
  }

  function askResync() {
    if (resyncAsked) return;
    resyncAsked = true;
    vscode.postMessage({ type: 'resync' });
  }

  function apply(update) {
    const started = performance.now();
    paints++;
    for (const key of update.removed) {
      frames.get(key)?.remove();
      frames.delete(key);
    }
    const byKey = new Map(update.changed.map((c) => [c.key, c]));
    for (const c of update.changed) frames.set(c.key, drawFrame(c));
    // Put frames in tree order, each inside its parent's; move only what is out of place.
    const place = new Map();
    for (const key of update.order) {
      const frame = frames.get(key);
      const c = byKey.get(key);
      const parentKey = c ? c.parentKey : frame.dataset.parent || null;
      if (c) frame.dataset.parent = c.parentKey ?? '';
      const parent = (parentKey && frames.get(parentKey)?.querySelector(':scope > .nested')) || root;
      const index = place.get(parent) ?? 0;
      if (parent.children[index] !== frame) parent.insertBefore(frame, parent.children[index] ?? null);
      place.set(parent, index + 1);
    }
    empty.hidden = update.order.length > 0;
    hostToggle.textContent = format(t.hostOnly, update.hostOnlyCount);
    ensureTabStop();
    document.body.dataset.paints = String(paints);
    // Read by the tests and the benchmark: how long drawing the last update took (layout comes after).
    document.body.dataset.lastPaintMs = (performance.now() - started).toFixed(1);
    if (paints === 1) document.body.dataset.firstPaintMs = document.body.dataset.lastPaintMs;
  }

  function showHostOnly(message) {
    hostList.replaceChildren(
      ...message.shown.map((p) => {
        const row = el('li', 'row host-process');
        row.dataset.id = `host:${p.hostPid}`;
        row.dataset.hostPid = String(p.hostPid);
        row.tabIndex = -1;
        row.setAttribute('aria-label', format(t.hostOnlyAria, p.hostPid, p.command));
        row.append(pidCell(p.hostPid, 'host'), el('span', 'cmd', p.command));
        return row;
      }),
    );
    hostMore.textContent = message.matched > message.shown.length ? format(t.showing, message.shown.length, message.matched) : '';
  }

  // --- keyboard: one tab stop in the picture, arrows move between rows, Enter selects in the tree

  const rows = () => /** @type {HTMLElement[]} */ ([...document.querySelectorAll('.row')].filter((r) => r instanceof HTMLElement && r.offsetParent !== null));

  /** Keeps one row reachable with Tab. Cheap on purpose: asking each row whether it shows would force a layout. */
  function ensureTabStop() {
    if (document.querySelector('.row[tabindex="0"]')) return;
    const first = /** @type {HTMLElement | null} */ (document.querySelector('.row'));
    if (first) first.tabIndex = 0;
  }

  function focusRow(row) {
    for (const r of document.querySelectorAll('.row[tabindex="0"]')) /** @type {HTMLElement} */ (r).tabIndex = -1;
    row.tabIndex = 0;
    row.focus();
  }

  function select(row) {
    if (!row.classList.contains('process')) return;
    for (const r of document.querySelectorAll('.row.selected')) r.classList.remove('selected');
    row.classList.add('selected');
    vscode.postMessage({ type: 'reveal', ...JSON.parse(row.dataset.ref ?? '{}') });
  }

  // --- the process menu: the tree's kill actions, sent through the same commands

  const menu = /** @type {HTMLElement} */ (document.getElementById('menu'));
  /** @type {HTMLElement | undefined} */
  let menuRow;

  function openMenu(row, x, y) {
    menuRow = row;
    menu.hidden = false;
    menu.style.left = `${Math.min(x, window.innerWidth - menu.offsetWidth - 4)}px`;
    menu.style.top = `${Math.min(y, window.innerHeight - menu.offsetHeight - 4)}px`;
    /** @type {HTMLElement} */ (menu.querySelector('[role="menuitem"]')).focus();
  }

  function closeMenu(refocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    if (refocus && menuRow) focusRow(menuRow);
    menuRow = undefined;
  }

  function kill(row, signal) {
    vscode.postMessage({ type: 'kill', signal, ...JSON.parse(row.dataset.ref ?? '{}') });
  }

  document.addEventListener('contextmenu', (e) => {
    e.preventDefault();
    const row = e.target instanceof HTMLElement ? e.target.closest('.row.process') : null;
    if (!row) return;
    focusRow(row);
    // From the keyboard (Shift+F10, the menu key) there is no pointer position: open beside the row.
    const box = row.getBoundingClientRect();
    const fromKeyboard = e.clientX === 0 && e.clientY === 0;
    openMenu(row, fromKeyboard ? box.left + 40 : e.clientX, fromKeyboard ? box.bottom : e.clientY);
  });

  menu.addEventListener('click', (e) => {
    const item = e.target instanceof HTMLElement ? e.target.closest('[role="menuitem"]') : null;
    if (!item || !menuRow) return;
    kill(menuRow, /** @type {HTMLElement} */ (item).dataset.signal);
    closeMenu(true);
  });

  menu.addEventListener('keydown', (e) => {
    const items = /** @type {HTMLElement[]} */ ([...menu.querySelectorAll('[role="menuitem"]')]);
    const i = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length].focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      closeMenu(true);
    }
    e.stopPropagation();
  });

  document.addEventListener('mousedown', (e) => {
    if (!(e.target instanceof Node) || !menu.contains(e.target)) closeMenu(false);
  });

  document.addEventListener('keydown', (e) => {
    const row = e.target instanceof HTMLElement ? e.target.closest('.row') : null;
    if (!row) return;
    const all = rows();
    const i = all.indexOf(/** @type {HTMLElement} */ (row));
    const go = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: all.length - 1 }[e.key];
    if (go !== undefined) {
      e.preventDefault();
      if (all[go]) focusRow(all[go]);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select(row);
    } else if (e.key === 'Delete' && row.classList.contains('process')) {
      e.preventDefault();
      kill(row, e.shiftKey ? 'KILL' : 'TERM');
    }
  });

  document.addEventListener('click', (e) => {
    if (e.target instanceof Node && menu.contains(e.target)) return;
    const row = e.target instanceof HTMLElement ? e.target.closest('.row') : null;
    if (!row) return;
    focusRow(row);
    select(row);
  });

  hostToggle.addEventListener('click', () => {
    const open = hostToggle.getAttribute('aria-expanded') !== 'true';
    hostToggle.setAttribute('aria-expanded', String(open));
    hostBody.hidden = !open;
    vscode.postMessage({ type: 'hostOnly', open, filter: hostFilter.value });
    if (open) hostFilter.focus();
  });

  let filterTimer;
  hostFilter.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => vscode.postMessage({ type: 'hostOnly', open: true, filter: hostFilter.value }), 150);
  });

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'update') {
      receiveUpdate(message.base, message.seq, message.update);
    } else if (message.type === 'expect') {
      // Sent after the page said it is ready: by now it has every update up to `seq`, unless they went to an
      // earlier page.
      if (message.seq !== applied) askResync();
    } else if (message.type === 'hostOnly') {
      showHostOnly(message);
    } else if (message.type === 'focus') {
      const frame = frames.get(message.containerKey);
      const first = frame?.querySelector('.row');
      if (first) focusRow(first);
      frame?.scrollIntoView({ block: 'nearest' });
    }
  });

  hostFilter.placeholder = t.filter;
  hostFilter.setAttribute('aria-label', t.filter);
  root.setAttribute('aria-label', t.title);
  vscode.postMessage({ type: 'ready' });
})();
