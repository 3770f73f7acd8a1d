/** The state panels at the current step: page tables, pages, CPUs, IPIs and RCU, locks. */
import type { ComponentChildren } from 'preact';
import type { MachineInfo, PageSnap, Snapshot, TableSnap } from '../../kernel/snapshot.js';
import type { Diff, PageFields } from './diff.js';
import { LEVEL_NAMES, PAGE_SIZE, entryBits, hex, pageFlags, pageUse, wordValue } from './format.js';

export function Panel(props: { title: string; id: string; children: ComponentChildren; note?: string }) {
  return (
    <section class="panel" data-testid={`panel-${props.id}`}>
      <h2>
        {props.title}
        {props.note && <span class="note"> {props.note}</span>}
      </h2>
      {props.children}
    </section>
  );
}

/** virtual address -> pfn, from the leaf entries of the mm's tree */
export function mappings(s: Snapshot): { byVa: Map<number, number>; byPfn: Map<number, number[]> } {
  const byVa = new Map<number, number>();
  const byPfn = new Map<number, number[]>();
  for (const t of s.tables) {
    if (!t.reachable) continue;
    for (const e of t.entries) {
      if (e.kind !== 'leaf' || e.va < 0) continue;
      const pages = t.level === 1 ? 1 : (levelSize.get(t.level) ?? 1);
      for (let j = 0; j < pages; j++) {
        byVa.set(e.va + j * PAGE_SIZE, e.to + j);
        const l = byPfn.get(e.to + j) ?? [];
        l.push(e.va + j * PAGE_SIZE);
        byPfn.set(e.to + j, l);
      }
    }
  }
  return { byVa, byPfn };
}

/** set from the machine info: pages covered by one entry at each level */
const levelSize = new Map<number, number>();
export function setGeometry(m: MachineInfo | null): void {
  levelSize.clear();
  for (const l of m?.levels ?? []) levelSize.set(l.level, l.size / PAGE_SIZE);
}

function entriesOf(level: number, m: MachineInfo | null, t: TableSnap): number {
  const l = m?.levels.find((x) => x.level === level);
  return l?.entries ?? Math.max(0, ...t.entries.map((e) => e.i + 1));
}

function Entry(props: { t: TableSnap; i: number; s: Snapshot; d: Diff; m: MachineInfo | null; depth: number; base: number }) {
  const { t, i, s, d, m } = props;
  const e = t.entries.find((x) => x.i === i);
  const bytes = m?.levels.find((x) => x.level === t.level)?.size;
  const va = e && e.va >= 0 ? e.va : props.base >= 0 && bytes ? props.base + i * bytes : -1;
  const key = `${t.frame}:${i}`;
  const changed = d.entries.has(key);
  const was = d.entries.get(key);
  const title = changed ? `was ${was ? hex(was) : 'none'}` : undefined;
  const child = e?.kind === 'table' ? s.tables.find((x) => x.frame === e.to) : undefined;
  const target = s.pages.find((p) => p.pfn === e?.to);
  let what: ComponentChildren = <span class="none">none</span>;
  if (e?.kind === 'nonpresent') what = <span class="warn">not present</span>;
  else if (e?.kind === 'leaf') {
    const n = t.level === 1 ? 1 : (levelSize.get(t.level) ?? 1);
    what = (
      <span class={target?.use === 'data' ? 'leaf' : 'bad'}>
        {n > 1 ? `→ huge page ${e.to}–${e.to + n - 1}` : `→ page ${e.to}`}
        {target && target.use !== 'data' ? ` (${pageUse(target)}!)` : ''}
      </span>
    );
  } else if (e?.kind === 'table')
    what = child ? <span class="tbl">→ {LEVEL_NAMES[child.level]} table {e.to}</span> : <span class="bad">→ frame {e.to} (not a table: {target ? pageUse(target) : 'free'})</span>;
  return (
    <li class={`entry ${e ? e.kind : 'empty'}${changed ? ' chg' : ''}`} title={title} data-entry={key}>
      <span class="idx">[{i}]</span> <span class="va">{va >= 0 ? hex(va) : ''}</span>{' '}
      <code class="val">{e ? hex(e.v) : '0'}</code> <span class="bits">{e ? entryBits(e.v) : ''}</span> {what}
      {changed && <span class="was"> (was {was ? hex(was) : 'none'})</span>}
      {child && child.reachable && props.depth < 6 && <TableNode t={child} s={s} d={d} m={m} depth={props.depth + 1} base={va} />}
    </li>
  );
}

function TableNode(props: { t: TableSnap; s: Snapshot; d: Diff; m: MachineInfo | null; depth: number; base: number }) {
  const { t, s, d, m } = props;
  const n = entriesOf(t.level, m, t);
  return (
    <div class={`table${d.tables.has(t.frame) ? ' chg' : ''}`} data-table={t.frame}>
      <div class="thead">
        <b>{LEVEL_NAMES[t.level] ?? `L${t.level}`}</b> table · frame {t.frame}
        {t.gen > 1 && <span class="badge">reused ×{t.gen - 1}</span>}
        {t.ptl !== 0 && <span class="badge lock">ptl held</span>}
        {t.deposited >= 0 && <span class="badge">deposited pte table {t.deposited}</span>}
      </div>
      <ul>
        {Array.from({ length: n }, (_, i) => (
          <Entry key={i} t={t} i={i} s={s} d={d} m={m} depth={props.depth} base={props.base} />
        ))}
      </ul>
    </div>
  );
}

export function PageTables(props: { s: Snapshot; d: Diff; m: MachineInfo | null }) {
  const { s, d, m } = props;
  const root = s.tables.find((t) => t.frame === s.pgd);
  const detached = s.tables.filter((t) => !t.reachable);
  return (
    <Panel title="Page tables" id="tables" note="changed entries are highlighted">
      {root ? <TableNode t={root} s={s} d={d} m={m} depth={0} base={0} /> : <p>no pgd</p>}
      {detached.length > 0 && (
        <div class="detached">
          <h3>Table frames not in the tree</h3>
          {detached.map((t) => {
            const holder = s.tables.find((x) => x.deposited === t.frame);
            return (
              <div key={t.frame}>
                {holder && <div class="note">deposited under pmd table {holder.frame}</div>}
                <TableNode t={t} s={s} d={d} m={m} depth={9} base={-1} />
              </div>
            );
          })}
        </div>
      )}
    </Panel>
  );
}

const PAGE_COLS: Array<[keyof PageFields, string]> = [
  ['use', 'use'],
  ['ref', 'refcount'],
  ['map', 'mapcount'],
  ['pin', 'pincount'],
  ['flags', 'flags'],
  ['head', 'compound'],
  ['data', 'data'],
];

function pageCell(p: PageSnap, f: keyof PageFields): string {
  switch (f) {
    case 'use':
      return pageUse(p) + (p.gen > 1 ? ` (gen ${p.gen})` : '');
    case 'flags':
      return pageFlags(p.flags ?? 0);
    case 'head':
      return p.head !== undefined ? `tail of ${p.head}` : p.order ? `head, order ${p.order}` : '';
    case 'data':
      return p.data === undefined ? '' : hex(p.data);
    case 'pin':
      return String(p.pin ?? 0);
    case 'ref':
      return String(p.ref);
    case 'map':
      return String(p.map);
    default:
      return '';
  }
}

export function Pages(props: { s: Snapshot; d: Diff }) {
  const { s, d } = props;
  const { byVa, byPfn } = mappings(s);
  return (
    <Panel title="Pages" id="pages" note="struct page of every frame ever allocated">
      <table class="pages">
        <thead>
          <tr>
            <th>pfn</th>
            {PAGE_COLS.map(([, h]) => (
              <th key={h}>{h}</th>
            ))}
            <th>mapped at</th>
            <th>GUP</th>
          </tr>
        </thead>
        <tbody>
          {s.pages.map((p) => {
            const ch = d.pages.get(p.pfn);
            const gups = s.gup.filter((g) => g.pfn === p.pfn);
            const stale = gups.filter((g) => byVa.get(g.addr) !== p.pfn);
            return (
              <tr key={p.pfn} data-pfn={p.pfn} class={`${p.use}${stale.length ? ' stale' : ''}`}>
                <td class="num">{p.pfn}</td>
                {PAGE_COLS.map(([f]) => (
                  <td key={f} data-field={f} class={ch?.has(f) ? 'chg' : undefined} title={ch?.has(f) ? `was ${String(ch.get(f))}` : undefined}>
                    {pageCell(p, f)}
                  </td>
                ))}
                <td data-field="mapped">{(byPfn.get(p.pfn) ?? []).map(hex).join(' ')}</td>
                <td data-field="gup">
                  {gups.map((g, i) => {
                    const now = byVa.get(g.addr);
                    const isStale = now !== p.pfn;
                    return (
                      <div key={i} class={isStale ? 'bad' : undefined}>
                        {g.pin ? 'pinned' : 'ref'} by cpu{g.cpu} for {hex(g.addr)}
                        {isStale && <b> — STALE: {hex(g.addr)} {now === undefined ? 'maps nothing' : `maps page ${now}`}</b>}
                      </div>
                    );
                  })}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Panel>
  );
}

export function Cpus(props: { s: Snapshot; d: Diff }) {
  const { s, d } = props;
  return (
    <Panel title="CPUs" id="cpus">
      <div class="cpus">
        {s.cpus.map((c) => {
          const ch = d.cpus.get(c.id) ?? new Set<string>();
          const cls = (f: string) => (ch.has(f) ? 'chg' : '');
          const ipi = c.inIrq >= 0 ? s.ipis.find((x) => x.ticket === c.inIrq) : undefined;
          return (
            <div class="cpu" key={c.id} data-cpu={c.id}>
              <h3>
                CPU {c.id} {c.mm && <span class="badge">runs the mm</span>}
              </h3>
              <div class={cls('irqOn')} data-field="irq">
                IRQs: {c.irqOn ? <span class="ok">on</span> : <span class="warn">off</span>}
              </div>
              <div class={cls('inIrq')} data-field="context">
                context: {c.inIrq >= 0 ? <span class="warn">interrupt (IPI #{c.inIrq}{ipi ? ` ${ipi.name}` : ''})</span> : 'task'}
              </div>
              <div class={`${cls('rcuNest')} ${cls('rcuReader')}`} data-field="rcu">
                RCU: {c.rcuReader ? <span class="warn">reader</span> : 'not reading'}
                {c.rcuNest > 0 && ` (rcu_read_lock ×${c.rcuNest})`} · qs {c.qs}
              </div>
              <div class={cls('tlb')} data-field="tlb">
                TLB:{' '}
                {c.tlb.length === 0 ? (
                  <span class="none">empty</span>
                ) : (
                  c.tlb.map((t) => (
                    <code key={t.va} class="tlbe">
                      {hex(t.va)}→{t.frame} {t.writable ? 'rw' : 'ro'}
                    </code>
                  ))
                )}
              </div>
            </div>
          );
        })}
      </div>
    </Panel>
  );
}

export function IpiRcu(props: { s: Snapshot; d: Diff }) {
  const { s, d } = props;
  const readers = s.cpus.filter((c) => c.rcuReader).map((c) => `CPU ${c.id}`);
  return (
    <Panel title="IPIs and RCU" id="ipi-rcu">
      <div data-field="ipis">
        <h3>IPIs</h3>
        {s.ipis.length === 0 && <div class="none">none sent</div>}
        {s.ipis.map((x) => (
          <div key={x.ticket} class={`${d.ipis.has(x.ticket) ? 'chg ' : ''}${x.remaining.length ? 'warn' : 'done'}`}>
            #{x.ticket} {x.name}: CPU {x.sender} → {x.targets.map((t) => `CPU ${t}`).join(', ')}:{' '}
            {x.remaining.length ? `pending on ${x.remaining.map((t) => `CPU ${t}`).join(', ')}` : 'done'}
          </div>
        ))}
      </div>
      <div data-field="rcu-readers">
        <h3>RCU readers</h3>
        {readers.length ? readers.join(', ') : <span class="none">none</span>}
      </div>
      <div data-field="gps">
        <h3>Grace periods</h3>
        {s.gps.length === 0 && <div class="none">none started</div>}
        {s.gps.map((g) => (
          <div key={g.ticket} class={`${d.gps.has(g.ticket) ? 'chg ' : ''}${g.waitingOn.length ? 'warn' : 'done'}`}>
            #{g.ticket}: {g.waitingOn.length ? `waiting for ${g.waitingOn.map((c) => `CPU ${c}`).join(', ')}` : 'elapsed'}
          </div>
        ))}
      </div>
    </Panel>
  );
}

export function Locks(props: { s: Snapshot; d: Diff }) {
  const { s, d } = props;
  return (
    <Panel title="Kernel words" id="words">
      <table class="words">
        <tbody>
          {s.words.map((w) => (
            <tr key={w.name} class={d.words.has(w.name) ? 'chg' : undefined}>
              <td>{w.name}</td>
              <td>{wordValue(w.name, w.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}
