/**
 * The trace viewer: one column per CPU context, the steps in order; step with the buttons or the
 * arrow keys; the URL names the step (#step=N, N = steps executed; 0 is the state before the
 * first step) and the trace (&trace=i when there are several). At each step the panels show the
 * state after it, with what the step changed highlighted.
 */
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { UiBundle, UiStep, UiTrace } from '../model.js';
import { diff } from './diff.js';
import { describeStep } from './format.js';
import { Cpus, IpiRcu, Locks, PageTables, Pages, setGeometry } from './panels.js';
import './style.css';

function readHash(): { trace: number; step: number | null } {
  const h = new URLSearchParams(location.hash.slice(1));
  const trace = Number(h.get('trace') ?? 0);
  const step = h.has('step') ? Number(h.get('step')) : null;
  return { trace: Number.isInteger(trace) && trace >= 0 ? trace : 0, step: step !== null && Number.isInteger(step) ? step : null };
}

/** Cursor position of a trace's violation: after the step that broke the property (final-state
 * oracles: after the last step). */
function violationCursor(t: UiTrace): number | null {
  if (!t.violation) return null;
  return Math.min(t.violation.step + 1, t.steps.length);
}

/** `starts`: the step is the first of the next path of its CPU's sequence. */
function StepCell(props: { s: UiStep; starts: boolean }) {
  const s = props.s;
  return (
    <div class="cell">
      {props.starts && (
        <div class="path-start" data-testid="path-start">
          ▶ {s.path}
        </div>
      )}
      <div class="fn" title={s.stack.join(' › ')}>
        {s.fn}
      </div>
      <div class="desc">{describeStep(s)}</div>
      {s.notes.map((n, i) => (
        <div class="notes" key={i}>
          ← {n}
        </div>
      ))}
    </div>
  );
}

function Steps(props: { t: UiTrace; cursor: number; go: (n: number) => void; vCursor: number | null }) {
  const { t, cursor, go, vCursor } = props;
  const cur = useRef<HTMLTableRowElement>(null);
  useEffect(() => cur.current?.scrollIntoView({ block: 'nearest' }), [cursor]);
  const starts = useMemo(() => {
    const last = new Map<number, string>();
    return t.steps.map((s) => {
      const first = !!s.path && last.get(s.thread) !== s.path;
      if (s.path) last.set(s.thread, s.path);
      return first;
    });
  }, [t]);
  return (
    <div class="steps-wrap">
      <table class="steps" data-testid="steps">
        <thead>
          <tr>
            <th class="num">#</th>
            {t.columns.map((c) => (
              <th key={c.key} data-col={c.key} class={c.kind}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr class={`init${cursor === 0 ? ' current' : ''}`} ref={cursor === 0 ? cur : undefined} onClick={() => go(0)}>
            <td class="num">0</td>
            <td colSpan={t.columns.length} class="none">
              initial state
            </td>
          </tr>
          {t.steps.map((s, i) => {
            const n = i + 1;
            const cls = [n === cursor ? 'current' : '', n > cursor ? 'future' : '', s.racing ? 'racing' : '', n === vCursor ? 'violation' : ''].filter(Boolean).join(' ');
            return (
              <tr key={n} data-step={n} class={cls} ref={n === cursor ? cur : undefined} onClick={() => go(n)}>
                <td class="num">{n}</td>
                {t.columns.map((c) => (
                  <td key={c.key} data-col={c.key} class={c.kind}>
                    {c.key === s.col && <StepCell s={s} starts={starts[i]} />}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function App(props: { b: UiBundle }) {
  const b = props.b;
  const [pos, setPos] = useState(() => {
    const h = readHash();
    const trace = Math.min(h.trace, b.traces.length - 1);
    const t = b.traces[trace];
    return { trace, cursor: h.step === null ? 0 : Math.max(0, Math.min(h.step, t.steps.length)) };
  });
  const t = b.traces[pos.trace];
  const n = t.steps.length;
  const vCursor = violationCursor(t);
  const exhibit = !!t.violation?.property.startsWith('observation');
  const go = (c: number) => setPos((p) => ({ ...p, cursor: Math.max(0, Math.min(c, b.traces[p.trace].steps.length)) }));

  useEffect(() => {
    const h = `#step=${pos.cursor}${b.traces.length > 1 || pos.trace ? `&trace=${pos.trace}` : ''}`;
    if (location.hash !== h) history.replaceState(null, '', h);
  }, [pos]);
  useEffect(() => {
    const onHash = () => {
      const h = readHash();
      const trace = Math.min(h.trace, b.traces.length - 1);
      setPos({ trace, cursor: Math.max(0, Math.min(h.step ?? 0, b.traces[trace].steps.length)) });
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
      const moves: Record<string, (c: number) => number> = {
        ArrowRight: (c) => c + 1,
        ArrowDown: (c) => c + 1,
        ArrowLeft: (c) => c - 1,
        ArrowUp: (c) => c - 1,
        Home: () => 0,
        End: () => Infinity,
        PageDown: (c) => c + 10,
        PageUp: (c) => c - 10,
      };
      const m = moves[e.key];
      if (m) {
        e.preventDefault();
        setPos((p) => ({ ...p, cursor: Math.max(0, Math.min(m(p.cursor), b.traces[p.trace].steps.length)) }));
      } else if (e.key === 'v') {
        const c = violationCursor(b.traces[pos.trace]);
        if (c !== null) go(c);
      }
    };
    addEventListener('hashchange', onHash);
    addEventListener('keydown', onKey);
    return () => {
      removeEventListener('hashchange', onHash);
      removeEventListener('keydown', onKey);
    };
  }, [pos.trace]);

  const state = t.states[pos.cursor];
  const prev = pos.cursor > 0 ? t.states[pos.cursor - 1] : null;
  const d = useMemo(() => diff(prev, state), [pos]);
  const step = pos.cursor > 0 ? t.steps[pos.cursor - 1] : null;
  const cfg = b.config as { arch?: string; kernel?: string; patches?: string[] } | undefined;

  return (
    <div class="app">
      <header>
        <div class="title">
          <h1 data-testid="scenario-id">{b.id}</h1>
          {b.verdict && (
            <span class={`verdict ${b.verdict}`} data-testid="verdict">
              {b.verdict}
            </span>
          )}
          {b.expect && <span class="note">expected: {b.expect}</span>}
          {cfg?.arch && (
            <span class="chip">
              {cfg.arch} · kernel {cfg.kernel}
              {cfg.patches?.length ? ` ${cfg.patches.join(' ')}` : ''}
            </span>
          )}
          {b.summary && <span class="note">{b.summary}</span>}
        </div>
        {b.question && <div class="question">{b.question}</div>}
        <nav class="controls">
          {b.traces.length > 1 && (
            <select value={pos.trace} onChange={(e) => setPos({ trace: Number((e.target as HTMLSelectElement).value), cursor: 0 })} data-testid="trace-select">
              {b.traces.map((x, i) => (
                <option key={i} value={i}>
                  {x.label}
                </option>
              ))}
            </select>
          )}
          {b.traces.length === 1 && <span class="chip">{t.label}</span>}
          <button onClick={() => go(0)} title="initial state (Home)" data-testid="first">|◀ start</button>
          <button onClick={() => go(pos.cursor - 1)} title="step back (←)" data-testid="back">
            ◀ back
          </button>
          <span class="pos" data-testid="position">
            step {pos.cursor} / {n}
          </span>
          <button onClick={() => go(pos.cursor + 1)} title="step forward (→)" data-testid="forward">
            forward ▶
          </button>
          <button onClick={() => go(n)} title="last step (End)" data-testid="last">end ▶|</button>
          {vCursor !== null && (
            <button class={exhibit ? 'vbtn exhibit' : 'vbtn'} onClick={() => go(vCursor)} title="the violation's step (v)" data-testid="goto-violation">
              ⚠ {exhibit ? 'observation' : 'violation'} (step {vCursor})
            </button>
          )}
          {t.preemptions !== undefined && t.preemptions >= 0 && <span class="note" data-testid="preemptions">{t.preemptions} preemptions</span>}
          <span class="note legend">
            <span class="racing-mark" /> racing: a location another thread also touches, one of them writing · keys ← →
          </span>
        </nav>
        <div class="current-step" data-testid="current-step">
          {step ? (
            <>
              <b>step {pos.cursor}</b> {b.traces[pos.trace].columns.find((c) => c.key === step.col)?.label}: <b>{step.fn}</b> {describeStep(step)}
            </>
          ) : (
            <>
              <b>step 0</b>: the initial state, before any thread runs
            </>
          )}
        </div>
        {t.violation && pos.cursor === vCursor && (
          <div class={exhibit ? 'violation-banner exhibit' : 'violation-banner'} data-testid="violation">
            <b>{t.violation.property.toUpperCase()}</b>
            {t.violation.step >= n ? ' (at the end of the execution)' : ` (at step ${vCursor})`}: {t.violation.message}
          </div>
        )}
      </header>
      <main>
        <Steps t={t} cursor={pos.cursor} go={go} vCursor={vCursor} />
        <div class="state" data-testid="state">
          {state ? (
            <>
              <Pages s={state} d={d} />
              <PageTables s={state} d={d} m={b.machine} />
              <Cpus s={state} d={d} />
              <IpiRcu s={state} d={d} />
              <Locks s={state} d={d} />
            </>
          ) : (
            <p class="none">the state at this step was not recorded</p>
          )}
        </div>
      </main>
    </div>
  );
}

async function start(): Promise<void> {
  const root = document.getElementById('app')!;
  try {
    const res = await fetch('api/trace');
    if (!res.ok) throw new Error(`GET api/trace: ${res.status}`);
    const b = (await res.json()) as UiBundle;
    setGeometry(b.machine);
    document.title = `${b.id} — mmrace`;
    render(<App b={b} />, root);
  } catch (err) {
    root.textContent = `mmrace ui: cannot load the trace: ${(err as Error).message}`;
  }
}

void start();
