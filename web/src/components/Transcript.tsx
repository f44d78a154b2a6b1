/**
 * A JSON transcript beside the player: the line being spoken is highlighted and
 * kept in view; choosing a line seeks the recording there. Reads ixvault's demo
 * format ({lines:[{speaker,text,offsetMs}]}) and the common segment formats
 * ({segments:[{start,end,text,speaker}]} in seconds, or a bare array of either).
 */
import { useEffect, useRef } from 'react';
import { formatDuration } from '../format';

export interface Segment {
  start: number;
  speaker?: string | undefined;
  text: string;
}

export function parseTranscript(json: unknown): Segment[] {
  const root = json as Record<string, unknown> | unknown[] | null;
  const list = Array.isArray(root) ? root : ((root?.lines ?? root?.segments ?? root?.results ?? []) as unknown[]);
  if (!Array.isArray(list)) return [];
  const segments: Segment[] = [];
  for (const raw of list) {
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Record<string, unknown>;
    const text = typeof r.text === 'string' ? r.text : typeof r.transcript === 'string' ? r.transcript : undefined;
    const start =
      typeof r.offsetMs === 'number'
        ? r.offsetMs / 1000
        : typeof r.start === 'number'
          ? r.start
          : typeof r.startTime === 'number'
            ? r.startTime
            : 0;
    const speaker = typeof r.speaker === 'string' ? r.speaker : typeof r.channel === 'string' ? r.channel : undefined;
    if (text !== undefined) segments.push({ start, speaker, text });
  }
  return segments.sort((a, b) => a.start - b.start);
}

export function Transcript({ segments, time, onSeek }: { segments: Segment[]; time: number; onSeek: (s: number) => void }) {
  let current = -1;
  for (let i = 0; i < segments.length; i++) if ((segments[i]?.start ?? 0) <= time) current = i;
  const list = useRef<HTMLOListElement>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the current line changes, to keep it in view
  useEffect(() => {
    const box = list.current;
    const row = box?.querySelector<HTMLElement>('[aria-current="true"]');
    if (!box || !row) return;
    // Scroll the transcript box only, never the page.
    const top = row.offsetTop; // the list is the rows' offset parent (position: relative)
    if (top < box.scrollTop || top + row.offsetHeight > box.scrollTop + box.clientHeight)
      box.scrollTo({ top: top - box.clientHeight / 3 });
  }, [current]);

  return (
    <section aria-labelledby="transcript-title">
      <h2 id="transcript-title">Transcript</h2>
      <ol className="transcript" ref={list}>
        {segments.map((s, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list; two lines may share a start
          <li key={`${s.start}-${i}`} aria-current={i === current ? 'true' : undefined}>
            <button type="button" onClick={() => onSeek(s.start)}>
              <span className="at">{formatDuration(s.start)}</span>
              {s.speaker && <strong>{s.speaker}</strong>} {s.text}
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
