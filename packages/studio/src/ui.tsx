import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { listRegions } from '@berth/catalog';
import type { CodeView } from './code.js';

/** A labelled control with its problems (announced, and tied to the control by aria-describedby) and a hint. */
export function Field(props: {
  label: string;
  problems?: string[];
  hint?: ReactNode;
  children: (a11y: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const problems = props.problems ?? [];
  const described = [problems.length ? `${id}-problems` : '', props.hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${problems.length ? ' invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, 'aria-describedby': described, 'aria-invalid': problems.length ? true : undefined })}
      {props.hint && (
        <p className="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      <Problems id={`${id}-problems`} problems={problems} />
    </div>
  );
}

export function Problems({ id, problems }: { id?: string; problems?: string[] }) {
  if (!problems?.length) return null;
  return (
    <div className="problems" id={id} role="alert">
      <ul>
        {problems.map((p, i) => (
          <li key={i}>{p}</li>
        ))}
      </ul>
    </div>
  );
}

/** A button that, when the session may not write, is disabled and says why in its tooltip. */
export function WriteButton(props: {
  allowed: boolean;
  why: string;
  onClick?: () => void;
  children: ReactNode;
  type?: 'button' | 'submit';
  className?: string;
  busy?: boolean;
}) {
  const disabled = !props.allowed || props.busy;
  return (
    <span className="write-button" title={props.allowed ? undefined : props.why}>
      <button
        type={props.type ?? 'button'}
        className={props.className}
        disabled={disabled}
        aria-disabled={disabled}
        aria-description={props.allowed ? undefined : props.why}
        onClick={props.onClick}
      >
        {props.children}
      </button>
    </span>
  );
}

/** "View as code": the equivalent CLI command and SDK snippet. */
export function ViewAsCode({ code }: { code: CodeView }) {
  return (
    <details className="code">
      <summary>View as code</summary>
      <h4>berth CLI</h4>
      <pre>
        <code>{code.cli}</code>
      </pre>
      <h4>@berth/sdk</h4>
      <pre>
        <code>{code.sdk}</code>
      </pre>
    </details>
  );
}

/** A modal dialog: focus moves in, Tab stays in, Escape cancels, focus returns to the opener on close. */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const node = ref.current!;
    const focusable = () =>
      [...node.querySelectorAll<HTMLElement>('input, select, textarea, button, summary, a[href]')].filter((e) => !(e as HTMLButtonElement).disabled);
    (focusable()[0] ?? node).focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        props.onClose();
      } else if (e.key === 'Tab') {
        const items = focusable();
        if (!items.length) return;
        const first = items[0];
        const last = items[items.length - 1];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    node.addEventListener('keydown', onKey);
    return () => {
      node.removeEventListener('keydown', onKey);
      opener?.focus?.();
    };
  }, []);
  return (
    <div className="backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} tabIndex={-1}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/** Re-runs `load` every `intervalMs` while `active`. */
export function useInterval(callback: () => void, intervalMs: number, active: boolean) {
  const saved = useRef(callback);
  saved.current = callback;
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => saved.current(), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, active]);
}

export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): { value?: T; error?: Error; reload: () => void } {
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setState({ value }),
      (error: Error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

/** A form's last row: its submit button (the child), then Cancel. */
export function FormActions(props: { onCancel: () => void; children: ReactNode }) {
  return (
    <div className="actions">
      {props.children}
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** The catalog's regions as a select's options, by display name. */
export function RegionOptions() {
  return (
    <>
      {listRegions().map((r) => (
        <option key={r.name} value={r.name}>
          {r.displayName}
        </option>
      ))}
    </>
  );
}
